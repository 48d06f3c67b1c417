"""Tests for bot.scheduling.parse: parsing, canonical text, descriptions and fire times."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling.parse import parse_facilitator_schedule, parse_schedule
from bot.scheduling.rule import Schedule, ScheduleError

UTC = UTC
LONDON, NEW_YORK, KOLKATA, SYDNEY = (
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires(spec: str, start: datetime, end: datetime, tz: str = LONDON) -> list[datetime]:
    return parse_schedule(spec).due_times(start, end, tz)


def local(times: list[datetime], tz: str = LONDON) -> list[str]:
    return [t.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M") for t in times]


# Window used for accepted forms: Fri 20 Nov 2026 00:00 UTC to Sat 5 Dec 2026 (London is UTC+0).
W_START, W_END = utc(2026, 11, 20), utc(2026, 12, 5)

ACCEPTED = [
    # (typed, canonical text, description, first London fire times in the window)
    ("0 16 * * FRI", "0 16 * * FRI", "every Friday at 16:00",
     ["Fri 2026-11-20 16:00", "Fri 2026-11-27 16:00", "Fri 2026-12-04 16:00"]),
    ("30 9 * * 1-5", "30 9 * * MON-FRI", "every weekday at 09:30",
     ["Fri 2026-11-20 09:30", "Mon 2026-11-23 09:30", "Tue 2026-11-24 09:30"]),
    ("0 9 1 * *", "0 9 1 * *", "every month on the 1st at 09:00", ["Tue 2026-12-01 09:00"]),
    ("every friday 16:00", "every friday at 16:00", "every Friday at 16:00",
     ["Fri 2026-11-20 16:00", "Fri 2026-11-27 16:00", "Fri 2026-12-04 16:00"]),
    ("every friday at 4pm", "every friday at 16:00", "every Friday at 16:00",
     ["Fri 2026-11-20 16:00", "Fri 2026-11-27 16:00", "Fri 2026-12-04 16:00"]),
    ("Every FRIDAY At 4 PM", "every friday at 16:00", "every Friday at 16:00",
     ["Fri 2026-11-20 16:00", "Fri 2026-11-27 16:00", "Fri 2026-12-04 16:00"]),
    ("every day 09:00", "every day at 09:00", "every day at 09:00",
     ["Fri 2026-11-20 09:00", "Sat 2026-11-21 09:00", "Sun 2026-11-22 09:00"]),
    ("daily 9:00", "every day at 09:00", "every day at 09:00",
     ["Fri 2026-11-20 09:00", "Sat 2026-11-21 09:00", "Sun 2026-11-22 09:00"]),
    ("every weekday 08:30", "every weekday at 08:30", "every weekday at 08:30",
     ["Fri 2026-11-20 08:30", "Mon 2026-11-23 08:30", "Tue 2026-11-24 08:30"]),
    ("every monday and thursday 09:00", "every monday and thursday at 09:00",
     "every Monday and Thursday at 09:00",
     ["Mon 2026-11-23 09:00", "Thu 2026-11-26 09:00", "Mon 2026-11-30 09:00"]),
    ("every mon,thu 9am", "every monday and thursday at 09:00",
     "every Monday and Thursday at 09:00",
     ["Mon 2026-11-23 09:00", "Thu 2026-11-26 09:00", "Mon 2026-11-30 09:00"]),
    ("every 2 weeks on monday 09:00", "every 2 weeks on monday at 09:00",
     "every 2 weeks on Monday at 09:00", ["Mon 2026-11-23 09:00"]),
    ("fortnightly on tuesday 10:00", "every 2 weeks on tuesday at 10:00",
     "every 2 weeks on Tuesday at 10:00", ["Tue 2026-11-24 10:00"]),
    ("every month on the 1st 09:00", "every month on the 1st at 09:00",
     "every month on the 1st at 09:00", ["Tue 2026-12-01 09:00"]),
    ("weekly on friday 16:00", "every friday at 16:00", "every Friday at 16:00",
     ["Fri 2026-11-20 16:00", "Fri 2026-11-27 16:00", "Fri 2026-12-04 16:00"]),
    ("every monday to friday 7am", "every weekday at 07:00", "every weekday at 07:00",
     ["Fri 2026-11-20 07:00", "Mon 2026-11-23 07:00", "Tue 2026-11-24 07:00"]),
    ("every mon, wed and fri at 12:15pm", "every monday, wednesday and friday at 12:15",
     "every Monday, Wednesday and Friday at 12:15",
     ["Fri 2026-11-20 12:15", "Mon 2026-11-23 12:15", "Wed 2026-11-25 12:15"]),
    ("every saturday noon", "every saturday at 12:00", "every Saturday at 12:00",
     ["Sat 2026-11-21 12:00", "Sat 2026-11-28 12:00"]),
    ("every sunday at midnight", "every sunday at 00:00", "every Sunday at 00:00",
     ["Sun 2026-11-22 00:00", "Sun 2026-11-29 00:00"]),
    ("on fridays at 16.00", "every friday at 16:00", "every Friday at 16:00",
     ["Fri 2026-11-20 16:00", "Fri 2026-11-27 16:00"]),
    ("every weekend 10am", "every saturday and sunday at 10:00", "every Saturday and Sunday at 10:00",
     ["Sat 2026-11-21 10:00", "Sun 2026-11-22 10:00"]),
    ("every day at 12am", "every day at 00:00", "every day at 00:00",
     ["Sat 2026-11-21 00:00", "Sun 2026-11-22 00:00"]),  # the window's start is excluded
    ("every day at 12:30pm", "every day at 12:30", "every day at 12:30",
     ["Fri 2026-11-20 12:30", "Sat 2026-11-21 12:30"]),
    ("0 12 * * SAT-SUN", "0 12 * * SAT,SUN", "every Saturday and Sunday at 12:00",
     ["Sat 2026-11-21 12:00", "Sun 2026-11-22 12:00", "Sat 2026-11-28 12:00"]),
    ("*/30  9-10 * * mon", "*/30 9-10 * * MON",
     'on the cron schedule "*/30 9-10 * * MON" (minute hour day month weekday)',
     ["Mon 2026-11-23 09:00", "Mon 2026-11-23 09:30", "Mon 2026-11-23 10:00",
      "Mon 2026-11-23 10:30", "Mon 2026-11-30 09:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "canonical", "description", "first"), ACCEPTED)
def test_accepted_forms(typed, canonical, description, first):
    schedule = parse_schedule(typed)
    assert schedule.text == canonical
    assert schedule.describe() == description
    assert local(schedule.due_times(W_START, W_END, LONDON))[: len(first)] == first


@pytest.mark.parametrize("typed", [case[0] for case in ACCEPTED])
def test_canonical_text_round_trips(typed):
    schedule = parse_schedule(typed)
    again = parse_schedule(schedule.text)
    assert again == schedule
    assert again.text == schedule.text
    assert again.describe() == schedule.describe()
    assert again.due_times(W_START, W_END, NEW_YORK) == schedule.due_times(W_START, W_END, NEW_YORK)


def test_schedule_is_frozen_and_hashable():
    schedule = parse_schedule("every friday 16:00")
    with pytest.raises(AttributeError):
        schedule.text = "daily 9:00"  # type: ignore[misc]
    assert schedule == parse_schedule("weekly on friday at 4pm")
    assert hash(schedule) == hash(parse_schedule("every friday at 16:00"))
    assert isinstance(schedule, Schedule)


# --- cron weekday numbering ---------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "weekday"),
    [
        ("0 16 * * 5", "Fri"),
        ("0 16 * * FRI", "Fri"),
        ("0 16 * * fri", "Fri"),
        ("0 16 * * 0", "Sun"),
        ("0 16 * * 7", "Sun"),
        ("0 16 * * SUN", "Sun"),
        ("0 16 * * 1", "Mon"),
        ("0 16 * * 6", "Sat"),
    ],
)
def test_cron_weekday_numbers_follow_standard_cron(spec, weekday):
    times = fires(spec, W_START, W_END)
    assert times
    assert {t.strftime("%a") for t in times} == {weekday}


def test_cron_zero_and_seven_both_mean_sunday_and_canonicalise_alike():
    assert parse_schedule("0 16 * * 0").text == parse_schedule("0 16 * * 7").text == "0 16 * * SUN"
    assert parse_schedule("0 16 * * 5").text == "0 16 * * FRI"


def test_cron_weekday_step_uses_standard_numbering():
    # Standard cron */2 on weekdays is 0,2,4,6 = Sun, Tue, Thu, Sat (not Mon, Wed, ...).
    days = [t.strftime("%a") for t in fires("0 9 * * */2", utc(2026, 11, 22), utc(2026, 11, 29))]
    assert days == ["Sun", "Tue", "Thu", "Sat"]


def test_cron_weekday_range_can_end_on_sunday():
    days = [t.strftime("%a") for t in fires("0 9 * * 5-7", utc(2026, 11, 23), utc(2026, 11, 30))]
    assert days == ["Fri", "Sat", "Sun"]
    assert parse_schedule("0 9 * * FRI-SUN").text == "0 9 * * FRI-SUN"


def test_cron_day_of_month_or_weekday_when_both_restricted():
    # Standard cron: "0 9 1 * MON" fires on the 1st AND on every Monday.
    times = local(fires("0 9 1 * MON", utc(2026, 11, 27), utc(2026, 12, 9)))
    assert times == ["Mon 2026-11-30 09:00", "Tue 2026-12-01 09:00", "Mon 2026-12-07 09:00"]


def test_cron_day_of_month_and_month_fields():
    times = local(fires("15 10 1,15 JAN,jul *", utc(2026, 1, 1), utc(2027, 1, 1)))
    assert times == [
        "Thu 2026-01-01 10:15",
        "Thu 2026-01-15 10:15",
        "Wed 2026-07-01 10:15",
        "Wed 2026-07-15 10:15",
    ]


def test_cron_leap_day_fires_only_in_leap_years():
    schedule = parse_schedule("0 9 29 2 *")
    assert schedule.next_after(utc(2026, 3, 1), LONDON) == utc(2028, 2, 29, 9)


# --- rejections ---------------------------------------------------------------


REJECTED = [
    ("every fryday 16:00",
     'Unknown day "fryday". Use a day name like "friday", e.g. "every friday 16:00".'),
    ("every friday 25:00",
     'Time "25:00" is not valid: hours go from 00 to 23, e.g. "every friday 16:00".'),
    ("every friday 9:75",
     'Time "9:75" is not valid: minutes go from 00 to 59, e.g. "every friday 16:30".'),
    ("every friday 13pm",
     'Time "13pm" is not valid: with am/pm the hour goes from 1 to 12, e.g. "4pm".'),
    ("every friday 9",
     'Time "9" is unclear: write "09:00" or "9am"/"9pm", e.g. "every friday 16:00".'),
    ("every friday 4p",
     'Time "4p" is not valid: use 24-hour "HH:MM" like "16:00", or "4pm", e.g. "every friday 16:00".'),
    ("every friday",
     '"every friday" has no time. Add a time like "16:00" or "4pm", e.g. "every friday 16:00".'),
    ("every 0 weeks on monday 09:00",
     'The interval must be at least 1 week, not 0: e.g. "every 2 weeks on monday 09:00".'),
    ("every -2 weeks on monday 09:00",
     'The interval must be at least 1 week, not -2: e.g. "every 2 weeks on monday 09:00".'),
    ("every 60 weeks on monday 09:00",
     'The interval can be at most 52 weeks, e.g. "every 2 weeks on monday 09:00".'),
    ("every 3 days 09:00",
     'Repeats are counted in weeks, e.g. "every 2 weeks on monday 09:00" or "every day 09:00".'),
    ("every 2 weeks 09:00", 'Say which day, e.g. "every 2 weeks on monday 09:00".'),
    ("weekly 16:00", 'Say which day, e.g. "weekly on friday 16:00".'),
    ("fortnightly 16:00", 'Say which day, e.g. "fortnightly on friday 16:00".'),
    ("every month 9:00", 'Say which day of the month, e.g. "every month on the 1st 09:00".'),
    ("every month on the 31st 09:00",
     'Day 31 is not in every month: use the 1st to the 28th, e.g. "every month on the 1st 09:00", '
     'or cron "0 9 31 * *" to skip shorter months.'),
    ("every month on the 0th 09:00",
     'The day of the month must be from the 1st to the 28th, e.g. "every month on the 1st 09:00".'),
    ("evry friday 16:00",
     'Could not understand "evry friday 16:00". Start with "every", "daily", "weekly" or '
     '"fortnightly", e.g. "every friday 16:00", or use a 5-field cron line like "0 16 * * FRI".'),
    ("", 'The schedule is empty. Write one like "every friday 16:00".'),
    ("   ", 'The schedule is empty. Write one like "every friday 16:00".'),
    ("0 16 * *",
     'A cron schedule needs 5 fields (minute hour day month weekday) but "0 16 * *" has 4: '
     'e.g. "0 16 * * FRI" is every Friday at 16:00, or write "every friday 16:00".'),
    ("0 16 * * FRI 2026",
     'A cron schedule needs 5 fields (minute hour day month weekday) but "0 16 * * FRI 2026" has 6: '
     'e.g. "0 16 * * FRI" is every Friday at 16:00, or write "every friday 16:00".'),
    ("0 25 * * *", 'Cron hour 25 is out of range: use 0-23, e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("60 9 * * *", 'Cron minute 60 is out of range: use 0-59, e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("0 9 32 * *",
     'Cron day of month 32 is out of range: use 1-31, e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("0 9 0 * *",
     'Cron day of month 0 is out of range: use 1-31, e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("0 9 * 13 *", 'Cron month 13 is out of range: use 1-12, e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("0 16 * * 8", 'Cron weekday 8 is out of range: use 0-7, e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("0 16 * * FRY",
     'Cron weekday "FRY" is not valid: use 0-7 (0 and 7 are Sunday) or MON..SUN, '
     'e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("0 9 * JUNE *",
     'Cron month "JUNE" is not valid: use 1-12 or JAN..DEC, e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("0 0 L * *",
     'Cron day of month "L" is not supported: use numbers, ranges ("1-5"), lists ("1,15") and steps '
     '("*/15"), e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("*/0 * * * *", 'Cron minute step in "*/0" must be a whole number of at least 1, e.g. "*/15".'),
    ("*/x * * * *", 'Cron minute step in "*/x" must be a whole number of at least 1, e.g. "*/15".'),
    ("0 17-9 * * *",
     'Cron hour range "17-9" goes backwards: write the smaller value first, e.g. "1-5".'),
    ("0 16 * * 5-0",
     'Cron weekday range "5-0" goes backwards: write the smaller value first, e.g. "1-5" '
     '(Sunday can also be 7, e.g. "5-7").'),
    ("1,,2 * * * *",
     'Cron minute field "1,,2" has an empty item, e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("0 9 31 2 *",
     'Cron schedule "0 9 31 2 *" never fires: none of its months has day 31, '
     'e.g. "0 16 * * FRI" is every Friday at 16:00.'),
    ("0 9 30,31 2 */2",
     'Cron schedule "0 9 30,31 2 */2" never fires: none of its months has day 30, '
     'e.g. "0 16 * * FRI" is every Friday at 16:00.'),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "message"), REJECTED)
def test_rejections_explain_what_is_wrong(typed, message):
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(typed)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_schedule_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_schedule("every fryday 16:00")


@pytest.mark.parametrize(
    "typed",
    ["every fríday 16:00", "🙂🙂🙂", "every 🙂 16:00", "0 ١٦ * * *", "x" * 10_000, "every " * 500],
)
def test_odd_input_is_rejected_cleanly(typed):
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(typed)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 400


def test_unknown_day_in_a_list_is_named():
    with pytest.raises(ScheduleError, match='Unknown day "thrusday"'):
        parse_schedule("every monday and thrusday 09:00")


# --- time zones ---------------------------------------------------------------


def test_same_schedule_fires_at_local_wall_clock_in_each_zone():
    start, end = utc(2026, 11, 19), utc(2026, 11, 21)
    schedule = parse_schedule("every friday 16:00")
    assert schedule.due_times(start, end, LONDON) == [utc(2026, 11, 20, 16)]
    assert schedule.due_times(start, end, NEW_YORK) == [utc(2026, 11, 20, 21)]
    assert schedule.due_times(start, end, KOLKATA) == [utc(2026, 11, 20, 10, 30)]
    assert schedule.due_times(start, end, SYDNEY) == [utc(2026, 11, 20, 5)]


def test_tz_may_be_a_zoneinfo_and_results_are_utc():
    times = fires("every friday 16:00", W_START, W_END, tz=ZoneInfo(NEW_YORK))  # type: ignore[arg-type]
    assert times[0] == utc(2026, 11, 20, 21)
    assert all(t.tzinfo is UTC for t in times)


def test_start_and_end_in_other_offsets_are_compared_as_instants():
    kolkata = ZoneInfo(KOLKATA)
    start = datetime(2026, 11, 20, 21, 0, tzinfo=kolkata)  # 15:30 UTC
    end = datetime(2026, 11, 20, 22, 0, tzinfo=kolkata)  # 16:30 UTC
    assert fires("every friday 16:00", start, end) == [utc(2026, 11, 20, 16)]


def test_unknown_time_zone_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown time zone"):
        fires("every friday 16:00", W_START, W_END, tz="Mars/Olympus_Mons")


def test_naive_datetimes_are_refused():
    schedule = parse_schedule("every friday 16:00")
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.due_times(datetime(2026, 11, 20), W_END, LONDON)
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.next_after(datetime(2026, 11, 20), LONDON)


# --- window edges ---------------------------------------------------------------


def test_window_excludes_start_and_includes_end():
    schedule = parse_schedule("every friday 16:00")
    at = utc(2026, 11, 20, 16)
    assert schedule.due_times(at, at + timedelta(minutes=5), LONDON) == []
    assert schedule.due_times(at - timedelta(minutes=5), at, LONDON) == [at]
    assert schedule.due_times(at - timedelta(seconds=1), at + timedelta(seconds=1), LONDON) == [at]


def test_empty_or_reversed_window_gives_nothing():
    schedule = parse_schedule("* * * * *")
    assert schedule.due_times(W_END, W_START, LONDON) == []
    assert schedule.due_times(W_START, W_START, LONDON) == []


def test_every_minute_in_a_short_window():
    times = fires("* * * * *", utc(2026, 11, 20, 9, 0, 30), utc(2026, 11, 20, 9, 3))
    assert times == [utc(2026, 11, 20, 9, 1), utc(2026, 11, 20, 9, 2), utc(2026, 11, 20, 9, 3)]


# --- DST ------------------------------------------------------------------------


def test_local_time_is_kept_across_london_spring_forward():
    times = fires("every sunday 16:00", utc(2026, 3, 20), utc(2026, 4, 6))
    assert times == [utc(2026, 3, 22, 16), utc(2026, 3, 29, 15), utc(2026, 4, 5, 15)]
    assert local(times) == ["Sun 2026-03-22 16:00", "Sun 2026-03-29 16:00", "Sun 2026-04-05 16:00"]


def test_local_time_is_kept_across_london_fall_back():
    times = fires("every friday 16:00", utc(2026, 10, 20), utc(2026, 11, 1))
    assert times == [utc(2026, 10, 23, 15), utc(2026, 10, 30, 16)]


def test_nonexistent_time_fires_once_when_the_gap_ends():
    # 29 March 2026: London jumps from 01:00 GMT to 02:00 BST; 01:30 does not exist.
    times = fires("30 1 * * *", utc(2026, 3, 28), utc(2026, 3, 31))
    assert times == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]


def test_several_times_inside_a_gap_collapse_to_one_fire():
    # 01:00, 01:15, 01:30 and 01:45 all fall in the gap: one fire at 02:00 BST.
    times = fires("*/15 1 * * *", utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
    assert times == [utc(2026, 3, 29, 1, 0)]


def test_ambiguous_time_fires_once_at_first_occurrence():
    # 25 October 2026: London goes back from 02:00 BST to 01:00 GMT; 01:30 happens twice.
    times = fires("30 1 * * *", utc(2026, 10, 24), utc(2026, 10, 27))
    assert times == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_repeated_hour_is_not_run_twice():
    times = fires("*/30 * * * *", utc(2026, 10, 24, 22, 45), utc(2026, 10, 25, 2, 15))
    # Wall times 00:00 .. 02:00; 01:00 and 01:30 only in their first (BST) pass.
    assert local(times) == [
        "Sun 2026-10-25 00:00",
        "Sun 2026-10-25 00:30",
        "Sun 2026-10-25 01:00",
        "Sun 2026-10-25 01:30",
        "Sun 2026-10-25 02:00",
    ]
    assert times[-1] - times[-2] == timedelta(hours=1, minutes=30)


def test_window_starting_inside_the_repeated_hour():
    schedule = parse_schedule("*/30 1 * * *")
    second_pass = utc(2026, 10, 25, 1, 10)  # 01:10 GMT, after 01:00/01:30 BST already fired
    assert schedule.due_times(second_pass, utc(2026, 10, 25, 3), LONDON) == []
    assert schedule.next_after(second_pass, LONDON) == utc(2026, 10, 26, 1)


def test_new_york_spring_forward_gap():
    # 8 March 2026: New York jumps from 02:00 EST to 03:00 EDT.
    times = fires("every day 02:30", utc(2026, 3, 7), utc(2026, 3, 10), NEW_YORK)
    assert times == [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)]


def test_new_york_fall_back():
    times = fires("every day 09:00", utc(2026, 10, 31), utc(2026, 11, 3), NEW_YORK)
    assert times == [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14), utc(2026, 11, 2, 14)]


def test_sydney_fall_back_in_april():
    # 5 April 2026: Sydney goes back from 03:00 AEDT to 02:00 AEST; 02:30 happens twice.
    times = fires("every day 02:30", utc(2026, 4, 3, 16), utc(2026, 4, 6, 16), SYDNEY)
    assert times == [utc(2026, 4, 4, 15, 30), utc(2026, 4, 5, 16, 30)]


def test_kolkata_has_no_dst():
    times = fires("every day 09:00", utc(2026, 3, 27), utc(2026, 3, 31), KOLKATA)
    assert times == [utc(2026, 3, d, 3, 30) for d in (27, 28, 29, 30)]


# --- every N weeks --------------------------------------------------------------


def test_every_two_weeks_is_anchored_not_window_dependent():
    schedule = parse_schedule("every 2 weeks on monday 09:00")
    expected = [utc(2026, 11, 23, 9), utc(2026, 12, 7, 9), utc(2026, 12, 21, 9)]
    assert schedule.due_times(utc(2026, 11, 16), utc(2026, 12, 28), LONDON) == expected
    # Whatever window we look through, the same Mondays fire.
    assert schedule.due_times(utc(2026, 11, 30), utc(2026, 12, 28), LONDON) == expected[1:]
    assert schedule.due_times(utc(2026, 11, 28), utc(2026, 12, 1), LONDON) == []


def test_every_three_weeks_counts_weeks_from_1970_01_05():
    schedule = parse_schedule("every 3 weeks on monday 09:00")
    times = schedule.due_times(utc(1970, 1, 1), utc(1970, 2, 20), "UTC")
    assert times == [utc(1970, 1, 5, 9), utc(1970, 1, 26, 9), utc(1970, 2, 16, 9)]


def test_fortnightly_several_days_same_weeks():
    times = fires("fortnightly on monday and friday 10:00", utc(2026, 11, 16), utc(2026, 12, 8))
    assert local(times) == [
        "Mon 2026-11-23 10:00",
        "Fri 2026-11-27 10:00",
        "Mon 2026-12-07 10:00",
    ]


def test_every_other_week_and_word_numbers():
    assert parse_schedule("every other week on tuesday 10:00").text == "every 2 weeks on tuesday at 10:00"
    assert parse_schedule("every two weeks on tuesday 10:00").text == "every 2 weeks on tuesday at 10:00"
    assert parse_schedule("every 1 week on tuesday 10:00").text == "every tuesday at 10:00"


# --- next_after and consistency -------------------------------------------------


@pytest.mark.parametrize("tz", [LONDON, NEW_YORK, SYDNEY])
def test_next_after_matches_due_times(tz):
    schedule = parse_schedule("30 1 * * *")
    t = utc(2026, 3, 27, 12)
    for _ in range(400):  # walk a year, through every DST change
        nxt = schedule.next_after(t, tz)
        assert nxt is not None and nxt > t
        assert schedule.due_times(t, nxt, tz) == [nxt]
        assert schedule.due_times(t, nxt - timedelta(seconds=1), tz) == []
        t = nxt


@pytest.mark.parametrize(
    "spec",
    [
        "*/20 * * * *",
        "every day 01:30",
        "every weekday 02:30",
        "0 9 1 * MON",
        "every 2 weeks on sunday 01:00",
    ],
)
@pytest.mark.parametrize("tz", [LONDON, NEW_YORK, KOLKATA, SYDNEY])
@pytest.mark.parametrize("month_start", [utc(2026, 3, 25), utc(2026, 10, 20), utc(2026, 4, 1)])
def test_small_windows_add_up_to_the_big_window(spec, tz, month_start):
    schedule = parse_schedule(spec)
    end = month_start + timedelta(days=14)
    whole = schedule.due_times(month_start, end, tz)
    pieces: list[datetime] = []
    t = month_start
    while t < end:  # irregular tick sizes, like a scheduler that sometimes lags
        step = timedelta(minutes=7 if t.minute % 2 else 53)
        pieces += schedule.due_times(t, min(t + step, end), tz)
        t += step
    assert pieces == whole
    assert whole == sorted(set(whole))


def test_results_do_not_depend_on_query_order():
    schedule = parse_schedule("every friday 16:00")
    windows = [(utc(2026, 11, d), utc(2026, 11, d + 1)) for d in range(1, 29)]
    forward = [schedule.due_times(a, b, tz) for a, b in windows for tz in (LONDON, NEW_YORK)]
    fresh = parse_schedule("every friday 16:00")
    backward = [fresh.due_times(a, b, tz) for a, b in reversed(windows) for tz in (NEW_YORK, LONDON)]
    assert sorted(sum(forward, [])) == sorted(sum(backward, []))
    assert len(sum(forward, [])) == 8


def test_next_after_for_monthly_schedule():
    schedule = parse_schedule("every month on the 1st 09:00")
    assert schedule.next_after(utc(2026, 12, 1, 9), LONDON) == utc(2027, 1, 1, 9)
    assert schedule.next_after(utc(2026, 12, 1, 8, 59), LONDON) == utc(2026, 12, 1, 9)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("*/5 * * * *", "That runs every 5 minutes"),
        ("* * * * *", "That runs every minute"),
        ("0 */2 * * *", "That runs every 2 hours"),
        ("0,30 8 * * 1-5", "That runs twice a day, at 08:00 and 08:30"),
        ("5,10,40 9 1 * *", "That runs 3 times a day, 5 minutes apart at the closest"),
    ],
)
def test_facilitator_schedules_run_at_most_once_a_day(spec, reason):
    with pytest.raises(ScheduleError) as caught:
        parse_facilitator_schedule(spec)
    assert str(caught.value).startswith(f"{reason}: a schedule may run at most once a day")
    assert parse_schedule(spec).text  # the bot's own hourly flows keep the plain parser


@pytest.mark.parametrize("spec", ["0 9 * * *", "every friday 16:00", "every 2 weeks on monday 09:00", "0 9 1 * MON", "every month on the 1st 09:00"])
def test_facilitator_schedules_once_a_day_or_less_are_accepted(spec):
    assert parse_facilitator_schedule(spec) == parse_schedule(spec)
