"""Member rights: ``/beacon my-data``, ``/beacon forget-me`` and retention of raw replies.

Every flow that stores personal data registers ``router.personal_data(...)``;
the export and the forgetting here call every registered part, so a new flow
cannot be left out.

Forgetting *anonymises* the member row rather than deleting it: other
people's history (pairs, audit entries, practices kept on purpose) refers to
it by id, and those references stay valid while naming nobody. The name
becomes "a former member", every other personal field is cleared, and the
platform user id is replaced by a random tombstone once the goodbye message
has been delivered (the goodbye needs the real id to reach them). If that
person writes again they are a new member.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import UsageError, UserError
from bot.core.members import FORGOTTEN_NAME, FORGOTTEN_PREFIX, Redactor, is_forgotten, map_strings, needles_of, scrub
from bot.core.messages import Address, Attachment, Choice, Outgoing
from bot.core.numbers import parse_id, parse_number
from bot.core.router import Router
from bot.store import outbox
from bot.store.flows import ensure_flow
from bot.store.housekeeping import retention_days
from bot.store.models import CONVERSATION_OF, AuditEntry, Conversation, Member, Network, OutboxMessage, OutboxStatus, Role

__all__ = ["register", "export_member", "forget_member", "RETENTION_KIND"]

logger = logging.getLogger(__name__)

FORGET_ACTION = "rights.forget"
GOODBYE_KEY = "rights:goodbye:"
RETENTION_KIND = "retention"
RETENTION_SCHEDULE = "every day 03:00"
MAX_RETENTION_DAYS = 3650


# -- export ------------------------------------------------------------------------------


def _member_row(member: Member) -> dict[str, Any]:
    return member.model_dump(mode="json", exclude={"id", "network_id"})


def export_member(session: Session, router: Router, member: Member) -> dict[str, Any]:
    """Everything stored about ``member``: their row, their open conversation,
    the changes they made, and every flow's registered part."""
    network = session.get(Network, member.network_id)
    conv = session.exec(CONVERSATION_OF, params={"member_id": member.id}).first()
    changes = session.exec(select(AuditEntry).where(AuditEntry.actor_id == member.id).order_by(AuditEntry.id)).all()
    data: dict[str, Any] = {
        "network": network.name if network else None,
        "member": _member_row(member),
        "open_conversation": conv.state if conv else None,
        "changes_you_made": [
            {"when": e.created_at.isoformat(), "action": e.action, "target": e.target, "before": e.before, "after": e.after} for e in changes
        ],
    }
    for name, part in router.personal.items():
        data[name] = part.export(session, member)
    return data


def _summary(data: dict[str, Any]) -> str:
    parts = []
    for name, value in data.items():
        if name in ("network", "member", "open_conversation"):
            continue
        if isinstance(value, list):
            parts.append(f"{name}: {len(value)}")
        elif isinstance(value, dict):
            parts.append(f"{name}: {sum(len(v) if isinstance(v, list) else 1 for v in value.values())}")
    return ", ".join(parts)


def _my_data(ctx: Context) -> None:
    if ctx.args:
        raise UsageError("`/beacon my-data` takes no arguments.")
    data = export_member(ctx.session, ctx.router, ctx.member)
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    text = (
        f"Here is everything Beacon stores about you in {markup.literal(ctx.network.name)}, as my-data.json: "
        f"your profile and {_summary(data) or 'nothing else yet'}.\n"
        "`/beacon forget-me` deletes it."
    )
    ctx.send(Outgoing(text=text, to=Address.member(ctx.member.id), attachment=Attachment.file(body, "my-data.json", "application/json")))
    if ctx.incoming is not None and not ctx.incoming.is_private:
        ctx.reply("I've sent your data to you in a private message.")


# -- forgetting --------------------------------------------------------------------------------


def _channel_post(row: OutboxMessage) -> bool:
    """A message the bot posted where others can see it (its current version is the latest row under its reference)."""
    to = (row.payload or {}).get("to") or {}
    return row.status == OutboxStatus.SENT and row.platform_message_id is not None and bool(to.get("channel")) and not to.get("private_to")


def _fingerprint(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, default=str)


def _channel_fingerprints(session: Session, network_id: int) -> dict[str, tuple[int, str]]:
    """Each channel post's latest row and what it said, before anything is forgotten."""
    seen: dict[str, tuple[int, str]] = {}
    for rows in outbox.in_batches(session, OutboxMessage.network_id == network_id, OutboxMessage.status == OutboxStatus.SENT):
        for row in rows:
            if _channel_post(row):
                seen[row.platform_message_id] = (row.id, _fingerprint(row.payload))
    return seen


