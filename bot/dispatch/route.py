"""Which handler an event goes to, and what the person is told when it is refused.

Commands go by the router's longest prefix (aliases, platform and role
checks, help for a bare group), buttons by action id, forms by form id, and
plain messages to the flow holding the member's open conversation. A
:class:`~bot.core.errors.UserError` a handler raises is the person's answer.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import or_
from sqlmodel import select

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import FormErrors, UsageError, UserError
from bot.core.forms import CONVERSATION_WORDS, submit, waiting_note
from bot.core.networks import ask_which, memberships, open_conversations
from bot.core.router import Command, Router, split_args
from bot.dispatch.results import HandleResult
from bot.store.models import Member, Role, held_by

__all__ = ["MAX_TEXT", "NO_QUESTION", "answer", "call_handler"]

MAX_TEXT = 4000
"""Longest text we accept in one message or field; longer is refused, not cut."""

NETWORK_FREE = frozenset({"help", "network", "start", "welcome"})
"""Command groups that do not act in one network, so their answers need not name it."""

NO_QUESTION = "I don't have a question open for you right now. Type `/beacon help` to see what I can do."


def answer(ctx: Context, result: HandleResult) -> None:
    """Route in a savepoint: a refused or mistyped request changes nothing
    and is answered with what was wrong."""
    incoming = ctx.incoming
    assert incoming is not None
    try:
        with ctx.session.begin_nested():
            call_handler(ctx)
            for after in ctx.router.after_hooks:
                after(ctx)
    except FormErrors as exc:
        result.form_errors = exc.errors
        if incoming.kind != "form" or not incoming.trigger:
            ctx.reply(str(exc))
    except UsageError as exc:
        ctx.reply(_usage_text(ctx, str(exc)))
    except UserError as exc:
        ctx.reply(str(exc))
    result.enqueued = ctx.enqueued
    result.member_id = ctx.member.id if ctx.member else None


def call_handler(ctx: Context) -> None:
    """Tell the observers, then call the handler the event is for.

    Raises:
        UserError: the event is refused (too long, unknown, not allowed); the handler's own.
    """
    inc = ctx.incoming
    assert inc is not None
    answered = [observer(ctx) for observer in ctx.router.observers]  # every observer sees it
    if any(answered):
        return
    if len(inc.text) > MAX_TEXT or any(len(v) > MAX_TEXT for v in inc.form_values.values()):
        raise UserError(f"That's longer than I can keep ({MAX_TEXT} characters). Please shorten it and send it again; nothing was saved.")
    if inc.kind == "command":
        _command_beside_conversation(ctx)
    elif inc.kind == "action":
        _action(ctx)
    elif inc.kind == "form":
        submit(ctx)
    else:
        _message(ctx)


def _command_beside_conversation(ctx: Context) -> None:
    """Run a command; a guided form open at the time waits, and the person is told where it stands.

    Waiting rather than cancelling: a facilitator who checks `/beacon help`
    halfway through setup should not lose five answers.
    """
    before = ctx.conversation()
    before_id = before.id if before is not None else None
    _command(ctx)
    after = ctx.conversation()
    if before is None or ctx.incoming.opened_home:  # opening a Home tab is no command typed mid-form
        return
    if after is not None and after.id == before_id and after.owner == before.owner:
        note = waiting_note(after)
        if note:
            ctx.reply(note)


def _command(ctx: Context) -> None:
    inc = ctx.incoming
    router = ctx.router
    words = split_args(inc.command if inc.command is not None else inc.text)
    if inc.command is None and words and words[0].lower() in router.aliases:
        words = split_args(router.aliases[words[0].lower()]) + words[1:]
    if not words:
        words = ["help"]
    cmd, rest = router.resolve(words)
    if cmd is None or (cmd.platforms and ctx.platform not in cmd.platforms):
        group = words[0].lower()
        if group in router.groups and cmd is None:
            raise UserError(_group_help(ctx, group, unknown=words[1] if len(words) > 1 else None))
        suggestions = router.suggest(words)
        hint = f" Did you mean {', '.join(f'`/beacon {s}`' for s in suggestions)}?" if suggestions else ""
        raise UserError(f"I don't know the command `/beacon {' '.join(words[:2])}`.{hint} Type `/beacon help` for the list.")
    if not ctx.may(cmd.roles):
        raise UserError(_refusal(ctx, cmd))
    if rest and not cmd.usage and _has_subcommands(router, cmd):
        # `settings timezon Europe/Paris`: a typo'd sub-command, not arguments to a command that takes none
        raise UserError(_group_help(ctx, cmd.group, unknown=rest[0]))
    ctx.args = rest
    ctx.command = cmd
    if inc.network_key is None and cmd.group not in NETWORK_FREE and len(memberships(ctx.session, inc.platform, inc.user_id)) > 1:
        ctx.acted_in = ctx.network.name
    cmd.handler(ctx)


def _typed_command(ctx: Context) -> str | None:
    """The command in a message such as `/beacon members` or `/members`, else None.

    A word the open conversation answers to (`/cancel`, `/skip`, `/back`…) is not a command.
    """
    text = ctx.incoming.text.strip()
    if not text.startswith("/") or text.startswith("//"):
        return None
    words = text[1:].split()  # only to recognise a command: an open quote in an answer is not an error
    if words and words[0].lower() == "beacon":
        return " ".join(words[1:])
    if not words or words[0].lower() in CONVERSATION_WORDS:
        return None
    cmd, _rest = ctx.router.resolve(words)
    if cmd is None and words[0].lower() not in ctx.router.aliases and words[0].lower() not in ctx.router.groups:
        return None
    return " ".join(words)


def _refusal(ctx: Context, cmd: Command) -> str:
    holds = [held_by(r) for r in cmd.roles if r != Role.MEMBER]
    who = (
        ctx.session.exec(select(Member.display_name).where(Member.network_id == ctx.network.id, or_(*holds)).order_by(Member.id).limit(3)).all()
        if holds
        else []
    )
    ask = f" Ask {', '.join(who)}." if who else ""
    return f"Only {cmd.for_whom()} can use `/beacon {cmd.name}`.{ask}"


def _usage_text(ctx: Context, message: str) -> str:
    cmd = ctx.command
    if cmd is None:
        return message
    text = f"{message}\nUsage: `{cmd.synopsis()}`"
    if cmd.example:
        text += f"\nExample: `{cmd.example}`"
    return text


def _has_subcommands(router: Router, cmd: Command) -> bool:
    n = len(cmd.path)
    return any(len(path) > n and path[:n] == cmd.path for path in router.commands)


def _group_help(ctx: Context, group: str, unknown: str | None) -> str:
    lines = []
    if unknown:
        close = [s for s in ctx.router.suggest_in(group, unknown) if ctx.may(ctx.router.commands[tuple(s.split())].roles)]
        hint = f" Did you mean {', '.join(f'`/beacon {s}`' for s in close)}?" if close else ""
        lines.append(f"`/beacon {group}` has no sub-command `{markup.literal(unknown[:64])}`.{hint}")
    lines.append(f"*{group}*: {ctx.router.groups.get(group, '')}")
    for c in ctx.router.in_group(group):
        if ctx.may(c.roles):
            lines.append(f"• `{c.synopsis()}`: {c.help}")
    return "\n".join(lines)


def _action(ctx: Context) -> None:
    inc = ctx.incoming
    handler = ctx.router.actions.get(inc.action_id or "")
    if handler is None:
        raise UserError("That button no longer does anything. Type `/beacon help` to see what you can do.")
    handler(ctx)
    if not ctx.choices_handled and inc.message_ref and inc.action_label:
        base = (inc.message_text or "").strip()
        ctx.edit_choice_message(f"{base}\n✓ {inc.action_label}" if base else f"✓ {inc.action_label}")


def _message(ctx: Context) -> None:
    inc = ctx.incoming
    if inc.edited:
        # no flow updates a stored reply from an edit yet; never take an edit
        # of an old message as the answer to the question open now
        return
    if inc.network_key is None and inc.network_id is None:
        open_in = open_conversations(ctx.session, inc.platform, inc.user_id)
        if len(open_in) > 1:
            ask_which(ctx, open_in)
            return
    conv = ctx.conversation()
    if conv is not None and conv.owner in ctx.router.conversations:
        if _typed_command(ctx) is not None:
            # `/beacon help` or `/settings` typed as text: a command, never the answer to the open question
            ctx.incoming = replace(inc, kind="command", text=_typed_command(ctx))
            ctx.hand_over(conv)
            _command_beside_conversation(ctx)
            return
        ctx.hand_over(conv)  # the handler reads it first: one SELECT, not two
        ctx.router.conversations[conv.owner](ctx)
        return
    if inc.text.strip().startswith("/"):
        ctx.reply("Commands start with `/beacon`, for example `/beacon help`.")
        return
    if inc.raw.get("greeted"):
        return  # the welcome just sent (the adapter's, on first contact) is the answer to a first "hello"
    ctx.reply(NO_QUESTION)
