"""Tests for bot.core.dates.friendly: due dates, meeting times, durations and pauses."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.dates.friendly import parse_due, parse_duration, parse_pause, parse_when
from bot.core.dates.zone import resolve_local, to_zone

UTC = UTC
LONDON, NEW_YORK, KOLKATA, SYDNEY = (
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
)
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # Wed 18 Nov 2026, 10:00 in London
FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def due(text: str, now: datetime = WEDNESDAY, tz: str = LONDON) -> date | None:
    return parse_due(text, now=now, tz=tz)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("by Friday", date(2026, 11, 20)),
        ("I'll call the youth team by Friday", date(2026, 11, 20)),
        ("friday", date(2026, 11, 20)),
        ("by fri", date(2026, 11, 20)),
        ("due thurs.", date(2026, 11, 19)),
        ("wednesday", date(2026, 11, 25)),  # today is Wednesday: next week's
        ("this wednesday", date(2026, 11, 18)),
        ("this friday", date(2026, 11, 20)),
        ("next tuesday", date(2026, 11, 24)),  # the Tuesday of next week
        ("next friday", date(2026, 11, 27)),
        ("coming friday", date(2026, 11, 20)),
        ("in 2 weeks", date(2026, 12, 2)),
        ("in two weeks", date(2026, 12, 2)),
        ("in a week", date(2026, 11, 25)),
        ("in a couple of weeks", date(2026, 12, 2)),
        ("in a fortnight", date(2026, 12, 2)),
        ("within 10 days", date(2026, 11, 28)),
        ("in 3 days", date(2026, 11, 21)),
        ("in 1 month", date(2026, 12, 18)),
        ("3 weeks from now", date(2026, 12, 9)),
        ("in 2 weeks' time", date(2026, 12, 2)),
        ("tomorrow", date(2026, 11, 19)),
        ("Tomorrow!", date(2026, 11, 19)),
        ("today", date(2026, 11, 18)),
        ("by the end of the day", date(2026, 11, 18)),
        ("day after tomorrow", date(2026, 11, 20)),
        ("end of the month", date(2026, 11, 30)),
        ("by end of month", date(2026, 11, 30)),
        ("this month", date(2026, 11, 30)),
        ("end of next month", date(2026, 12, 31)),
        ("next month", date(2026, 12, 31)),
        ("this week", date(2026, 11, 20)),
        ("by the end of the week", date(2026, 11, 20)),
        ("next week", date(2026, 11, 27)),
        ("end of the year", date(2026, 12, 31)),
        ("by 12 December", date(2026, 12, 12)),
        ("by 12th of December", date(2026, 12, 12)),
        ("by the 12th of dec", date(2026, 12, 12)),
        ("December 12", date(2026, 12, 12)),
        ("Dec 3rd, 2027", date(2027, 12, 3)),
        ("12 December 2027", date(2027, 12, 12)),
        ("by 1 March", date(2027, 3, 1)),  # already passed this year
        ("by 18 November", date(2026, 11, 18)),  # today counts
        ("by 29 February", date(2028, 2, 29)),
        ("2026-12-03", date(2026, 12, 3)),
        ("deadline: 2027/01/15", date(2027, 1, 15)),
        ("03/12/2026", date(2026, 12, 3)),  # day first
        ("3/12/26", date(2026, 12, 3)),
        ("03.12.2026", date(2026, 12, 3)),
        ("by 3/12", date(2026, 12, 3)),
        ("by the 15th", date(2026, 12, 15)),
        ("by the 25th", date(2026, 11, 25)),
    ],
)
def test_due_expressions(text, expected):
    assert due(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I met them on Monday and will call by Friday", date(2026, 11, 20)),
        ("we spoke last friday, I'll send notes by tuesday", date(2026, 11, 24)),
        ("last friday was great", None),
        ("Can you look at this tomorrow or by Friday?", date(2026, 11, 20)),
        ("tomorrow and then on monday", date(2026, 11, 23)),
        ("tomorrow, then friday", date(2026, 11, 19)),
        ("Send the 2026-12-03 report by 2026-12-10 please", date(2026, 12, 10)),
        ("Ring 12 parents in 3 days", date(2026, 11, 21)),
    ],
)
def test_due_date_found_in_sentences(text, expected):
    assert due(text) == expected


def test_by_friday_on_a_friday_means_next_week():
    assert due("by Friday", now=FRIDAY) == date(2026, 11, 27)
    assert due("this friday", now=FRIDAY) == date(2026, 11, 20)


def test_this_week_on_a_weekend_means_the_coming_friday():
    assert due("this week", now=SATURDAY) == date(2026, 11, 27)
    assert due("next week", now=SATURDAY) == date(2026, 11, 27)
    assert due("next week", now=FRIDAY) == date(2026, 11, 27)


def test_end_of_month_on_the_last_day_is_today():
    assert due("end of the month", now=datetime(2026, 11, 30, 12, tzinfo=UTC)) == date(2026, 11, 30)
    assert due("end of the month", now=datetime(2026, 2, 10, tzinfo=UTC)) == date(2026, 2, 28)


def test_today_depends_on_the_time_zone():
    late = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # Fri in London/New York, Sat in Kolkata/Sydney
    assert due("tomorrow", now=late, tz=LONDON) == date(2026, 11, 21)
    assert due("tomorrow", now=late, tz=NEW_YORK) == date(2026, 11, 21)
    assert due("tomorrow", now=late, tz=KOLKATA) == date(2026, 11, 22)
    assert due("tomorrow", now=late, tz=SYDNEY) == date(2026, 11, 22)
    assert due("by friday", now=late, tz=LONDON) == date(2026, 11, 27)
    assert due("by friday", now=late, tz=SYDNEY) == date(2026, 11, 27)
    assert parse_due("today", now=late, tz=ZoneInfo(KOLKATA)) == date(2026, 11, 21)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello there",
        "I have 3 kids and 12 cats",
        "May I ask a question?",
        "about 2/3 of people came",
        "I sat down in the sun",
        "version 1.2.33 is out",
        "room 12, floor 3",
        "31/02/2026",
        "2026-13-45",
        "the 45th",
        "🙂🎉 ünïcödé ☃︎ 日本語のテキスト",
        "\x00\x01\n\t",
        "a" * 100_000,
        "9" * 100_000,
        "by " * 50_000,
    ],
)
def test_no_due_date(text):
    assert due(text) is None


def test_non_string_and_odd_input_never_raises():
    assert parse_due(None, now=WEDNESDAY, tz=LONDON) is None  # type: ignore[arg-type]
    assert due("by friday " + "🙂" * 100_000) == date(2026, 11, 20)
    assert due("🙂" * 100_000 + " by friday") is None  # beyond the 2,000 characters we read


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        parse_due("by friday", now=datetime(2026, 11, 18), tz=LONDON)


# --- parse_when -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2026-12-03 14:00", LONDON, datetime(2026, 12, 3, 14, 0, tzinfo=UTC)),
        ("2026-12-03 14:00", NEW_YORK, datetime(2026, 12, 3, 19, 0, tzinfo=UTC)),
        ("2026-12-03 14:00", KOLKATA, datetime(2026, 12, 3, 8, 30, tzinfo=UTC)),
        ("2026-12-03 14:00", SYDNEY, datetime(2026, 12, 3, 3, 0, tzinfo=UTC)),
        ("2026-07-03 14:00", LONDON, datetime(2026, 7, 3, 13, 0, tzinfo=UTC)),
        ("meet on 03/12/2026 at 09:30", LONDON, datetime(2026, 12, 3, 9, 30, tzinfo=UTC)),
        ("friday at 2pm", LONDON, datetime(2026, 11, 20, 14, 0, tzinfo=UTC)),
        ("tomorrow 9:15am", LONDON, datetime(2026, 11, 19, 9, 15, tzinfo=UTC)),
        ("12 December at noon", LONDON, datetime(2026, 12, 12, 12, 0, tzinfo=UTC)),
        ("2026-12-03 at midnight", LONDON, datetime(2026, 12, 3, 0, 0, tzinfo=UTC)),
        ("2026-12-03 14h30", LONDON, datetime(2026, 12, 3, 14, 30, tzinfo=UTC)),
        # 29 March 2026, 01:30 does not exist in London: the gap ends at 02:00 BST = 01:00 UTC.
        ("2026-03-29 01:30", LONDON, datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        # 25 October 2026, 01:30 happens twice in London: the first (BST) one.
        ("2026-10-25 01:30", LONDON, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_parse_when(text, tz, expected):
    result = parse_when(text, now=WEDNESDAY, tz=tz)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize("text", ["2026-12-03", "at 14:00", "14:00", "", "tomorrow 25:00", "🙂" * 10])
def test_parse_when_needs_date_and_time(text):
    assert parse_when(text, now=WEDNESDAY, tz=LONDON) is None


# --- parse_duration -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2w", timedelta(weeks=2)),
        ("10d", timedelta(days=10)),
        ("1d", timedelta(days=1)),
        ("3h", timedelta(hours=3)),
        ("90m", timedelta(minutes=90)),
        ("1w2d", timedelta(days=9)),
        ("1h30m", timedelta(minutes=90)),
        ("2 weeks", timedelta(weeks=2)),
        ("2 Weeks", timedelta(weeks=2)),
        ("1 week and 2 days", timedelta(days=9)),
        ("1 week, 2 days", timedelta(days=9)),
        ("a fortnight", timedelta(days=14)),
        ("an hour", timedelta(hours=1)),
        ("45 mins", timedelta(minutes=45)),
        (" 3 hrs ", timedelta(hours=3)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'Say how long. Use a number and a unit, e.g. "2w", "10d", "3h", "90m" or "1w2d".'),
        ("2y", 'Unknown unit "y" in "2y". Use w (weeks), d (days), h (hours) or m (minutes), '
               'e.g. "2w" or "1w2d".'),
        ("weeks", 'Could not read "weeks" as a length of time. Use a number and a unit, '
                  'e.g. "2w", "10d", "3h", "90m" or "1w2d".'),
        ("2", 'Could not read "2" as a length of time. Use a number and a unit, '
              'e.g. "2w", "10d", "3h", "90m" or "1w2d".'),
        ("2 weeks ago", 'Could not read "2 weeks ago" as a length of time. Use a number and a unit, '
                        'e.g. "2w", "10d", "3h", "90m" or "1w2d".'),
        ("0d", '"0d" is zero; a length of time must be more than zero, e.g. "2w".'),
        ("-2w", '"-2w" is negative; a length of time must be more than zero, e.g. "2w".'),
        ("99999w", '"99999w" is longer than 10 years; pick something shorter, e.g. "8w".'),
        ("🙂", 'Could not read "🙂" as a length of time. Use a number and a unit, '
               'e.g. "2w", "10d", "3h", "90m" or "1w2d".'),
    ],
)  # fmt: skip
def test_parse_duration_rejects_with_a_message(text, message):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == message


def test_parse_duration_caps_huge_numbers():
    with pytest.raises(ValueError):
        parse_duration("9" * 10_000 + "w")


# --- parse_pause ----------------------------------------------------------------


def test_pause_for_weeks_keeps_the_local_time_across_dst():
    now = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)  # 10:00 BST
    assert parse_pause("2w", now=now, tz=LONDON) == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # 10:00 GMT
    assert parse_pause("for 2 weeks", now=now, tz=LONDON) == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def test_pause_for_hours_is_elapsed_time():
    now = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST, an hour before the clocks go back
    assert parse_pause("3h", now=now, tz=LONDON) == datetime(2026, 10, 25, 3, 30, tzinfo=UTC)
    assert parse_pause("1d3h", now=WEDNESDAY, tz=LONDON) == datetime(2026, 11, 19, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("until 2026-12-24", LONDON, datetime(2026, 12, 24, 0, 0, tzinfo=UTC)),
        ("until 2026-12-24", NEW_YORK, datetime(2026, 12, 24, 5, 0, tzinfo=UTC)),
        ("until 2026-12-24", KOLKATA, datetime(2026, 12, 23, 18, 30, tzinfo=UTC)),
        ("until 2026-12-24", SYDNEY, datetime(2026, 12, 23, 13, 0, tzinfo=UTC)),
        ("until friday", LONDON, datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
        ("Until Friday", NEW_YORK, datetime(2026, 11, 20, 5, 0, tzinfo=UTC)),
        ("till 24 December", LONDON, datetime(2026, 12, 24, 0, 0, tzinfo=UTC)),
        ("until tomorrow", LONDON, datetime(2026, 11, 19, 0, 0, tzinfo=UTC)),
        ("friday", LONDON, datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
        ("2026-12-24", LONDON, datetime(2026, 12, 24, 0, 0, tzinfo=UTC)),
    ],
)
def test_pause_until_a_date_ends_at_local_midnight(text, tz, expected):
    assert parse_pause(text, now=WEDNESDAY, tz=tz) == expected


def test_pause_until_a_date_in_summer_time():
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    assert parse_pause("until 2026-04-01", now=now, tz=LONDON) == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("until fryday", 'Could not read "until fryday". Use a length like "2w" or "10d", or a date like '
                         '"until friday", "until 24 December" or "until 2026-12-24".'),
        ("blah", 'Could not read "blah". Use a length like "2w" or "10d", or a date like '
                 '"until friday", "until 24 December" or "until 2026-12-24".'),
        ("2y", 'Unknown unit "y" in "2y". Use w (weeks), d (days), h (hours) or m (minutes), '
               'e.g. "2w" or "1w2d".'),
        ("until 2020-01-01", '"until 2020-01-01" is not in the future (2020-01-01 has already begun). '
                             'Pick a later date, e.g. "until friday" or "2w".'),
        ("until today", '"until today" is not in the future (2026-11-18 has already begun). '
                        'Pick a later date, e.g. "until friday" or "2w".'),
    ],
)  # fmt: skip
def test_pause_rejects_with_a_message(text, message):
    with pytest.raises(ValueError) as caught:
        parse_pause(text, now=WEDNESDAY, tz=LONDON)
    assert str(caught.value) == message


# --- resolve_local and to_zone ----------------------------------------------------


def test_resolve_local_normal_gap_and_overlap():
    assert resolve_local(datetime(2026, 7, 1, 12), LONDON) == datetime(2026, 7, 1, 11, tzinfo=UTC)
    assert resolve_local(datetime(2026, 3, 29, 1, 0), LONDON) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert resolve_local(datetime(2026, 3, 29, 1, 59), LONDON) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert resolve_local(datetime(2026, 3, 29, 2, 0), LONDON) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert resolve_local(datetime(2026, 10, 25, 1, 0), LONDON) == datetime(2026, 10, 25, 0, tzinfo=UTC)
    assert resolve_local(datetime(2026, 3, 8, 2, 30), NEW_YORK) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    # Lord Howe Island shifts by 30 minutes (gap 02:00-02:30 on 4 October 2026).
    assert resolve_local(datetime(2026, 10, 4, 2, 10), "Australia/Lord_Howe") == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)


def test_to_zone():
    assert to_zone(LONDON) == ZoneInfo(LONDON)
    assert to_zone(UTC) is UTC
    with pytest.raises(ValueError, match='Unknown time zone "Nowhere/Land"'):
        to_zone("Nowhere/Land")
    with pytest.raises(ValueError):
        to_zone("../etc/passwd")