def _scrub_outbox(session: Session, member: Member, needles: dict[str, str], redact: Redactor, before: dict[str, tuple[int, str]]) -> list[Outgoing]:
    """Cancel and delete messages to the member; take their name and their words out of
    everyone else's, a batch at a time (the outbox holds every message ever sent).

    Returns an edit for every channel post whose current version now differs
    from what it said before forgetting began (``before``): a name or an excerpt
    taken out, a practice card withdrawn by its flow.
    """
    edits: list[Outgoing] = []
    outbox.forget_addressed(session, member.id)
    for rows in outbox.in_batches(session, OutboxMessage.network_id == member.network_id):
        for row in rows:
            if row.member_id == member.id:
                session.delete(row)  # pending ones are cancelled; sent ones were theirs alone
                continue
            payload = dict(row.payload or {})
            to = dict(payload.get("to") or {})
            if member.id in (to.get("members") or []) and row.status == OutboxStatus.PENDING:
                to["members"] = [m for m in to["members"] if m != member.id]
                payload["to"] = to
            cleaned = redact(scrub(payload, needles))
            if cleaned != row.payload:
                row.payload = cleaned
                session.add(row)
            ref = row.platform_message_id
            if (
                _channel_post(row)
                and before.get(ref, (None,))[0] == row.id
                and _fingerprint(cleaned) != before[ref][1]
                and not (cleaned.get("attachment") or cleaned.get("image"))
            ):
                edits.append(_edit_of(row, ref))
    return edits


def _scrub_audit(session: Session, member: Member, needles: dict[str, str]) -> None:
    for entry in session.exec(select(AuditEntry).where(AuditEntry.network_id == member.network_id)).all():
        before, after, target = scrub(entry.before, needles), scrub(entry.after, needles), scrub(entry.target, needles)
        if (before, after, target) != (entry.before, entry.after, entry.target):
            entry.before, entry.after, entry.target = before, after, target
            session.add(entry)


def _words_of(session: Session, router: Router, member: Member, keep_shared: bool, conv: Conversation | None) -> list[str]:
    """Everything the member wrote that forgetting deletes: their profile, an answer in progress, and each flow's part."""
    words = [member.wants, member.offers]
    if conv is not None:
        map_strings(conv.state, words.append)  # an answer in progress
    for part in router.personal.values():
        if part.words is not None:
            words += part.words(session, member, keep_shared)
    return [w for w in words if w]


def forget_member(session: Session, router: Router, member: Member, *, keep_shared: bool) -> list[Outgoing]:
    """Delete or anonymise everything about ``member`` (see the module docstring).

    What they wrote goes from every copy too: the flows say what it is
    (``router.personal_data(words=...)``) before they delete it, and every
    message queued or kept in the outbox loses it, as it loses their name.
    Returns the edits that bring what people can still see in channels in
    line: every post whose current version changed here (a name or an excerpt
    taken out, a practice card withdrawn), to be queued by the caller.
    """
    needles = needles_of(member, session)
    conv = session.exec(CONVERSATION_OF, params={"member_id": member.id}).first()
    redact = Redactor(_words_of(session, router, member, keep_shared, conv))
    before = _channel_fingerprints(session, member.network_id)
    for name, part in router.personal.items():
        part.forget(session, member, keep_shared)
        logger.info("forgot member %s in %s", member.id, name)
    if conv is not None:
        session.delete(conv)
    session.flush()
    edits = _scrub_outbox(session, member, needles, redact, before)
    _scrub_audit(session, member, needles)
    member.display_name = FORGOTTEN_NAME
    member.username = member.organisation = member.timezone = member.cohort = None
    member.wants = member.offers = ""
    member.wants_tags, member.offers_tags, member.opted_out = [], [], []
    member.paused_until = member.last_active_at = None
    member.is_facilitator = member.is_coordinator = False
    member.unreachable, member.unreachable_reason, member.has_private_chat = True, "forgotten", False
    session.add(member)
    session.flush()
    return edits


def _edit_of(row: OutboxMessage, ref: str) -> Outgoing:
    shown = Outgoing.from_dict(row.payload)
    return replace(shown, edit=ref, trigger=None, response_url=None)


def tombstone(session: Session, member: Member) -> None:
    """The last step: the platform user id goes, so no row can lead back to the person."""
    if member.platform_user_id.startswith(FORGOTTEN_PREFIX):
        return
    member.platform_user_id = f"{FORGOTTEN_PREFIX}{uuid.uuid4().hex}"
    member.display_name, member.username, member.dm_channel = FORGOTTEN_NAME, None, None
    member.unreachable, member.unreachable_reason, member.has_private_chat = True, "forgotten", False
    session.add(member)


def _goodbye_delivered(session: Session, key: str, sent: bool) -> None:
    member_id = key[len(GOODBYE_KEY) :]
    member = session.get(Member, n) if (n := parse_id(member_id)) else None
    if member is not None and member.unreachable_reason == "forgotten":
        tombstone(session, member)
        logger.info("member %s forgotten (goodbye %s)", member.id, "sent" if sent else "not delivered")


