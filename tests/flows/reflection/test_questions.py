"""Pure rules of reflection prompts: question sets, all-at-once answers, quiet hours, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.flows.reflection.questions import (
    QUESTION_SETS,
    commitment_index,
    is_quiet,
    question_set,
    reminder_due,
    split_all_at_once,
    validate_questions,
)

UTC = UTC
LONDON = ZoneInfo("Europe/London")


def test_built_in_sets_end_with_the_commitment_question():
    assert QUESTION_SETS["weekly"] == (
        "What did you try since we last met?",
        "What happened?",
        "What did you learn?",
        "What will you do next, and by when?",
    )
    for questions in QUESTION_SETS.values():
        assert commitment_index(questions) == len(questions) - 1
    assert question_set("after-visit") == QUESTION_SETS["after_visit"]
    assert question_set("nope") is None
    assert commitment_index(["How are you?", "What did you learn?"]) is None


def test_validate_questions():
    assert validate_questions(["  What   worked? ", "", "Why?"]) == ["What worked?", "Why?"]
    with pytest.raises(ValueError, match="at least one"):
        validate_questions(["  "])
    with pytest.raises(ValueError, match="8 or fewer"):
        validate_questions([f"Q{i}?" for i in range(9)])
    with pytest.raises(ValueError, match="under 300"):
        validate_questions(["x" * 301])


def test_numbered_answers_are_split():
    text = "1. Tried huddles\n2) People came\n3: short is better\nand kind\n4 - again by Friday"
    assert split_all_at_once(text, 4) == (
        ["Tried huddles", "People came", "short is better\nand kind", "again by Friday"],
        "numbered",
    )


def test_paragraphs_are_split_only_when_the_count_matches():
    assert split_all_at_once("a\n\nb\n \nc", 3) == (["a", "b", "c"], "paragraphs")
    assert split_all_at_once("a\n\nb", 3) is None
    assert split_all_at_once("just one answer", 4) is None
    # numbers out of order or a date in the text are not numbering
    assert split_all_at_once("2. b\n1. a", 2) is None
    assert split_all_at_once("We met on 3. March", 2) is None


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (datetime(2026, 11, 2, 19, 59), False),
        (datetime(2026, 11, 2, 20, 0), True),
        (datetime(2026, 11, 3, 7, 59), True),
        (datetime(2026, 11, 3, 8, 0), False),
        (datetime(2026, 11, 7, 12, 0), True),  # Saturday
    ],
)
def test_quiet_hours_wrap_midnight_and_weekends(local, quiet):
    assert is_quiet(local, "20:00-08:00", True) is quiet


def test_quiet_hours_tolerate_odd_values():
    assert not is_quiet(datetime(2026, 11, 2, 23, 0), "", False)
    assert not is_quiet(datetime(2026, 11, 2, 23, 0), "late-early", False)
    assert is_quiet(datetime(2026, 11, 2, 13, 0), "12:00-14:00", False)


def _due(now, sent, *, window=48, later=None, weekends=False):
    return reminder_due(now, sent_at=sent, closes_at=sent + timedelta(hours=window), later_at=later,
                        tz=LONDON, quiet_hours="20:00-08:00", quiet_weekends=weekends)  # fmt: skip


def test_reminder_from_half_the_window_never_quiet_never_in_the_last_hour():
    sent = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # Monday
    assert not _due(sent + timedelta(hours=23), sent)
    assert _due(sent + timedelta(hours=24), sent)
    assert not _due(datetime(2026, 11, 3, 21, 0, tzinfo=UTC), sent)  # quiet
    assert not _due(sent + timedelta(hours=47, minutes=30), sent)  # last hour


def test_later_today_reminds_three_hours_on():
    sent = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    later = sent + timedelta(minutes=5)
    assert not _due(later + timedelta(hours=2), sent, later=later)
    assert _due(later + timedelta(hours=3), sent, later=later)


def test_a_quiet_weekend_moves_the_reminder_earlier_or_drops_it():
    sent = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)  # Friday 10:00; second half is the weekend
    assert _due(datetime(2026, 11, 6, 15, 0, tzinfo=UTC), sent, weekends=True)
    assert not _due(datetime(2026, 11, 6, 13, 0, tzinfo=UTC), sent, weekends=True)  # too soon
    friday_4pm = datetime(2026, 11, 6, 16, 0, tzinfo=UTC)
    assert not any(_due(friday_4pm + timedelta(hours=h), friday_4pm, weekends=True) for h in range(48))
