"""Tags and organisations as members type them, made comparable.

"Youth Engagement" and "youth  engagement" are one tag, and "Riverside
Council" one organisation however it is spelled in case and spaces, so the
scores, the profile and the introductions all agree on what matches.
"""

from __future__ import annotations

import re

__all__ = ["normalise_tag", "org_key", "parse_tags"]

_TAG_SPLIT = re.compile(r"[,;\r\n]+")
_SPACES = re.compile(r"\s+")


def normalise_tag(text: str) -> str:
    """Lower-case a tag and collapse its whitespace, so spellings agree."""
    return _SPACES.sub(" ", text).strip().casefold()


def parse_tags(text: str | None) -> frozenset[str]:
    """Split free text on commas, semicolons and newlines into normalised tags."""
    if not text:
        return frozenset()
    return frozenset(t for t in map(normalise_tag, _TAG_SPLIT.split(text)) if t)


def org_key(organisation: str | None) -> str | None:
    """An organisation as a comparable key (None when not given)."""
    return normalise_tag(organisation) if organisation and organisation.strip() else None