def _forget_me(ctx: Context) -> None:
    if ctx.args:
        raise UsageError("`/beacon forget-me` takes no arguments; it asks before deleting anything.")
    last = ""
    if ctx.member.is_facilitator:
        others = [m for m in ctx.members(include_unreachable=True) if m.id != ctx.member.id and m.is_facilitator and not is_forgotten(m)]
        if not others:
            last = "\n_You are the last facilitator: grant the role to someone first (`/beacon role grant @someone facilitator`), or the network will have none._"
    ctx.reply(
        "*Delete your data from Beacon?*\n"
        "This deletes your profile, your reflections and answers, your commitments and everything else "
        f"stored about you in {markup.literal(ctx.network.name)}. It can't be undone. "
        'Practices you shared can stay, attributed to "a former member", or go too.\n'
        "`/beacon my-data` first if you want a copy." + last,
        choices=(
            Choice("Delete my data", FORGET_ACTION, "all", style="danger"),
            Choice("Keep shared practices, delete the rest", FORGET_ACTION, "keep_shared"),
            Choice("Cancel", FORGET_ACTION, "cancel"),
        ),
    )


def _forget_pressed(ctx: Context) -> None:
    choice = ctx.incoming.value
    if choice == "cancel":
        ctx.edit_choice_message("✓ Cancelled. Nothing was deleted.")
        return
    if choice not in ("all", "keep_shared"):
        raise UserError("That button no longer does anything. Type `/beacon forget-me` to start again.")
    member = ctx.member
    keep_shared = choice == "keep_shared"
    for edit in forget_member(ctx.session, ctx.router, member, keep_shared=keep_shared):
        ctx.send(edit)  # the channel copy people can still see, where the platform allows
    ctx.edit_choice_message("✓ Deleting your data…")
    ctx.audit("rights.forget", f"member:{member.id}", before=None, after={"keep_shared": keep_shared})
    kept = ' Your shared practices stay, attributed to "a former member".' if keep_shared else ""
    ctx.send(
        Outgoing(
            text=f"Done: your data is deleted from Beacon.{kept} This is my last message to you. "
            "If you write to me again you'll join as a new member.",
            to=Address.member(member.id),
        ),
        key=f"{GOODBYE_KEY}{member.id}",
    )
    logger.info("member %s asked to be forgotten (keep_shared=%s)", member.id, keep_shared)


# -- retention -----------------------------------------------------------------------------


def _ensure_retention_flow(ctx: Context) -> None:
    ensure_flow(ctx.session, network_id=ctx.network.id, kind=RETENTION_KIND, name="raw replies",
                schedule=RETENTION_SCHEDULE, now=ctx.now)  # fmt: skip


def _retention(ctx: Context) -> None:
    current = retention_days(ctx.network)
    if not ctx.args:
        now = f"Raw replies are kept for {current} days." if current else "Raw replies are kept until members delete them."
        ctx.reply(f"{now} Change it with `/beacon retention 90` or `/beacon retention off`.")
        return
    arg = ctx.args[0].lower()
    days = parse_number(arg, low=1, high=MAX_RETENTION_DAYS)
    if len(ctx.args) > 1 or not (arg == "off" or days is not None):
        raise UsageError(f"Give a number of days from 1 to {MAX_RETENTION_DAYS}, or `off`.")
    before = dict(ctx.network.settings or {})
    after = {k: v for k, v in before.items() if k != "retention_days"}
    if arg != "off":
        after["retention_days"] = days
    ctx.network.settings = after
    ctx.session.add(ctx.network)
    _ensure_retention_flow(ctx)
    ctx.audit("network.retention", "network", before={"settings": before}, after={"settings": after})
    if arg == "off":
        ctx.reply("Raw replies are now kept until members delete them. (`/beacon undo` takes it back.)")
    else:
        ctx.reply(
            f"Raw prompt replies older than {arg} days will be deleted every night; summaries and commitments stay. (`/beacon undo` takes it back.)"
        )


def run_retention(ctx: Context) -> None:
    """The daily job: delete raw replies older than the network's retention, via each flow's hook."""
    for member in ctx.session.exec(select(Member).where(Member.network_id == ctx.network.id, Member.unreachable_reason == "forgotten")):
        tombstone(ctx.session, member)  # a goodbye that never went still ends in a tombstone
    days = retention_days(ctx.network)
    if days is None:
        return
    before = ctx.now - timedelta(days=days)
    for name, fn in ctx.router.retention_hooks.items():
        count = fn(ctx.session, ctx.network, before)
        logger.info("retention in network %s: %s deleted %s raw replies", ctx.network.id, name, count)


def register(router: Router) -> None:
    router.command("my-data", _my_data, example="/beacon my-data",
                   help="Get a file with everything Beacon stores about you")  # fmt: skip
    router.command(
        "forget-me", _forget_me, example="/beacon forget-me",
        help="Delete your data from Beacon (asks first; shared practices can stay)",
    )  # fmt: skip
    router.action(FORGET_ACTION, _forget_pressed)
    router.command(
        "retention", _retention, role=Role.FACILITATOR, usage="[days | off]", example="/beacon retention 90",
        help="How long members' raw replies to prompts are kept",
    )  # fmt: skip
    router.schedule(RETENTION_KIND, run_retention)
    router.on_delivered(GOODBYE_KEY, _goodbye_delivered)
