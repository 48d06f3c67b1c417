"""From an :class:`Incoming` to a committed change and queued replies.

The steps are small middleware in a fixed order: de-duplicate, find the
network and member, route, check the role, run the handler, commit. Flows
run synchronously in a worker thread (database work only); the event loop
stays free for the platforms' network I/O.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core.clock import Clock
from bot.core.context import Context
from bot.core.errors import FormErrors, UsageError, UserError
from bot.dispatch import batch as dispatch_batch
from bot.core.messages import Incoming
from bot.core.router import Router, split_args
from bot.store.db import Store, insert_or_skip
from bot.store.models import InboundEvent, Member, Network, Role

if TYPE_CHECKING:
    from bot.dispatch.batch import Known

__all__ = ["Dispatcher", "HandleResult", "MAX_TEXT"]

logger = logging.getLogger(__name__)

ACTIVE_GRAIN = timedelta(minutes=1)
"""``last_active_at`` is kept to this precision (the digest counts weeks)."""


@functools.cache
def record_events(dialect: str):
    """Events' rows (``platform``, ``event_id``, ``received_at``), each unless it is
    there already; returns the keys of those inserted. Built once per database,
    for one event or a batch."""
    table = InboundEvent.__table__
    return insert_or_skip(dialect, table, ["platform", "event_id"]).returning(table.c.platform, table.c.event_id)


def event_id_of(incoming: Incoming) -> str:
    """The platform's id for the event, or a fresh one for events without (the console)."""
    return incoming.event_id or f"local-{uuid.uuid4().hex}"


# Statements on every event's path, built once rather than per event
_NETWORK_BY_KEY = select(Network).where(Network.platform == bindparam("platform"), Network.platform_key == bindparam("key"))
_MEMBER_BY_USER = select(Member).where(Member.network_id == bindparam("network_id"),
                                       Member.platform_user_id == bindparam("user_id"))  # fmt: skip

MAX_TEXT = 4000
"""Longest text we accept in one message or field; longer is refused, not cut."""

NO_QUESTION = (
    "I don't have a question open for you right now. "
    "Type `/beacon help` to see what I can do."
)
NOT_IN_NETWORK = (
    "You're not in a network on Beacon yet. Ask your facilitator for the invite link, "
    "or write `/beacon join` in your network's group."
)
SORRY = "Sorry, something went wrong on my side and nothing was changed. Please try again in a minute."


@dataclass
class HandleResult:
    """What the adapter needs to know right away (the rest is in the outbox)."""

    duplicate: bool = False
    enqueued: int = 0
    form_errors: dict[str, str] | None = None
    immediate: list[str] = field(default_factory=list)
    member_id: int | None = None


