"""One definition of what names a member, for every flow that takes a forgotten member's name out."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.members import FORGOTTEN_NAME, FORGOTTEN_PREFIX, is_forgotten, needles_of, scrub
from bot.store.models import Member

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def zelda(**kw) -> Member:
    fields = {"platform_user_id": "U42", "display_name": "Zelda", "username": "zq", "organisation": "Quixote Trust", **kw}
    return Member(network_id=1, created_at=NOW, **fields)


def test_scrub_replaces_whole_words_anywhere_in_json_like_values():
    needles = {"Zelda": FORGOTTEN_NAME, "Quixote Trust": "another organisation"}
    value = {"text": "Ask @zelda at _Quixote Trust_", "more": ["Zeldas", "zelda."], "n": 3}
    assert scrub(value, needles) == {"text": "Ask a former member at _another organisation_", "more": ["Zeldas", "a former member."], "n": 3}
    assert scrub("zelda", ["Zelda"]) == FORGOTTEN_NAME  # a list of needles: each becomes "a former member"
    assert scrub("zelda", []) == "zelda"


def test_needles_are_the_names_of_a_member_and_not_the_forgotten_name():
    assert needles_of(zelda()) == {"Zelda": FORGOTTEN_NAME, "zq": FORGOTTEN_NAME, "U42": FORGOTTEN_NAME}
    assert needles_of(zelda(display_name=FORGOTTEN_NAME, username=None)) == {"U42": FORGOTTEN_NAME}


def test_a_forgotten_member_is_known_by_the_tombstone_or_the_reason():
    assert not is_forgotten(zelda())
    assert is_forgotten(zelda(unreachable_reason="forgotten"))
    assert is_forgotten(Member(network_id=1, platform_user_id=f"{FORGOTTEN_PREFIX}abc", created_at=NOW))
