"""One answer to "may this member get an unprompted message now?"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.availability import Person, answer_window_end, blocked, is_quiet, next_allowed

TUESDAY_NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_quiet_hours_wrap_midnight_in_the_members_own_zone():
    assert is_quiet(datetime(2026, 12, 1, 21, 0), "20:00-08:00", False)
    assert is_quiet(datetime(2026, 12, 1, 7, 59), "20:00-08:00", False)
    assert not is_quiet(datetime(2026, 12, 1, 8, 0), "20:00-08:00", False)
    assert is_quiet(datetime(2026, 12, 5, 12, 0), "", True)  # a Saturday
    assert not is_quiet(datetime(2026, 12, 1, 21, 0), "nonsense", False)
    tokyo = Person(id=1, tz="Asia/Tokyo", quiet_weekends=False)
    assert blocked(tokyo, TUESDAY_NOON) == "quiet hours"  # 21:00 in Tokyo
    assert blocked(Person(id=1, tz="Europe/London"), TUESDAY_NOON) is None


def test_each_reason_is_named_in_order():
    assert blocked(Person(id=1, unreachable=True, paused_until=TUESDAY_NOON + timedelta(days=1)), TUESDAY_NOON) == "unreachable"
    assert blocked(Person(id=1, paused_until=TUESDAY_NOON + timedelta(days=1)), TUESDAY_NOON) == "paused"
    assert blocked(Person(id=1, paused_until=TUESDAY_NOON), TUESDAY_NOON) is None  # the pause has ended
    stopped = Person(id=1, opted_out=("pairing", "nudges:steal"))
    assert blocked(stopped, TUESDAY_NOON, "pairing") == "opted out"
    assert blocked(stopped, TUESDAY_NOON, "nudges", "nudges:steal") == "opted out"
    assert blocked(stopped, TUESDAY_NOON, "nudges", "nudges:pair") is None


def test_next_allowed_waits_for_the_end_of_the_night_and_the_weekend_in_the_members_zone():
    london = Person(id=1, tz="Europe/London")
    assert next_allowed(london, TUESDAY_NOON) == TUESDAY_NOON
    assert next_allowed(london, datetime(2026, 12, 1, 23, 0, tzinfo=UTC)) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    friday_night = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
    assert next_allowed(london, friday_night) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 08:00
    tokyo = Person(id=2, tz="Asia/Tokyo", quiet_weekends=False)
    assert next_allowed(tokyo, TUESDAY_NOON) == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 08:00 Wednesday in Tokyo
    assert next_allowed(Person(id=3, quiet_hours="", quiet_weekends=False), friday_night) == friday_night


def test_an_answer_window_does_not_count_quiet_weekends():
    friday_four = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert answer_window_end(Person(id=1, tz="Europe/London"), friday_four, 48) == datetime(2026, 12, 8, 16, 0, tzinfo=UTC)
    assert answer_window_end(Person(id=1, quiet_weekends=False), friday_four, 48) == datetime(2026, 12, 6, 16, 0, tzinfo=UTC)
    assert answer_window_end(Person(id=1), TUESDAY_NOON, 24) == TUESDAY_NOON + timedelta(hours=24)
