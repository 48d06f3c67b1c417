"""One parser for every time zone people type (settings, setup, the first-contact question)."""

from __future__ import annotations

import pytest

from bot.core.dates.zone import parse_zone, zone
from bot.store.models import Network, Role


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("London", "Europe/London"),
        ("europe/london", "Europe/London"),
        ("Europe/London", "Europe/London"),
        ("  new   york ", "America/New_York"),
        ("UTC", "UTC"),
        ("UTC+2", "Etc/GMT-2"),
        ("GMT-5", "Etc/GMT+5"),
        ("utc+0", "UTC"),
        ("Kolkata", "Asia/Kolkata"),
    ],
)
def test_what_people_type_becomes_an_iana_zone(typed, expected):
    assert parse_zone(typed) == expected
    assert zone(parse_zone(typed)).key == expected


@pytest.mark.parametrize(
    ("typed", "hint"),
    [("Lisbn", "Did you mean Europe/Lisbon?"), ("Mars/Olympus", "Europe/London"), ("UTC+5:30", "city"), ("UTC+15", "city"), ("", "Give a time zone")],
)
def test_what_is_not_understood_gets_a_plain_answer_and_a_suggestion(typed, hint):
    with pytest.raises(ValueError) as exc:
        parse_zone(typed)
    assert hint in str(exc.value)


async def test_settings_and_setup_accept_what_people_type(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    out = await h.command("fac", "settings timezone london")
    assert h.member("fac").timezone == "Europe/London" and "Europe/London" in out[-1].text
    out = await h.command("fac", "settings timezone UTC+2")
    assert h.member("fac").timezone == "Etc/GMT-2"
    out = await h.command("fac", "settings timezone Lisbn")
    assert "Did you mean Europe/Lisbon?" in out[-1].text and h.member("fac").timezone == "Etc/GMT-2"
    out = await h.command("fac", "settings timezone new york")
    assert h.member("fac").timezone == "America/New_York"
    values = {"name": "X", "timezone": "paris", "practice_channel": "", "reflection": "off", "pairing": "off", "digest": "off"}
    await h.submit("fac", "admin.setup", values)
    with h.store.session() as session:
        assert session.get(Network, h.network_id).timezone == "Europe/Paris"
