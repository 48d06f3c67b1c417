"""How a practice reads: the channel card, the full view, list lines, the steal mix.

Pure text building (no database, no sending), so the wording can be tested and
changed in one place. User-written text always goes through ``literal``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.markup import count, literal, truncate
from bot.store.practices import Practice, StealMode, StealOutcome
from bot.store.search import normalise_tag

__all__ = [
    "withdrawn_text",
    "MODE_LABELS",
    "MODE_MEANINGS",
    "OUTCOME_LABELS",
    "REFERENCE_MIX",
    "StealLine",
    "QuestionLine",
    "card_text",
    "full_text",
    "list_line",
    "mix_summary",
    "mode_from_label",
    "parse_tags",
]

MODE_LABELS = {
    StealMode.ADAPTED.value: "adapted",
    StealMode.ACCELERATED.value: "accelerated",
    StealMode.CLOSELY_BASED.value: "closely based",
}
MODE_MEANINGS = {
    StealMode.ADAPTED.value: "taking the idea and changing it to fit",
    StealMode.ACCELERATED.value: "it pushes on something we were already doing",
    StealMode.CLOSELY_BASED.value: "doing it much as they did",
}
OUTCOME_LABELS = {
    StealOutcome.WORKED.value: "worked",
    StealOutcome.PARTLY.value: "partly worked",
    StealOutcome.DIDNT.value: "didn't work",
    StealOutcome.TOO_EARLY.value: "too early to say",
}
REFERENCE_MIX = {"adapted": 63, "accelerated": 29, "closely_based": 8}
"""The Beacon survey's mix of how changed practice came about (percent)."""

MAX_TAGS = 8


@dataclass(frozen=True)
class StealLine:
    who: str
    mode: str
    note: str
    outcome: str | None = None
    outcome_note: str = ""


@dataclass(frozen=True)
class QuestionLine:
    question: str
    answer: str


def mode_from_label(text: str) -> str | None:
    """``"Closely based"`` / ``closely_based`` / ``3`` -> ``closely_based``."""
    word = text.strip().lower().replace("_", " ")
    for i, (value, label) in enumerate(MODE_LABELS.items(), start=1):
        if word in (label, str(i)) or (word and label.startswith(word)):
            return value
    return None


def parse_tags(text: str) -> list[str]:
    """``"induction, #Peer Mentoring"`` -> ``["induction", "peer-mentoring"]`` (unique, at most 8)."""
    raw = text.replace("#", ",").split(",") if "," in text or "#" in text else text.split()
    tags: list[str] = []
    for part in raw:
        tag = normalise_tag(part)
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def mix_summary(mix: Counter, *, reference: bool = False) -> str:
    """``3 steals: 2 adapted, 1 accelerated`` (and the 63/29/8 reference when asked)."""
    total = sum(mix.values())
    if not total:
        return "no steals yet"
    parts = [f"{mix[m]} {MODE_LABELS[m]}" for m in MODE_LABELS if mix.get(m)]
    text = f"{count(total, 'steal')}: {', '.join(parts)}"
    if reference:
        text += " (Beacon survey: 63% adapted, 29% accelerated, 8% closely based)"
    return text


def _section(label: str, value: str, limit: int | None = None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    body = truncate(value, limit) if limit else value
    return f"*{label}*\n{literal(body)}"


def _tags(tags: Iterable[str]) -> str:
    return " ".join(f"#{t}" for t in tags)


def withdrawn_text(practice_id: int) -> str:
    """What a channel card says once its practice is gone."""
    return f"_Practice #{practice_id} is no longer available._"


def card_text(p: Practice, author: str, mix: Counter | None = None) -> str:
    """The channel post: enough to spark interest, the tacit part up front."""
    lines = [f"*{literal(p.title)}*" + ("  ⭐" if p.featured else ""), f"_shared by {literal(author)}_ · practice #{p.id}"]
    for label, value in (
        ("The problem", p.problem),
        ("What we did", p.what_we_did),
        ("What made it work", p.what_made_it_work),
        ("Watch out for", p.watch_out_for),
    ):
        section = _section(label, value, 400)
        if section:
            lines.append(section)
    if p.tags:
        lines.append(_tags(p.tags))
    if mix:
        lines.append(mix_summary(mix))
    lines.append(f"`/beacon practice {p.id}` for the full post.")
    return "\n".join(lines)


def full_text(
    p: Practice,
    author: str,
    mix: Counter,
    steals: list[StealLine],
    questions: list[QuestionLine] = (),
) -> str:
    """Everything about one practice: all fields, each steal with its outcome, public Q&A."""
    status = {"withdrawn": " (withdrawn by the author)", "hidden": " (hidden by a facilitator)"}.get(p.status, "")
    lines = [f"*{literal(p.title)}*{status}" + ("  ⭐ featured" if p.featured else ""), f"_shared by {literal(author)}_ · practice #{p.id}"]
    for label, value in (
        ("The problem or context", p.problem),
        ("What we did", p.what_we_did),
        ("What made it work", p.what_made_it_work),
        ("Watch out for", p.watch_out_for),
        ("Evidence or results", p.evidence),
        ("Who to talk to", p.contact),
    ):
        section = _section(label, value)
        if section:
            lines.append(section)
    if p.tags:
        lines.append(_tags(p.tags))
    lines.append(f"*Steals*: {mix_summary(mix, reference=bool(mix))}")
    for s in steals:
        line = f"• {literal(s.who)}: {MODE_LABELS.get(s.mode, s.mode)}"
        if s.note:
            line += f" ({literal(s.note)})"
        if s.outcome:
            line += f" → {OUTCOME_LABELS.get(s.outcome, s.outcome)}"
            if s.outcome_note:
                line += f": {literal(s.outcome_note)}"
        lines.append(line)
    if questions:
        lines.append("*Questions*")
        for q in questions:
            lines.append(f"Q: {literal(q.question)}\nA: {literal(q.answer)}")
    return "\n".join(lines)


def list_line(p: Practice, author: str, mix: Counter) -> str:
    star = "⭐ " if p.featured else ""
    tags = f" {_tags(p.tags[:3])}" if p.tags else ""
    return f"{star}*#{p.id} {literal(truncate(p.title, 80))}* by {literal(author)}{tags}. {mix_summary(mix)}"
