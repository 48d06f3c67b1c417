"""The pairing flow's part of ``/beacon my-data`` and ``/beacon forget-me``.

A member's places in rounds (hosted, met, what they learned) are theirs to
export. Forgetting deletes their places and excludes, and takes them out of
the groups and learning notes other members still keep.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from bot.store.models import Member
from bot.store.pairing import PairExclude, PairGroup, PairingRound, PairMember

__all__ = ["export_member", "forget_member", "words_of"]


def export_member(session: Session, member: Member) -> list[dict[str, Any]]:
    rows = session.exec(
        select(PairMember, PairingRound, PairGroup)
        .join(PairingRound, col(PairingRound.id) == col(PairMember.round_id))
        .join(PairGroup, col(PairGroup.id) == col(PairMember.group_id))
        .where(PairMember.member_id == member.id)
        .order_by(PairingRound.ran_at)
    ).all()
    return [
        {"round": rnd.number, "date": rnd.ran_at.isoformat(), "hosted": grp.host_id == member.id, "met": row.met, "learned": row.learned}  # fmt: skip
        for row, rnd, grp in rows
    ]


def words_of(session: Session, member: Member, keep_shared: bool) -> list[str]:
    """What the member said they learned: private to the pair, gone everywhere with them."""
    return [t for t in session.exec(select(PairMember.learned).where(PairMember.member_id == member.id)) if t]


def forget_member(session: Session, member: Member, keep_shared: bool) -> None:
    """Delete the member's places and answers; take them out of others' groups and lines."""
    needles = [n for n in {member.display_name, member.username or ""} if len(n) >= 2]
    group_ids = set(session.exec(select(PairMember.group_id).where(PairMember.member_id == member.id)))
    for row in session.exec(select(PairMember).where(PairMember.member_id == member.id)).all():
        session.delete(row)
    for ex in session.exec(select(PairExclude).where((PairExclude.member_a == member.id) | (PairExclude.member_b == member.id))).all():
        session.delete(ex)
    session.flush()
    for gid in group_ids:
        group = session.get(PairGroup, gid)
        rest = session.exec(select(PairMember).where(PairMember.group_id == gid)).all()
        if not rest:
            session.delete(group)
            continue
        if group.host_id == member.id:
            group.host_id = None
        group.reasons = [r for r in group.reasons or [] if member.id not in _ids_in(r)]
        session.add(group)
        for other in rest:
            if other.learned and needles:
                cleaned = other.learned
                for needle in sorted(needles, key=len, reverse=True):
                    cleaned = re.sub(rf"(?<!\w)@?{re.escape(needle)}(?!\w)", "a former member", cleaned, flags=re.I)
                if cleaned != other.learned:
                    other.learned = cleaned
                    session.add(other)
    session.flush()


def _ids_in(reason: list) -> set[int]:
    out: set[int] = set()
    for x in reason[1:]:
        if isinstance(x, int):
            out.add(x)
        elif isinstance(x, list | tuple):
            out.update(i for i in x if isinstance(i, int))
    return out
