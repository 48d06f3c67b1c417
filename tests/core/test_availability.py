"""One answer to "may this member get an unprompted message now?"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.availability import Person, blocked, is_quiet

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
