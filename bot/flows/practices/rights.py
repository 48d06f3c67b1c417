"""The practices flow's part of ``/beacon my-data`` and ``/beacon forget-me``.

What a member leaves behind in steal-with-pride: their posts, their steals
(mode, notes, how it went), their saved practices, the questions they asked
and the answers they gave. Forgetting deletes all of it, except that with
``keep_shared`` their *active or hidden* posts stay for everyone else,
detached from them (``author_id`` None, which the cards show as "a former
member"), with the contact line cleared and their names taken out of the
text; public answers on those posts stay too, as part of the post.

Without ``keep_shared`` their posts go, and with them everything that hangs
off a post (other members' steals, saves and questions of it): a steal of a
practice that no longer exists says nothing. On SQLite the FTS triggers drop
the search rows; on PostgreSQL the search vector is a generated column of
the row, so it goes with it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, col, delete, select

from bot.core.members import needles_of, scrub  # one definition of what names a member
from bot.flows.practices.cards import withdrawn_text
from bot.store.models import Member, OutboxMessage
from bot.store.practices import Practice, PracticeQuestion, PracticeStatus, SavedPractice, Steal, posted_card

__all__ = ["export_member", "forget_member", "words_of"]

logger = logging.getLogger(__name__)

_TEXT_FIELDS = ("title", "problem", "what_we_did", "what_made_it_work", "watch_out_for", "evidence")
_KEPT_STATUSES = (PracticeStatus.ACTIVE.value, PracticeStatus.HIDDEN.value)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _titles(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.exec(select(Practice.id, Practice.title).where(col(Practice.id).in_(ids))).all())


def export_member(session: Session, member: Member) -> dict[str, Any]:
    """Their posts in full, their steals, saves, questions asked and answers given."""
    posts = session.exec(select(Practice).where(Practice.author_id == member.id).order_by(col(Practice.id))).all()
    steals = session.exec(select(Steal).where(Steal.member_id == member.id).order_by(col(Steal.id))).all()
    saved = session.exec(select(SavedPractice).where(SavedPractice.member_id == member.id).order_by(col(SavedPractice.id))).all()
    asked = session.exec(select(PracticeQuestion).where(PracticeQuestion.asker_id == member.id).order_by(col(PracticeQuestion.id))).all()
    own_ids = [p.id for p in posts]
    answered = (
        session.exec(
            select(PracticeQuestion)
            .where(col(PracticeQuestion.practice_id).in_(own_ids), col(PracticeQuestion.answer).is_not(None))
            .order_by(col(PracticeQuestion.id))
        ).all()
        if own_ids
        else []
    )
    titles = _titles(session, {s.practice_id for s in steals} | {s.practice_id for s in saved} | {q.practice_id for q in asked})
    return {
        "posts": [
            {"id": p.id, "created_at": _iso(p.created_at), "status": p.status, "tags": list(p.tags), "contact": p.contact,
             **{f: getattr(p, f) for f in _TEXT_FIELDS}}
            for p in posts
        ],
        "steals": [
            {"practice": s.practice_id, "title": titles.get(s.practice_id), "mode": s.mode, "note": s.adaptation_note,
             "created_at": _iso(s.created_at), "outcome": s.outcome, "outcome_note": s.outcome_note}
            for s in steals
        ],
        "saved": [{"practice": s.practice_id, "title": titles.get(s.practice_id), "saved_at": _iso(s.created_at)} for s in saved],
        "questions_asked": [
            {"practice": q.practice_id, "title": titles.get(q.practice_id), "question": q.question, "answer": q.answer,
             "asked_at": _iso(q.created_at)}
            for q in asked
        ],
        "answers_given": [
            {"practice": q.practice_id, "question": q.question, "answer": q.answer, "public": q.public,
             "answered_at": _iso(q.answered_at)}
            for q in answered
        ],
    }  # fmt: skip


def _delete_practices(session: Session, ids: list[int]) -> None:
    """Posts and everything hanging off them (the FTS delete trigger drops the search rows)."""
    if not ids:
        return
    for table in (Steal, SavedPractice):
        session.exec(delete(table).where(col(table.practice_id).in_(ids)))
    session.exec(delete(PracticeQuestion).where(col(PracticeQuestion.practice_id).in_(ids)))
    session.exec(delete(Practice).where(col(Practice.id).in_(ids)))


def _withdraw_card(session: Session, p: Practice) -> None:
    """Rewrite the stored copies of the practice's channel card (the post and any
    edits of it) as withdrawn; forgetting edits the visible one to match."""
    post = posted_card(session, p)
    if post is None:
        return
    copies = session.exec(
        select(OutboxMessage).where(OutboxMessage.network_id == post.network_id,
                                    OutboxMessage.platform_message_id == post.platform_message_id)
    ).all()  # fmt: skip
    for row in copies:
        row.payload = {**row.payload, "text": withdrawn_text(p.id), "choices": [], "header": None}
        session.add(row)


def words_of(session: Session, member: Member, keep_shared: bool) -> list[str]:
    """What forgetting deletes of the member's words: their steal notes and outcomes, the
    questions they asked, their private answers, and their posts unless kept as shared."""
    out: list[str] = []
    for s in session.exec(select(Steal).where(Steal.member_id == member.id)).all():
        out += [s.adaptation_note, s.outcome_note]
    out += list(session.exec(select(PracticeQuestion.question).where(PracticeQuestion.asker_id == member.id)))
    for p in session.exec(select(Practice).where(Practice.author_id == member.id)).all():
        kept = keep_shared and p.status in _KEPT_STATUSES
        if not kept:
            out += [getattr(p, f) for f in _TEXT_FIELDS]
        answers = select(PracticeQuestion).where(PracticeQuestion.practice_id == p.id, col(PracticeQuestion.answer).is_not(None))
        out += [q.answer for q in session.exec(answers).all() if not (kept and q.public)]
    return [t for t in out if t]


def forget_member(session: Session, member: Member, keep_shared: bool) -> None:
    """Delete the member's steals, saves and questions; keep or delete their posts (see module doc)."""
    session.exec(delete(Steal).where(Steal.member_id == member.id))
    session.exec(delete(SavedPractice).where(SavedPractice.member_id == member.id))
    session.exec(delete(PracticeQuestion).where(PracticeQuestion.asker_id == member.id))
    posts = session.exec(select(Practice).where(Practice.author_id == member.id)).all()
    keep = [p for p in posts if keep_shared and p.status in _KEPT_STATUSES]
    for p in posts:
        if p not in keep:
            _withdraw_card(session, p)
    _delete_practices(session, [p.id for p in posts if p not in keep])
    needles = needles_of(member, session)
    for p in keep:
        p.author_id = None
        p.contact = ""
        for field in _TEXT_FIELDS:
            setattr(p, field, scrub(getattr(p, field), needles))
        p.title = p.title[:200]
        session.add(p)
        for q in session.exec(select(PracticeQuestion).where(PracticeQuestion.practice_id == p.id)).all():
            if q.public and q.answer:
                q.answer = scrub(q.answer, needles)  # part of the shared post, by the member's choice
            else:
                q.answer, q.answered_at = None, None  # a private reply of theirs
            session.add(q)
    session.flush()
    logger.info("practices of member %s: %d kept (detached), %d deleted", member.id, len(keep), len(posts) - len(keep))