class Dispatcher:
    def __init__(
        self,
        *,
        store: Store,
        router: Router,
        clock: Clock,
        on_enqueued: Callable[[], None] | None = None,
        executor: ThreadPoolExecutor | None = None,
        metrics=None,
    ) -> None:
        self.metrics = metrics
        self.store = store
        self.router = router
        self.clock = clock
        self.on_enqueued = on_enqueued
        workers = 1 if store.is_sqlite else 8
        self.executor = executor or ThreadPoolExecutor(max_workers=workers, thread_name_prefix="beacon-db")
        # one batch at a time, on either database: a batch shares its costs, and
        # batches side by side only take turns at the GIL with each other and with
        # the event loop (on PostgreSQL, eight of them left acks seconds behind)
        self.batches = dispatch_batch.Batches(self)

    async def handle(self, incoming: Incoming) -> HandleResult:
        """Handle one event off the event loop, then wake the delivery worker.

        Events that arrive while the database is busy with earlier ones wait
        together and are then handled as one batch (:mod:`bot.dispatch.batch`).
        """
        started = time.perf_counter()
        result = await self.batches.handle(incoming)
        if self.metrics is not None:
            outcome = "duplicate" if result.duplicate else "handled"
            self.metrics.handled.labels(incoming.platform, incoming.kind, outcome).inc()
            self.metrics.latency.labels(incoming.platform).observe(time.perf_counter() - started)
        if result.enqueued and self.on_enqueued:
            self.on_enqueued()
        return result

    async def run(self, fn: Callable, *args):
        """Run other database work (scheduler ticks, delivery bookkeeping) on the same executor."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)

    # -- the pipeline -----------------------------------------------------------

    def handle_sync(self, incoming: Incoming) -> HandleResult:
        event_id = event_id_of(incoming)
        try:
            return self._handle_once(incoming, event_id)
        except IntegrityError:
            # Another process created the same network or member (or took the same
            # event) at the same moment. Its rows are visible now: a real duplicate
            # is recognised as one, anything else is handled normally.
            try:
                return self._handle_once(incoming, event_id)
            except IntegrityError:
                logger.exception("handling %s from %s kept colliding", incoming.kind, incoming.platform)
                return self._apologise(incoming, event_id)

    def _handle_once(self, incoming: Incoming, event_id: str) -> HandleResult:
        result = HandleResult()
        try:
            with self.store.session() as session:
                if not self._first_time(session, incoming.platform, event_id):
                    return HandleResult(duplicate=True)
                ctx = self._context(session, incoming, event_id, result)
                if ctx is None:
                    return result
                self._route_answering(ctx, result)
        except IntegrityError:
            raise
        except Exception:
            logger.exception("handling %s from %s failed", incoming.kind, incoming.platform)
            return self._apologise(incoming, event_id)
        return result

    def _route_answering(self, ctx: Context, result: HandleResult) -> None:
        """Route in a savepoint: a refused or mistyped request changes nothing
        and is answered with what was wrong."""
        incoming = ctx.incoming
        assert incoming is not None
        try:
            with ctx.session.begin_nested():
                self._route(ctx)
        except FormErrors as exc:
            result.form_errors = exc.errors
            if incoming.kind != "form" or not incoming.trigger:
                ctx.reply(str(exc))
        except UsageError as exc:
            ctx.reply(self._usage_text(ctx, str(exc)))
        except UserError as exc:
            ctx.reply(str(exc))
        result.enqueued = ctx.enqueued
        result.member_id = ctx.member.id if ctx.member else None

    def _first_time(self, session: Session, platform: str, event_id: str) -> bool:
        """Record the event; False if it was recorded before (a retry or a redelivery).

        One ``INSERT … ON CONFLICT DO NOTHING RETURNING``: a look-up then an
        insert was two statements on every event, and racy between processes.
        """
        stmt = record_events(session.get_bind().dialect.name)
        params = {"platform": platform, "event_id": event_id[:200], "received_at": self.clock.now()}
        return session.connection().execute(stmt, params).first() is not None

    def _apologise(self, incoming: Incoming, event_id: str) -> HandleResult:
        """Record the event (so retries don't loop on a bug) and say sorry."""
        result = HandleResult()
        try:
            with self.store.session() as session:
                if not self._first_time(session, incoming.platform, event_id):
                    return HandleResult(duplicate=True)
                ctx = self._context(session, incoming, event_id, result)
                if ctx is not None and ctx.member is not None:
                    ctx.reply(SORRY)
                    result.enqueued = ctx.enqueued
        except Exception:
            logger.exception("could not even apologise")
            result.immediate.append(SORRY)
        return result

    # -- who is this -----------------------------------------------------------

    def _context(
        self, session: Session, incoming: Incoming, event_id: str, result: HandleResult, known: Known | None = None
    ) -> Context | None:
        now = self.clock.now()
        network = known.network(incoming) if known else None
        network = network or self._network(session, incoming)
        if network is None:
            result.immediate.append(NOT_IN_NETWORK)
            return None
        member = known.member(network, incoming) if known else None
        member = self._member(session, network, incoming, member)
        if known:
            known.remember(member)
        is_new = session.info.get("new_member_id") == member.id
        if member.last_active_at is None or now - member.last_active_at >= ACTIVE_GRAIN:
            member.last_active_at = now  # to the minute: a burst of messages writes it once
        session.add(member)
        session.flush()
        ctx = Context(
            session=session,
            clock=self.clock,
            router=self.router,
            network=network,
            member=member,
            incoming=incoming,
            key_prefix=f"in:{incoming.platform}:{event_id}",
        )
        ctx.member_is_new = is_new
        return ctx

    def _network(self, session: Session, incoming: Incoming) -> Network | None:
        if incoming.network_key is None:
            # a private chat: the member's most recently active network
            return session.exec(
                select(Network)
                .join(Member, col(Member.network_id) == col(Network.id))
                .where(Network.platform == incoming.platform, Member.platform_user_id == incoming.user_id)
                .order_by(col(Member.last_active_at).desc())
            ).first()
        network = session.exec(_NETWORK_BY_KEY, params={"platform": incoming.platform, "key": incoming.network_key}).first()
        if network is None:
            network = Network(
                platform=incoming.platform,
                platform_key=incoming.network_key,
                name=(incoming.network_name or incoming.network_key)[:200],
                created_at=self.clock.now(),
            )
            session.add(network)
            session.flush()
            logger.info("new network %s on %s", network.id, network.platform)
        return network

    def _member(self, session: Session, network: Network, incoming: Incoming, member: Member | None = None) -> Member:
        if member is None:
            member = session.exec(_MEMBER_BY_USER, params={"network_id": network.id, "user_id": incoming.user_id}).first()
        if member is None:
            first = session.exec(select(Member.id).where(Member.network_id == network.id)).first() is None
            member = Member(
                network_id=network.id,
                platform_user_id=incoming.user_id,
                display_name=(incoming.user_name or incoming.username or incoming.user_id)[:200],
                username=incoming.username,
                timezone=incoming.user_timezone,
                role=Role.FACILITATOR if (first or incoming.is_admin) else Role.MEMBER,
                created_at=self.clock.now(),
            )
            session.add(member)
            session.flush()
            session.info["new_member_id"] = member.id
        else:
            if incoming.user_name and member.display_name != incoming.user_name[:200]:
                member.display_name = incoming.user_name[:200]
            if incoming.username and member.username != incoming.username:
                member.username = incoming.username
            if incoming.user_timezone and not member.timezone:
                member.timezone = incoming.user_timezone
        if incoming.is_private and incoming.kind != "form":
            if not member.has_private_chat or member.unreachable:
                member.has_private_chat = True
                member.unreachable = False
                member.unreachable_reason = None
        return member

    # -- routing ----------------------------------------------------------------

    def _route(self, ctx: Context) -> None:
        inc = ctx.incoming
        assert inc is not None
        for observer in self.router.observers:
            observer(ctx)
        if len(inc.text) > MAX_TEXT or any(len(v) > MAX_TEXT for v in inc.form_values.values()):
            raise UserError(
                f"That's longer than I can keep ({MAX_TEXT} characters). Please shorten it and send it again; nothing was saved."
            )
        if inc.kind == "command":
            self._command(ctx)
        elif inc.kind == "action":
            self._action(ctx)
        elif inc.kind == "form":
            handler = self.router.forms.get(inc.form_id or "")
            if handler is None:
                raise UserError("That form has expired. Please start again.")
            handler(ctx)
        else:
            self._message(ctx)

    def _command(self, ctx: Context) -> None:
        inc = ctx.incoming
        words = split_args(inc.command if inc.command is not None else inc.text)
        if inc.command is None and words and words[0].lower() in self.router.aliases:
            words = split_args(self.router.aliases[words[0].lower()]) + words[1:]
        if not words:
            words = ["help"]
        cmd, rest = self.router.resolve(words)
        if cmd is None or (cmd.platforms and ctx.platform not in cmd.platforms):
            group = words[0].lower()
            if group in self.router.groups and cmd is None:
                raise UserError(self._group_help(ctx, group, unknown=words[1] if len(words) > 1 else None))
            suggestions = self.router.suggest(words)
            hint = f" Did you mean {', '.join(f'`/beacon {s}`' for s in suggestions)}?" if suggestions else ""
            raise UserError(
                f"I don't know the command `/beacon {' '.join(words[:2])}`.{hint} Type `/beacon help` for the list."
            )
        if not ctx.role.allows(cmd.role):
            raise UserError(self._refusal(ctx, cmd))
        ctx.args = rest
        ctx.command = cmd
        cmd.handler(ctx)

    def _refusal(self, ctx: Context, cmd) -> str:
        allowed = [r for r in Role if r.allows(cmd.role)]
        who = ctx.session.exec(
            select(Member.display_name)
            .where(Member.network_id == ctx.network.id, col(Member.role).in_(allowed))
            .order_by(Member.id)
            .limit(3)
        ).all()
        roles = " or ".join(f"{r.value}s" for r in allowed)
        ask = f" Ask {', '.join(who)}." if who else ""
        return f"Only {roles} can use `/beacon {cmd.name}`.{ask}"

    def _usage_text(self, ctx: Context, message: str) -> str:
        cmd = ctx.command
        if cmd is None:
            return message
        text = f"{message}\nUsage: `{cmd.synopsis()}`"
        if cmd.example:
            text += f"\nExample: `{cmd.example}`"
        return text

    def _group_help(self, ctx: Context, group: str, unknown: str | None) -> str:
        lines = []
        if unknown:
            lines.append(f"`/beacon {group}` has no sub-command `{unknown}`.")
        lines.append(f"*{group}*: {self.router.groups.get(group, '')}")
        for c in self.router.in_group(group):
            if ctx.role.allows(c.role):
                lines.append(f"• `{c.synopsis()}`: {c.help}")
        return "\n".join(lines)

    def _action(self, ctx: Context) -> None:
        inc = ctx.incoming
        handler = self.router.actions.get(inc.action_id or "")
        if handler is None:
            raise UserError("That button no longer does anything. Type `/beacon help` to see what you can do.")
        handler(ctx)
        if not ctx.choices_handled and inc.message_ref and inc.action_label:
            base = (inc.message_text or "").strip()
            ctx.edit_choice_message(f"{base}\n✓ {inc.action_label}" if base else f"✓ {inc.action_label}")

    def _message(self, ctx: Context) -> None:
        inc = ctx.incoming
        if inc.edited:
            # no flow updates a stored reply from an edit yet; never take an edit
            # of an old message as the answer to the question open now
            return
        conv = ctx.conversation()
        if conv is not None and conv.owner in self.router.conversations:
            self.router.conversations[conv.owner](ctx)
            return
        if inc.text.strip().startswith("/"):
            ctx.reply("Commands start with `/beacon`, for example `/beacon help`.")
            return
        ctx.reply(NO_QUESTION)
