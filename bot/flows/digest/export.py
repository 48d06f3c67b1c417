"""Exports for evaluation reports: the digest as Markdown or HTML, and the counts
behind it as CSV or JSON, one row per member per week.

Counts come from GROUP BY member and week (a CASE over local-midnight week
boundaries); no reflection text is exported except what members shared.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from bot.flows.digest.period import Period, local_midnight
from bot.flows.digest.query import activity, answered_late, answers, bucket_of, first_done, shared_answers
from bot.flows.digest.render import build_doc, to_html, to_markdown
from bot.flows.digest.weekly import compose
from bot.store.answers import AnswerKind
from bot.store.commitments import Commitment
from bot.store.models import Member, Network
from bot.store.pairing import MetStatus
from bot.store.practices import Practice, Steal
from bot.store.reflection import Prompt, PromptStatus, Reflection

__all__ = ["COLUMNS", "FORMATS", "export", "member_weeks", "to_csv"]

FORMATS = ("md", "html", "csv", "json")
COUNTS = ("prompts_sent", "prompts_answered", "reflections", "reflections_shared", "commitments_made",
          "commitments_done", "practices_posted", "steals", "pairs_met", "active")  # fmt: skip
COLUMNS = ("week_start", "member_id", "member", "organisation", "role", *COUNTS)


def week_bounds(first: date, last: date, zone: str) -> tuple[list[date], list]:
    """Weeks starting on ``first`` (the last one cut at ``last``), as local days and UTC instants."""
    tz = ZoneInfo(zone)
    days = [first + timedelta(days=7 * k) for k in range((last - first).days // 7 + 1)]
    return days, [local_midnight(d, tz) for d in days] + [local_midnight(last + timedelta(days=1), tz)]


def member_weeks(session: Session, network_id: int, first: date, last: date, zone: str) -> list[dict[str, Any]]:
    """Per member and week: the counts behind the digest (members from the week they joined)."""
    days, bounds = week_bounds(first, last, zone)
    lo, hi = bounds[0], bounds[-1]
    counts: dict[tuple[int, int], dict[str, int]] = {}

    def add(name: str, member_col, time_col, *where, base=None, value=None) -> None:
        b = bucket_of(time_col, bounds)
        stmt = (base if base is not None else select()).add_columns(member_col, b, value if value is not None else func.count())
        stmt = stmt.where(time_col >= lo, time_col < hi, *where).group_by(member_col, b)
        for member_id, bucket, n in session.execute(stmt).all():
            if member_id is not None and bucket >= 0 and n:
                counts.setdefault((member_id, bucket), {})[name] = int(n)

    nid = network_id
    add("prompts_sent", Prompt.member_id, col(Prompt.sent_at), Prompt.network_id == nid)
    add("prompts_answered", Prompt.member_id, col(Prompt.sent_at), Prompt.network_id == nid,
        value=func.sum(case((Prompt.status == PromptStatus.ANSWERED, 1), else_=0)))  # fmt: skip
    late = answered_late(nid, bounds)  # answered only after the end of the week it was sent in: not in it, as in the digest
    add("answered_late", late.c.member_id, late.c.sent_at, base=select().select_from(late))
    add("reflections", Reflection.member_id, col(Reflection.completed_at), Reflection.network_id == nid)
    add("reflections_shared", Reflection.member_id, col(Reflection.shared_at), Reflection.network_id == nid,
        col(Reflection.shared).in_(("anonymous", "named")))  # fmt: skip
    add("commitments_made", Commitment.member_id, col(Commitment.created_at), Commitment.network_id == nid)
    done = first_done(nid, hi)  # in the week it was first marked done, as in the digest
    add("commitments_done", done.c.member_id, done.c.at, base=select().select_from(done))
    add("practices_posted", Practice.author_id, col(Practice.created_at), Practice.network_id == nid)
    add("steals", Steal.member_id, col(Steal.created_at), Practice.network_id == nid,
        base=select().select_from(Steal).join(Practice, col(Practice.id) == col(Steal.practice_id)))  # fmt: skip
    met = answers(nid, AnswerKind.PAIR, lo, hi, MetStatus.MET.value)  # each "met" in the week it was said, as in the digest
    add("pairs_met", met.c.member_id, met.c.at, base=select().select_from(met), value=func.count(func.distinct(met.c.subject_id)))
    for c in counts.values():
        c["prompts_answered"] = c.get("prompts_answered", 0) - c.pop("answered_late", 0)
    act = activity(nid, lo, hi)
    ab = bucket_of(act.c.at, bounds)
    for member_id, bucket in session.execute(select(act.c.member_id, ab).group_by(act.c.member_id, ab)).all():
        if member_id is not None and bucket >= 0:
            counts.setdefault((member_id, bucket), {})["active"] = 1

    members = session.execute(
        select(Member.id, Member.display_name, Member.organisation, Member.is_facilitator, Member.is_coordinator, Member.created_at)
        .where(Member.network_id == nid, col(Member.created_at) < hi)
        .order_by(Member.id)
    ).all()
    rows = []
    for i, day in enumerate(days):
        for mid, name, org, fac, coord, created in members:
            if created >= bounds[i + 1]:
                continue
            c = counts.get((mid, i), {})
            rows.append({"week_start": day.isoformat(), "member_id": mid, "member": name, "organisation": org or "",
                         "role": _role_cell(fac, coord), **{k: c.get(k, 0) for k in COUNTS}})  # fmt: skip
    return rows


def _role_cell(facilitator: bool, coordinator: bool) -> str:
    """One word per role held; ``member`` for the many who hold none."""
    return " ".join(n for n, held in (("facilitator", facilitator), ("coordinator", coordinator)) if held) or "member"


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def export(session: Session, network: Network, fmt: str, period: Period, *, quiet_weeks: int = 3) -> str:
    """The report for ``period`` in ``fmt`` (md, html: the coordinators' digest; csv, json: the counts)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt in ("md", "html"):
        digest, png = compose(session, network, period, quiet_weeks=quiet_weeks, chart=fmt == "html")
        doc = build_doc(digest, names=True, quiet_weeks=quiet_weeks)
        return to_markdown(doc) if fmt == "md" else to_html(doc, image=png)
    rows = member_weeks(session, network.id, period.first_day, period.last_day, period.zone)
    if fmt == "csv":
        return to_csv(rows)
    shared = session.execute(shared_answers(network.id, period.start, period.end)).all()
    return json.dumps({
        "network": network.name, "zone": period.zone,
        "from": period.first_day.isoformat(), "to": period.last_day.isoformat(),
        "shared_excerpts": [{"who": name if mode == "named" else "a member", "text": text} for text, mode, name in shared],
        "rows": rows,
    }, ensure_ascii=False, indent=1)  # fmt: skip
