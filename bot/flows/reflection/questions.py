"""Built-in reflection question sets and the pure rules for reading answers.

The sets follow action learning ("what did you try, what happened, what did
you learn, what will you do next?") and the intervisitation protocol. No I/O
here, so the flow, the preview and the tests all read the same rules.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from bot.core.availability import is_quiet

__all__ = [
    "QUESTION_SETS",
    "MAX_QUESTIONS",
    "MAX_QUESTION_LENGTH",
    "commitment_index",
    "reminder_due",
    "question_set",
    "split_all_at_once",
    "validate_questions",
]

QUESTION_SETS: dict[str, tuple[str, ...]] = {
    "weekly": (
        "What did you try since we last met?",
        "What happened?",
        "What did you learn?",
        "What will you do next, and by when?",
    ),
    "after_meeting": (
        "What struck you most at the meeting?",
        "What did you hear from someone else that you could use?",
        "What will you do next, and by when?",
    ),
    "after_visit": (
        "What did you see on the visit?",
        "What will you take back to your own work?",
        "What would you still ask the host?",
        "What will you do next, and by when?",
    ),
}
SET_ALIASES = {"after-meeting": "after_meeting", "meeting": "after_meeting", "after-visit": "after_visit", "visit": "after_visit"}
MAX_QUESTIONS = 8
MAX_QUESTION_LENGTH = 300

_COMMITMENT = re.compile(r"\b(do|try)\s+next\b|\bby\s+when\b|\bcommit", re.I)


def question_set(name: str) -> tuple[str, ...] | None:
    """The built-in set called ``name`` (also "after-visit", "visit"), or None."""
    key = name.strip().lower()
    return QUESTION_SETS.get(SET_ALIASES.get(key, key))


def validate_questions(questions: list[str]) -> list[str]:
    """Clean custom questions; raises ValueError with a one-line reason."""
    cleaned = [" ".join(q.split()) for q in questions if q.strip()]
    if not cleaned:
        raise ValueError("Give at least one question, each in quotes.")
    if len(cleaned) > MAX_QUESTIONS:
        raise ValueError(f"That's {len(cleaned)} questions; keep it to {MAX_QUESTIONS} or fewer so members answer them.")
    for q in cleaned:
        if len(q) > MAX_QUESTION_LENGTH:
            raise ValueError(f"A question is {len(q)} characters; keep each under {MAX_QUESTION_LENGTH}.")
    return cleaned


def commitment_index(questions: list[str] | tuple[str, ...]) -> int | None:
    """Which question asks "what will you do next?" (its answer becomes a commitment)."""
    for i in range(len(questions) - 1, -1, -1):
        if _COMMITMENT.search(questions[i]):
            return i
    return None


_NUMBERED = re.compile(r"(?m)^\s*(?:q\s*)?(\d{1,2})\s*[.):\-]\s*", re.I)


def split_all_at_once(text: str, count: int) -> tuple[list[str], str] | None:
    """Read one long message as answers to all ``count`` questions, if it clearly is.

    Numbered answers ("1. … 2. …", numbered 1..count in order) win; otherwise
    paragraphs separated by blank lines, exactly ``count`` of them. Returns the
    answers and how they were recognised ("numbered" or "paragraphs"), or None.
    """
    if count < 2:
        return None
    marks = list(_NUMBERED.finditer(text))
    if len(marks) == count and [int(m[1]) for m in marks] == list(range(1, count + 1)):
        if not text[: marks[0].start()].strip():
            parts = [text[m.end() : (marks[i + 1].start() if i + 1 < count else len(text))].strip() for i, m in enumerate(marks)]
            if all(parts):
                return parts, "numbered"
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if len(paragraphs) == count:
        return paragraphs, "paragraphs"
    return None


LATER_DELAY = timedelta(hours=3)
FIRST_REMINDER_GAP = timedelta(hours=4)


def reminder_due(
    now: datetime,
    *,
    sent_at: datetime,
    closes_at: datetime,
    later_at: datetime | None,
    tz: tzinfo,
    quiet_hours: str | None,
    quiet_weekends: bool,
) -> bool:
    """Whether the one reminder for an unanswered prompt should go now.

    Never in quiet time, never in the window's last hour. "Later today"
    reminds three hours after the press; otherwise from half the window on,
    or (when all of the second half is quiet, as with a Friday prompt and
    quiet weekends) from four hours after sending.
    """
    last = closes_at - timedelta(hours=1)
    if now >= last or is_quiet(now.astimezone(tz), quiet_hours, quiet_weekends):
        return False
    if later_at is not None:
        return now >= later_at + LATER_DELAY
    half = sent_at + (closes_at - sent_at) / 2
    if now >= half:
        return True
    if now < sent_at + FIRST_REMINDER_GAP:
        return False
    t = half
    while t < last:
        if not is_quiet(t.astimezone(tz), quiet_hours, quiet_weekends):
            return False  # a better moment is still to come
        t += timedelta(hours=1)
    return True
