"""What a handler gets: the transaction, who is asking, and ways to answer.

Everything a handler sends is written to the outbox inside its transaction,
so a message exists exactly when the change that caused it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.core import markup
from bot.core.availability import Person, message_gap, spaced
from bot.core.dates.zone import zone
from bot.core.errors import UserError
from bot.core.forms import start_guided
from bot.core.messages import Address, Attachment, Choice, Form, Incoming, Outgoing
from bot.store import outbox
from bot.store.db import IN_LIST, in_lists
from bot.store.models import CONVERSATION_OF, AuditEntry, Conversation, Flow, Member, Network, Role, permits

if TYPE_CHECKING:
    from bot.core.clock import Clock
    from bot.core.router import Command, Router

__all__ = ["Context"]


# what a member's limits are read from (bot.core.availability.Person.of)
_LIMITS = (Member.id, Member.display_name, Member.timezone, Member.quiet_hours, Member.quiet_weekends,
           Member.paused_until, Member.opted_out, Member.unreachable)  # fmt: skip


def _keys(unprompted: tuple[str, ...] | None) -> str | None:
    """The outbox's record of an unprompted message's opt-out keys (None: the member asked for it)."""
    return None if unprompted is None else ",".join(unprompted)


class Context:
    """The handler's view of one piece of work (an incoming event or a due occurrence)."""

    def __init__(
        self,
        *,
        session: Session,
        clock: Clock,
        router: Router,
        network: Network,
        member: Member | None = None,
        incoming: Incoming | None = None,
        args: list[str] | None = None,
        key_prefix: str,
        flow: Flow | None = None,
        due_at: datetime | None = None,
        timezone: str | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.router = router
        self.network = network
        self.member = member
        self.incoming = incoming
        self.args = list(args or [])
        self.flow = flow
        self.due_at = due_at
        self.timezone = timezone
        self.now = clock.now()
        self.key_prefix = key_prefix
        self.enqueued = 0
        self.choices_handled = False
        self.member_is_new = False  # set by the dispatcher: first contact from this member
        self.member_is_back = False  # set by the dispatcher: this event brought them back to a group they had left
        self.command: Command | None = None  # set by the dispatcher: the command being run, for its usage
        self.acted_in: str | None = None  # set by the dispatcher: the network to name in the first reply (a person in several)
        self._seq = 0
        self._held: tuple[int | None, Conversation | None] | None = None  # see hand_over

    # -- who and where --------------------------------------------------------

    @property
    def platform(self) -> str:
        return self.network.platform

    @property
    def roles(self) -> frozenset[Role]:
        """The roles the sender holds, read fresh from their row (so a form's last step sees a revocation)."""
        return self.member.roles if self.member else frozenset()

    def may(self, needed: Role | Iterable[Role]) -> bool:
        return permits(self.roles, needed)

    @property
    def arg_text(self) -> str:
        return " ".join(self.args)

    def tz_of(self, member: Member | None = None) -> ZoneInfo:
        """The member's time zone, else the network's."""
        m = member or self.member
        return zone(m.timezone if m else None, self.network.timezone)

    def local_now(self, member: Member | None = None) -> datetime:
        return self.now.astimezone(self.tz_of(member))

    # -- sending --------------------------------------------------------------

    def next_key(self) -> str:
        self._seq += 1
        return f"{self.key_prefix}:{self._seq}"

    def send(
        self, outgoing: Outgoing, *, key: str | None = None, not_before: datetime | None = None, unprompted: tuple[str, ...] | None = None
    ) -> bool:
        """Queue ``outgoing``; with a stable ``key``, queueing it again does nothing.

        ``unprompted`` (the opt-out keys that apply, e.g. ``("reflection",)``)
        marks a message the member did not ask for: delivery re-checks their
        limits, and it counts for the gap and the weekly cap.
        Returns whether a new message was queued.
        """
        queued = outbox.enqueue(
            self.session,
            key=key or self.next_key(),
            network_id=self.network.id,
            platform=self.network.platform,
            outgoing=outgoing,
            now=self.now,
            not_before=not_before,
            unprompted=_keys(unprompted),
        )
        if queued:
            self.enqueued += 1
        return queued

    def send_many(self, items: list[tuple[str, Outgoing]], *, not_before: datetime | None = None, unprompted: tuple[str, ...] | None = None) -> int:
        """Queue a fan-out of ``(key, outgoing)`` pairs in one statement; returns how many were new.

        Use for scheduled sends to many members: thousands of rows in one
        executemany instead of one round trip each.
        """
        n = outbox.enqueue_many(
            self.session,
            items,
            network_id=self.network.id,
            platform=self.network.platform,
            now=self.now,
            not_before=not_before,
            unprompted=_keys(unprompted),
        )
        self.enqueued += n
        return n

    def unprompted_at(self, people: dict[int, Person]) -> dict[int, datetime]:
        """When each member may get a message they did not ask for: the first allowed moment
        (their quiet hours and weekends, in their own zone) at least the network's gap away
        from their other unprompted messages (:func:`bot.core.availability.spaced`).

        One indexed query per 500 members, however many there are.
        """
        gap = message_gap(self.network)
        recent = outbox.recent_unprompted(self.session, list(people), since=self.now - gap) if gap and people else {}
        return {i: spaced(p, self.now, [t for t, _ in recent.get(i, ())], gap) for i, p in people.items()}

    def people(self, member_ids) -> dict[int, Person]:
        """The limits of these members: one query per 500, of just the columns the limits read
        (rows, not ORM objects: a pairing round introduces thousands)."""
        ids = sorted({i for i in member_ids if i is not None})
        found: dict[int, Person] = {}
        for chunk in in_lists(ids):
            for m in self.session.execute(select(*_LIMITS).where(col(Member.id).in_(chunk))):
                found[m.id] = Person.of(m, self.network)
        return found

    def when_allowed(self, member_ids) -> datetime:
        """The first moment every one of ``member_ids`` may get a message they did not ask for.

        The members' quiet hours and weekends, in their own zones, and the gap
        after their last unprompted message (:meth:`unprompted_at`); now when none waits.
        """
        return max([self.now, *self.unprompted_at(self.people(member_ids)).values()])

    def send_unprompted(self, items: list[tuple[str, Outgoing]], *, keys: tuple[str, ...] = ()) -> int:
        """:meth:`send_many` for messages nobody asked for just now (introductions,
        follow-ups, digests): each waits until its recipients' quiet time is over
        and the gap since their last unprompted message has passed. ``keys``: the opt-outs that apply."""
        at = self.unprompted_at(self.people(i for _, out in items for i in out.to.members))
        groups: dict[datetime, list[tuple[str, Outgoing]]] = {}
        for key, out in items:
            groups.setdefault(max([self.now, *(at[i] for i in out.to.members if i in at)]), []).append((key, out))
        return sum(self.send_many(g, not_before=t if t > self.now else None, unprompted=keys) for t, g in sorted(groups.items()))

    def reply_address(self) -> Address:
        inc = self.incoming
        if inc is None or self.member is None:
            raise RuntimeError("reply() needs an incoming event from a member")
        if inc.is_private or not inc.conversation:
            return Address.member(self.member.id)
        return Address(channel=inc.conversation, private_to=self.member.id)

    def reply(
        self,
        text: str,
        *,
        choices: tuple[Choice, ...] | list[Choice] = (),
        header: str | None = None,
        attachment: Attachment | None = None,
    ) -> None:
        """Answer the person who acted, where they acted (privately in a channel).

        The first answer to a person in several networks says which one it acted in.
        """
        inc = self.incoming
        if self.acted_in:
            text = f"{text}\n_In {markup.literal(self.acted_in)}. `/beacon network` chooses another._"
            self.acted_in = None
        self.send(
            Outgoing(
                text=text,
                to=self.reply_address(),
                choices=tuple(choices),
                header=header,
                attachment=attachment,
                response_url=inc.response_url if inc and not inc.is_private else None,
            )
        )

    def dm(
        self,
        member: Member | int,
        text: str,
        *,
        choices: tuple[Choice, ...] | list[Choice] = (),
        key: str | None = None,
        header: str | None = None,
        not_before: datetime | None = None,
        unprompted: bool | tuple[str, ...] = False,
    ) -> bool:
        """A direct message to one member (skipped for unreachable members).

        ``unprompted`` (they did not ask for it now: True, or the opt-out keys that
        apply) holds it until their quiet time is over and the gap since their last
        unprompted message has passed, unless ``not_before`` already says when.
        """
        target = member if isinstance(member, Member) else self.session.get(Member, member)
        if target is None or target.unreachable:
            return False
        if unprompted is not False and not_before is None:
            at = self.unprompted_at({target.id: Person.of(target, self.network)})[target.id]
            not_before = at if at > self.now else None
        return self.send(
            Outgoing(text=text, to=Address.member(target.id), choices=tuple(choices), header=header),
            key=key,
            not_before=not_before,
            unprompted=None if unprompted is False else (() if unprompted is True else tuple(unprompted)),
        )

    def post(self, channel: str, text: str, *, choices=(), header: str | None = None, key: str | None = None) -> bool:
        return self.send(
            Outgoing(text=text, to=Address.to_channel(channel), choices=tuple(choices), header=header),
            key=key,
        )

    def edit_choice_message(self, text: str) -> None:
        """Replace the message whose button was pressed (e.g. "✓ you chose X")."""
        inc = self.incoming
        self.choices_handled = True
        if inc is None or not inc.message_ref:
            return
        to = self.reply_address() if inc.is_private else Address(channel=inc.conversation)
        self.send(Outgoing(text=text, to=to, edit=inc.message_ref))

    def keep_choices(self) -> None:
        """Leave the pressed message's buttons in place (the default replaces them)."""
        self.choices_handled = True

    def open_form(self, form: Form) -> None:
        """Ask for a form: a modal where the platform has them, else a guided chat.

        The adapter says which: only a platform that opens modals gives its
        events a ``trigger`` (Slack's ``trigger_id``), so the core names none.
        """
        inc = self.incoming
        if inc is not None and inc.trigger:
            self.send(Outgoing(text=form.title, to=self.reply_address(), form=form, trigger=inc.trigger))
        else:
            start_guided(self, form)

    # -- conversation state -----------------------------------------------------

    def conversation(self, member: Member | None = None) -> Conversation | None:
        m = member or self.member
        if m is None:
            return None
        held, self._held = self._held, None
        if held is not None and held[0] == m.id and (held[1] is None or held[1] in self.session):
            return held[1]
        return self.session.exec(CONVERSATION_OF, params={"member_id": m.id}).first()

    def hand_over(self, conv: Conversation | None) -> None:
        """The conversation the route just read, for the handler's first :meth:`conversation`.

        Served once, for the event's own member: every plain message would otherwise read
        the same row twice (route, then handler); any later call reads the store again.
        """
        self._held = (self.member.id, conv) if self.member is not None else None

    def start_conversation(self, owner: str, state: dict[str, Any], member: Member | None = None) -> Conversation:
        """Open (or take over) the member's conversation; their next messages go to ``owner``."""
        m = member or self.member
        assert m is not None and m.id is not None
        conv = self.conversation(m)
        if conv is None:
            conv = Conversation(member_id=m.id, owner=owner, state=state, started_at=self.now, updated_at=self.now)
        else:
            conv.owner, conv.state, conv.started_at, conv.updated_at = owner, state, self.now, self.now
        self.session.add(conv)
        self.session.flush()
        return conv

    def save_conversation(self, conv: Conversation, state: dict[str, Any]) -> None:
        conv.state = dict(state)  # a new object so the JSON column is marked dirty
        conv.updated_at = self.now
        self.session.add(conv)

    def end_conversation(self, member: Member | None = None) -> None:
        conv = self.conversation(member)
        if conv is not None:
            self.session.delete(conv)
            self.session.flush()

    # -- audit and checks --------------------------------------------------------

    def audit(self, action: str, target: str = "", *, before: dict | None = None, after: dict | None = None) -> AuditEntry:
        """Record a configuration change so it can be listed and undone."""
        entry = AuditEntry(
            network_id=self.network.id,
            actor_id=self.member.id if self.member else None,
            action=action,
            target=target,
            before=before,
            after=after,
            created_at=self.now,
        )
        self.session.add(entry)
        return entry

    def emit(self, event: str, **data: Any) -> None:
        """Tell every flow that listens for ``event`` (``router.on``), in this transaction."""
        for fn in self.router.listeners.get(event, ()):
            fn(self, **data)

    def fail(self, message: str) -> None:
        raise UserError(message)

    def members_by_id(self, ids: Iterable[int]) -> dict[int, Member]:
        """The network's members with these ids, in one query (for many, one read of the network's members)."""
        wanted = set(ids)
        if not wanted:
            return {}
        stmt = select(Member).where(Member.network_id == self.network.id)
        if len(wanted) <= IN_LIST:
            stmt = stmt.where(col(Member.id).in_(wanted))
        return {m.id: m for m in self.session.exec(stmt) if m.id in wanted}

    def members(self, *, include_unreachable: bool = False) -> list[Member]:
        stmt = select(Member).where(Member.network_id == self.network.id)
        if not include_unreachable:
            stmt = stmt.where(Member.unreachable == False)  # noqa: E712
        return list(self.session.exec(stmt.order_by(Member.id)))
