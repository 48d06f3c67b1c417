"""Numbers from outside are ASCII digits within bounds, or nothing."""

from bot.core.numbers import MAX_ID, parse_id, parse_number


def test_only_ascii_digits_within_bounds_are_numbers():
    assert parse_number("12") == 12 and parse_number(" 7 ") == 7
    for odd in ["²", "١٢", "-1", "+1", "1e3", "0x1f", "", None, "1 2", "１２"]:
        assert parse_number(odd) is None, odd
    assert parse_number("26", low=1, high=26) == 26 and parse_number("27", low=1, high=26) is None
    assert parse_id("0") is None and parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id(str(MAX_ID + 1)) is None and parse_id("12345678901234567890") is None
