"""The digest as words: a platform-neutral document, then text for each use.

:func:`build_doc` decides what is said (a section only when it has something
to say; quiet members named only for coordinators); :func:`to_outgoing`
gives the chat message in light markup, which each adapter renders natively
within its limits (Slack sections and blocks, Telegram's 4,096 characters);
:func:`to_markdown` and :func:`to_html` are the command line's reports.
Pure: no database, no clock.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass

from bot.core import markup
from bot.core.messages import Address, Attachment, Outgoing
from bot.flows.digest.data import Digest
from bot.flows.digest.flags import REFERENCE_LINE, before, look_at, pct, trend

__all__ = ["Doc", "Section", "build_doc", "to_html", "to_markdown", "to_outgoing", "to_text"]

MODE_LABELS = {"adapted": "adapted", "accelerated": "accelerated", "closely_based": "closely based"}
OUTCOME_LABELS = {"worked": "worked", "partly": "partly worked", "didnt": "didn't work", "too_early": "too early to say"}
PRIVACY = "Private reflections are never included; excerpts are what members chose to share."
CHANNEL_PRIVACY = "Posted in a channel: counts only, no names and no quotes."


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Doc:
    """Header, sections of lines (light markup, user text protected) and context lines."""

    header: str
    sections: tuple[Section, ...]
    context: tuple[str, ...]


def _lit(text: str) -> str:
    return markup.literal(text)


def _mix(mix: dict[str, int]) -> str:
    total = sum(mix.values())
    return " · ".join(f"{MODE_LABELS[m]} {pct(n / total if total else None)}" for m, n in mix.items())


def _participation(d: Digest, names: bool) -> Section | None:
    p = d.participation
    lines = []
    if p.sent or p.baseline_sent:
        then = f"; {before(p.baseline_periods, d.period.days)}: {pct(p.baseline_rate)}" if p.baseline_sent and p.baseline_periods else ""
        arrow = trend(p.rate, p.baseline_rate, p.sent, p.baseline_sent)
        lines.append(f"Prompts: {p.sent} sent, {p.answered} answered (*{pct(p.rate)}*{then}){arrow}")
    if p.active or p.baseline_active:
        avg = f" ({before(p.baseline_periods, d.period.days)}, on average: {p.baseline_active:.0f})" if p.baseline_periods else ""
        lines.append(f"Active members: *{p.active}* of {p.members}{avg}")
    if p.new_members:
        lines.append(f"New members: {p.new_members}")
    q = p.quiet
    if q.count:
        head = f"Gone quiet ({q.weeks}+ weeks without a sign of life): *{q.count}*"
        if names and q.names:
            more = f", and {q.count - len(q.names)} more" if q.count > len(q.names) else ""
            head += ": " + ", ".join(_lit(n) for n in q.names) + more
        lines.append(head)
    return Section("Participation", tuple(lines)) if lines else None


def _reflections(d: Digest, quotes: bool) -> Section | None:
    r = d.reflections
    if not (r.completed or r.shared or r.baseline_completed):
        return None
    n = d.participation.baseline_periods
    avg = f" ({before(n, d.period.days)}, on average: {r.baseline_completed / n:.0f})" if n else ""
    lines = [f"Reflections completed: *{r.completed}*{avg}; shared: {r.shared}"]
    if not quotes:
        return Section("Reflections", tuple(lines))
    if r.themes:
        lines.append("Themes in shared answers: " + ", ".join(f"_{_lit(t)}_ ({n})" for t, n in r.themes))
    lines.extend(f"> “{_lit(e.text)}” — {_lit(e.who)}" for e in r.excerpts)
    return Section("Reflections", tuple(lines))


def _commitments(d: Digest) -> Section | None:
    c = d.commitments
    if not (c.made or c.done or c.overdue):
        return None
    return Section("Commitments", (f"Made: *{c.made}* · done: *{c.done}* · overdue at the period's end: *{c.overdue}*",))


def _pairs(d: Digest, quotes: bool) -> Section | None:
    p = d.pairs
    if not (p.formed or p.answered):
        return None
    lines = []
    if p.formed:
        lines.append(f"Pairs and trios formed: *{p.formed}*")
    if p.answered:
        lines.append(f"Met: *{p.met}* of {p.answered} that answered the follow-up ({pct(p.met_rate)})")
    if p.learned and quotes:
        lines.append("What members said they learned (shared by them with the coordinators):")
        lines.extend(f"> “{_lit(t)}”" for t in p.learned)
    return Section("Learning pairs", tuple(lines))


def _practices(d: Digest, quotes: bool) -> Section | None:
    p = d.practices
    if not (p.new_posts or p.steals or p.outcomes):
        return None
    lines = []
    if p.new_posts:
        lines.append(f"New practices shared: *{p.new_posts}*")
    if p.steals:
        lines.append(f"Steals: *{p.steals}*")
        if quotes:
            top = ", ".join(f"“{_lit(t)}” ({n})" for t, n in p.most_stolen)
            lines.append(f"Most stolen: {top}")
        lines.append(f"Steal mix this period: {_mix(p.mix)}")
    if sum(p.mix_all.values()):
        lines.append(f"Steal mix all time ({sum(p.mix_all.values())}): {_mix(p.mix_all)}")
        lines.append(REFERENCE_LINE)
    if p.outcomes:
        lines.append(
            "Outcomes reported: " + ", ".join(f"{OUTCOME_LABELS.get(k, k)} {n}" for k, n in sorted(p.outcomes.items(), key=lambda kv: -kv[1]))
        )
    return Section("Steal with pride", tuple(lines))


def build_doc(d: Digest, *, names: bool, quotes: bool = True, quiet_weeks: int = 3) -> Doc:
    """What the digest says. ``names``: the reader is a coordinator (quiet members named);
    ``quotes``: a direct message, which may quote what members chose to share. A channel
    gets neither: counts only, as the bot promises when a channel is added."""
    parts = [_participation(d, names), _reflections(d, quotes), _commitments(d), _pairs(d, quotes), _practices(d, quotes)]
    flags = look_at(d, quiet_weeks=quiet_weeks, titles=quotes)
    if flags:
        parts.append(Section("What to look at", tuple(flags)))
    sections = tuple(s for s in parts if s is not None)
    if not sections:
        sections = (Section("A quiet week", ("Nothing happened in the network this period.",)),)
    n = d.participation.baseline_periods
    compared = f", compared with {before(n, d.period.days)}" if n else ""
    context = (f"{d.period.label()} ({d.period.zone}){compared}.", PRIVACY if quotes else CHANNEL_PRIVACY)
    return Doc(header=f"Digest: {d.network}", sections=sections, context=context)


def _bullet(line: str) -> str:
    return line if line.startswith("> ") else f"• {line}"


def to_text(doc: Doc) -> str:
    """Light markup: one paragraph per section (adapters split on paragraphs)."""
    blocks = ["\n".join([f"*{s.title}*", *(_bullet(ln) for ln in s.lines)]) for s in doc.sections]
    blocks.append("\n".join(f"_{c}_" for c in doc.context))
    return "\n\n".join(blocks)


def to_outgoing(doc: Doc, to: Address, *, image: bytes | None = None) -> Outgoing:
    return Outgoing(text=to_text(doc), to=to, header=doc.header, attachment=Attachment.picture(image, "digest.png") if image else None)


def to_markdown(doc: Doc) -> str:
    out = [f"# {doc.header}", ""]
    for s in doc.sections:
        out += [f"## {s.title}", ""]
        out += [markup.to_markdown(ln) if ln.startswith("> ") else "- " + markup.to_markdown(ln) for ln in s.lines]
        out.append("")
    out += [f"_{c}_  " for c in doc.context]
    return "\n".join(out).rstrip() + "\n"


def to_html(doc: Doc, *, image: bytes | None = None) -> str:
    """A standalone page (chart embedded) for evaluation reports."""
    body = [f"<h1>{html.escape(doc.header)}</h1>"]
    for s in doc.sections:
        items = []
        for ln in s.lines:
            rendered = markup.to_telegram_html(ln)
            items.append(f"<li>{rendered}</li>" if not ln.startswith("> ") else f"<li class=quote>{rendered}</li>")
        body.append(f"<h2>{html.escape(s.title)}</h2>\n<ul>\n" + "\n".join(items) + "\n</ul>")
    if image:
        body.append(f'<p><img alt="Participation, answer rate and steal mix" width="1200" '
                    f'src="data:image/png;base64,{base64.b64encode(image).decode()}"></p>')  # fmt: skip
    body.extend(f"<p><small>{html.escape(c)}</small></p>" for c in doc.context)
    return ("<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>{html.escape(doc.header)}</title></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n")  # fmt: skip
