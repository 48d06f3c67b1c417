"""The command router: one registry that dispatch, help and permission
checks all read, so a command cannot exist without help or a role check.

Flows register explicitly (``register(router)``); nothing is discovered.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import UsageError
from bot.core.followups import FollowUpSource
from bot.store.models import Role, permits

__all__ = [
    "Command",
    "HomePart",
    "PersonalData",
    "Router",
    "Schedule",
    "WebPage",
    "split_args",
]

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    handler: Handler
    help: str
    role: Role | tuple[Role, ...] = Role.MEMBER  # one role, or any one of several
    usage: str = ""
    example: str = ""
    details: str = ""
    platforms: frozenset[str] | None = None
    hidden: bool = False

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def group(self) -> str:
        return self.path[0]

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset((self.role,) if isinstance(self.role, Role) else self.role)

    @property
    def for_members(self) -> bool:
        return Role.MEMBER in self.roles

    def for_whom(self) -> str:
        """``facilitators`` or ``facilitators or coordinators``, for help and refusals."""
        return " or ".join(f"{r.value}s" for r in Role if r in self.roles)

    def synopsis(self) -> str:
        return f"/beacon {self.name}" + (f" {self.usage}" if self.usage else "")


@dataclass(frozen=True)
class Schedule:
    """A flow kind the scheduler wakes: ``run(ctx)`` for each due occurrence."""

    kind: str
    run: Handler
    per_member_timezone: bool = False


@dataclass(frozen=True)
class PersonalData:
    """How one flow exports and forgets a member's data (the member's rights).

    ``export(session, member) -> dict | list`` returns JSON-able data;
    ``forget(session, member, keep_shared: bool)`` deletes or anonymises it
    (``keep_shared``: the member chose to leave their shared posts in place,
    attributed to "a former member"); ``words(session, member, keep_shared)
    -> list[str]``, called before ``forget``, gives what the member wrote
    that forgetting deletes, so that every copy of it (messages queued or
    kept, posts in channels, digests) is taken out too.
    """

    name: str
    export: Handler
    forget: Handler
    words: Handler | None = None


@dataclass(frozen=True)
class WebPage:
    """What a flow serves over HTTP (a calendar feed): the bytes and their media type."""

    body: bytes
    media_type: str


@dataclass(frozen=True)
class HomePart:
    """One flow's section of a member's Home: ``fn(ctx) -> HomeSection | None`` for
    ``ctx.member``, shown in ``order`` (lowest first) to those holding one of ``roles``."""

    name: str
    fn: Handler
    order: int
    roles: frozenset[Role]


@dataclass
class Router:
    """Holds every handler; the dispatcher asks it what to call."""

    commands: dict[tuple[str, ...], Command] = field(default_factory=dict)
    actions: dict[str, Handler] = field(default_factory=dict)
    forms: dict[str, Handler] = field(default_factory=dict)
    form_checks: dict[str, Handler] = field(default_factory=dict)
    form_roles: dict[str, frozenset[Role]] = field(default_factory=dict)
    conversations: dict[str, Handler] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    observers: list[Handler] = field(default_factory=list)
    personal: dict[str, PersonalData] = field(default_factory=dict)
    retention_hooks: dict[str, Handler] = field(default_factory=dict)
    delivered_hooks: dict[str, Handler] = field(default_factory=dict)
    undo_handlers: dict[str, Handler] = field(default_factory=dict)
    listeners: dict[str, list[Handler]] = field(default_factory=dict)
    follow_ups: dict[str, FollowUpSource] = field(default_factory=dict)
    follow_up_planner: Handler | None = None
    pages: dict[str, Handler] = field(default_factory=dict)
    public_url: str | None = None  # where the pages are reached from outside (BEACON_PUBLIC_URL), set by the app
    warm_ups: list[Handler] = field(default_factory=list)
    home_parts: dict[str, HomePart] = field(default_factory=dict)
    after_hooks: list[Handler] = field(default_factory=list)

    def command(
        self,
        name: str,
        handler: Handler,
        *,
        help: str,
        role: Role | tuple[Role, ...] = Role.MEMBER,
        usage: str = "",
        example: str = "",
        details: str = "",
        platforms: set[str] | None = None,
        hidden: bool = False,
    ) -> Command:
        path = tuple(name.split())
        if path in self.commands:
            raise ValueError(f"command {name!r} registered twice")
        cmd = Command(
            path=path,
            handler=handler,
            help=help,
            role=role,
            usage=usage,
            example=example,
            details=details,
            platforms=frozenset(platforms) if platforms else None,
            hidden=hidden,
        )
        self.commands[path] = cmd
        return cmd

    def warm_up(self, handler: Handler) -> None:
        """Slow one-time preparation (no arguments) the bot runs in a background
        thread when it starts, so the first user who needs it does not wait."""
        self.warm_ups.append(handler)

    def group(self, name: str, description: str) -> None:
        """Describe a group of sub-commands (``reflection``, ``pairing``…) for help."""
        self.groups[name] = description

    def alias(self, short: str, target: str) -> None:
        """A short top-level command (Telegram ``/share``) that means ``/beacon <target>``."""
        self.aliases[short] = target

    def observe(self, handler: Handler) -> None:
        """Called with the context of every event before it is routed (e.g. a
        welcome for members first seen in a group); it must not raise for
        events it does not care about. One that returns True has answered the
        event itself, and no handler is called (a command asked in a group by
        someone the bot cannot write to yet waits for them to press *Start*)."""
        self.observers.append(handler)

    def after(self, handler: Handler) -> None:
        """Called with the context of every event whose handler succeeded, in its
        transaction (e.g. refresh the Home of a member who just changed something)."""
        self.after_hooks.append(handler)

    def home_section(self, name: str, fn: Handler, *, order: int = 100, role: Role | tuple[Role, ...] = Role.MEMBER) -> None:
        """Add a flow's part of a member's Home (see :class:`HomePart`): each flow says what
        it has for the member, the platform decides how it looks (Slack's Home tab, or the
        answer to ``/beacon home``)."""
        if name in self.home_parts:
            raise ValueError(f"home section {name!r} registered twice")
        self.home_parts[name] = HomePart(name, fn, order, frozenset((role,) if isinstance(role, Role) else role))

    def action(self, action_id: str, handler: Handler) -> None:
        if action_id in self.actions:
            raise ValueError(f"action {action_id!r} registered twice")
        self.actions[action_id] = handler

    def form(self, form_id: str, handler: Handler, *, check: Handler | None = None, role: Role | tuple[Role, ...] = Role.MEMBER) -> None:
        """``handler(ctx)`` takes the answers; ``check(ctx, name, value) -> str | None`` says what is
        wrong with one answer, so a guided chat asks that question again at once instead of
        failing the whole form after the last one; ``role``: who may submit it, checked again
        when it is submitted (a form takes minutes to fill, and a role can be revoked meanwhile)."""
        if form_id in self.forms:
            raise ValueError(f"form {form_id!r} registered twice")
        self.forms[form_id] = handler
        if check is not None:
            self.form_checks[form_id] = check
        self.form_roles[form_id] = frozenset((role,) if isinstance(role, Role) else role)

    def conversation(self, owner: str, handler: Handler) -> None:
        """Plain messages from a member whose open conversation ``owner`` holds."""
        if owner in self.conversations:
            raise ValueError(f"conversation owner {owner!r} registered twice")
        self.conversations[owner] = handler

    def schedule(self, kind: str, run: Handler, *, per_member_timezone: bool = False) -> None:
        if kind in self.schedules:
            raise ValueError(f"schedule kind {kind!r} registered twice")
        self.schedules[kind] = Schedule(kind, run, per_member_timezone)

    def personal_data(self, name: str, *, export: Handler, forget: Handler, words: Handler | None = None) -> None:
        """Register a flow's part of ``/beacon my-data`` and ``/beacon forget-me``."""
        if name in self.personal:
            raise ValueError(f"personal data {name!r} registered twice")
        self.personal[name] = PersonalData(name, export, forget, words)

    def page(self, path: str, fn: Handler) -> None:
        """Serve ``GET path`` (Starlette's path syntax, e.g. ``/calendar/{token}.ics``) on
        Beacon's HTTP server: ``fn(session, now, **path_params) -> WebPage | None``, in a
        transaction; ``None`` answers 404. A flow offers something to read without
        knowing about the server (the server knows no flow)."""
        if path in self.pages:
            raise ValueError(f"page {path!r} registered twice")
        self.pages[path] = fn

    def retention(self, name: str, fn: Handler) -> None:
        """Register ``fn(session, network, before) -> int``: delete the flow's raw
        replies written before ``before`` (the network's ``retention_days``)."""
        if name in self.retention_hooks:
            raise ValueError(f"retention {name!r} registered twice")
        self.retention_hooks[name] = fn

    def on_delivered(self, key_prefix: str, fn: Handler) -> None:
        """Register ``fn(session, key, sent: bool)``, called in the delivery
        worker's transaction once an outbox message whose key starts with
        ``key_prefix`` is sent or given up on (e.g. finish forgetting a member
        after their goodbye has gone)."""
        if key_prefix in self.delivered_hooks:
            raise ValueError(f"delivery hook {key_prefix!r} registered twice")
        self.delivered_hooks[key_prefix] = fn

    def undo(self, action_prefix: str, fn: Handler) -> None:
        """Say how to revert audit entries whose action starts with ``action_prefix``.

        ``fn(ctx, entry)`` runs inside the undo's transaction; it raises
        :class:`UserError` when the change can no longer be reverted (nothing is
        changed then) and returns a sentence such as "Bob is a member again".
        """
        if action_prefix in self.undo_handlers:
            raise ValueError(f"undo {action_prefix!r} registered twice")
        self.undo_handlers[action_prefix] = fn

    def on(self, event: str, fn: Handler) -> None:
        """Call ``fn(ctx, **data)`` whenever a handler does ``ctx.emit(event, **data)``,
        in the same transaction: how one flow reacts to another without importing it."""
        self.listeners.setdefault(event, []).append(fn)

    def follow_up(self, source: FollowUpSource) -> None:
        """Register what a flow follows up (see :mod:`bot.core.followups`)."""
        if source.rule in self.follow_ups:
            raise ValueError(f"follow-up source {source.rule!r} registered twice")
        self.follow_ups[source.rule] = source

    def plan_follow_ups(self, active: Handler) -> None:
        """Register the flow that plans and sends the follow-ups: ``active(session, network_id) -> bool``
        says whether it does in a network (see :func:`bot.core.followups.planned`)."""
        if self.follow_up_planner is not None:
            raise ValueError("follow-up planner registered twice")
        self.follow_up_planner = active

    # -- lookup -------------------------------------------------------------

    def resolve(self, words: list[str]) -> tuple[Command | None, list[str]]:
        """Longest registered prefix of ``words``; the rest are its arguments."""
        lowered = [w.lower() for w in words]
        for n in range(len(words), 0, -1):
            cmd = self.commands.get(tuple(lowered[:n]))
            if cmd is not None:
                return cmd, words[n:]
        return None, words

    def in_group(self, group: str) -> list[Command]:
        return sorted(
            (c for c in self.commands.values() if c.group == group and not c.hidden),
            key=lambda c: c.path,
        )

    def visible_to(self, roles: Iterable[Role], platform: str | None = None) -> list[Command]:
        return sorted(
            (c for c in self.commands.values() if not c.hidden and permits(roles, c.roles) and (c.platforms is None or platform in c.platforms)),
            key=lambda c: c.path,
        )

    def suggest(self, words: list[str]) -> list[str]:
        names = [c.name for c in self.commands.values() if not c.hidden]
        probe = " ".join(words[:2]).lower()
        close = difflib.get_close_matches(probe, names, n=3, cutoff=0.5)
        if not close and words:
            close = difflib.get_close_matches(words[0].lower(), names, n=3, cutoff=0.5)
        return close

    def suggest_in(self, group: str, word: str) -> list[str]:
        """The sub-commands of ``group`` that ``word`` looks like a typo of (``timezon`` → ``settings timezone``)."""
        subs = {c.path[1]: c.name for c in self.in_group(group) if len(c.path) > 1}
        return [subs[w] for w in difflib.get_close_matches(word.lower(), list(subs), n=3, cutoff=0.6)]


_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def split_args(text: str) -> list[str]:
    """Split command text like a shell, accepting the curly quotes phones type.

    Raises:
        UsageError: when a quote is left open.
    """
    text = text.translate(_SMART_QUOTES).strip()
    try:
        lexer = shlex.shlex(text, posix=True)
        lexer.whitespace_split = True
        lexer.escape = ""
        lexer.commenters = ""
        lexer.quotes = '"'  # apostrophes in "it's" are text, not quotes
        return list(lexer)
    except ValueError:
        raise UsageError('A quotation mark is not closed. Put the text in matching quotes, like "Winter session".') from None
