"""Forms as a guided chat, for platforms without modals (Telegram, console).

One question a message, with *back*, *skip* (optional fields) and *cancel*.
The answers reach the same form handler a Slack modal submission reaches,
so a flow writes one handler for both.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core.errors import FormErrors, UserError
from bot.core.messages import Choice, Form
from bot.core.router import Router
from bot.store.models import Role

if TYPE_CHECKING:
    from bot.core.context import Context  # the context opens forms: it imports this module

__all__ = ["CONVERSATION_WORDS", "FORM_OWNER", "start_guided", "register", "submit", "validate", "waiting_note"]

FORM_OWNER = "form"
CANCEL_WORDS = {"cancel", "/cancel", "stop", "quit"}
BACK_WORDS = {"back", "/back"}
SKIP_WORDS = {"skip", "/skip", "-"}
KEEP_WORDS = {"keep", "/keep"}
CONVERSATION_WORDS = {w.lstrip("/") for w in (*CANCEL_WORDS, *BACK_WORDS, *SKIP_WORDS, *KEEP_WORDS)} | {"stop", "done", "start"}
"""Words an open conversation answers to, also with a slash (`/cancel`): never taken for a command."""


def validate(form: Form, values: dict[str, str]) -> dict[str, str]:
    """Field errors for required and over-long answers (empty dict when fine)."""
    errors: dict[str, str] = {}
    for f in form.fields:
        value = (values.get(f.name) or "").strip()
        if f.required and not value:
            errors[f.name] = f"{f.label} is needed."
        elif len(value) > f.max_length:
            errors[f.name] = f"{f.label} is too long: {len(value)} characters, at most {f.max_length}."
        elif value and f.options and value not in f.options:
            errors[f.name] = f"{f.label}: choose one of {', '.join(f.options)}."
    return errors


def start_guided(ctx: Context, form: Form) -> None:
    values = {f.name: f.initial for f in form.fields if f.initial}  # an edit form starts from what's there
    ctx.start_conversation(FORM_OWNER, {"form": form.to_dict(), "index": 0, "values": values})
    if form.intro:
        ctx.reply(form.intro)
    _ask(ctx, form, 0, values)


def _ask(ctx: Context, form: Form, index: int, values: dict[str, str]) -> None:
    f = form.fields[index]
    lines = [f"*{form.title}* ({index + 1} of {len(form.fields)})", f"*{f.label}*"]
    if f.hint:
        lines.append(f"_{f.hint}_")
    if values.get(f.name):
        lines.append(f"So far: {values[f.name]}")
    choices = [Choice(o, "form.option", o) for o in f.options]
    if values.get(f.name):
        choices.append(Choice("Keep", "form.keep"))
    if not f.required:
        choices.append(Choice("Skip", "form.skip"))
    if index > 0:
        choices.append(Choice("Back", "form.back"))
    choices.append(Choice("Cancel", "form.cancel", style="danger"))
    tips = [
        "*keep* to keep it" if values.get(f.name) else "",
        "*back* to go back" if index else "",
        "*skip* to leave it out" if not f.required else "",
        "*cancel* to stop",
    ]
    lines.append("(Say " + ", ".join(t for t in tips if t) + ".)")
    ctx.reply("\n".join(lines), choices=choices)


def _step(ctx: Context, text: str, *, command: str | None = None) -> None:
    conv = ctx.conversation()
    if conv is None or conv.owner != FORM_OWNER:
        ctx.reply("That form is already closed.")
        return
    state = dict(conv.state)
    form = Form.from_dict(state["form"])
    index: int = state["index"]
    values: dict[str, str] = dict(state["values"])
    field = form.fields[index]
    word = (command or text).strip().lower()

    if word in CANCEL_WORDS:
        ctx.end_conversation()
        ctx.reply(f"Cancelled {form.title.lower()}. Nothing was saved.")
        return
    if word in BACK_WORDS:
        index = max(0, index - 1)
    elif word in KEEP_WORDS and command != "option" and values.get(field.name):
        index += 1
    elif word in SKIP_WORDS and command != "option":
        if field.required:
            ctx.reply(f"*{field.label}* is needed, so it can't be skipped. Write an answer, or *cancel*.")
            return
        values.pop(field.name, None)
        index += 1
    else:
        answer = text.strip()
        problem = validate(replace(form, fields=(field,)), {field.name: answer}).get(field.name)
        check = ctx.router.form_checks.get(form.id)
        if not problem and check is not None:
            problem = check(ctx, field.name, answer)
        if problem:
            ctx.reply(problem + " Try again, or say *cancel*.")
            return
        values[field.name] = answer
        index += 1

    if index < len(form.fields):
        ctx.save_conversation(conv, {**state, "index": index, "values": values})
        _ask(ctx, form, index, values)
        return
    _submit(ctx, conv, form, values)


def _submit(ctx: Context, conv, form: Form, values: dict[str, str]) -> None:
    """Hand the answers to the form's handler; when it refuses one, ask that one again, keeping the rest.

    The handler runs in a savepoint, so a refusal takes back whatever it had
    begun; the conversation stays open on the refused question (never on the
    last one, where every answer would be refused again).
    """
    handler = ctx.router.forms.get(form.id)
    if handler is None:
        ctx.end_conversation()
        ctx.reply("That form has expired. Please start again.")
        return
    asked = ctx.incoming
    errors = validate(form, values)
    if not errors:
        ctx.incoming = replace(asked, kind="form", form_id=form.id, form_values=values, form_context=form.context)
        try:
            with ctx.session.begin_nested():
                ctx.end_conversation()
                submit(ctx, form.title)
            return
        except FormErrors as exc:
            errors = exc.errors
        except UserError as exc:  # refused as a whole: close, or every answer would be refused again
            ctx.end_conversation()
            ctx.reply(str(exc))
            return
        finally:
            ctx.incoming = asked
    names = [f.name for f in form.fields]
    index = min((names.index(n) for n in errors if n in names), default=None)
    if index is None:  # nothing to ask again: say what was wrong and close
        ctx.end_conversation()
        raise FormErrors(errors)
    field = form.fields[index]
    ctx.save_conversation(conv, {"form": form.to_dict(), "index": index, "values": values})
    ctx.reply(f"{errors[field.name]} Your other answers are kept.")
    _ask(ctx, form, index, values)


def waiting_note(conv) -> str | None:
    """What to tell someone who ran a command while this guided form was open (None for other conversations)."""
    if conv is None or conv.owner != FORM_OWNER:
        return None
    form = Form.from_dict(conv.state["form"])
    index = int(conv.state.get("index", 0))
    label = form.fields[min(index, len(form.fields) - 1)].label
    return f"Your *{form.title}* is still open at *{label}* ({index + 1} of {len(form.fields)}): answer it when you're ready, or say *cancel*."


def submit(ctx: Context, title: str = "") -> None:
    """The last step of every form, a Slack modal's or a guided chat's: the
    sender's role is checked again here, as it stands now."""
    form_id = ctx.incoming.form_id or ""
    handler = ctx.router.forms.get(form_id)
    if handler is None:
        raise UserError("That form has expired. Please start again.")
    needed = ctx.router.form_roles.get(form_id, frozenset())
    if needed and not ctx.may(needed):
        what = f"*{title}*" if title else "this form"
        who = " or ".join(f"{r.value}s" for r in Role if r in needed)
        raise UserError(f"Only {who} can save {what}, and you no longer are one. Nothing was saved.")
    handler(ctx)


def _on_message(ctx: Context) -> None:
    _step(ctx, ctx.incoming.text)


def _on_action(name: str):
    def handler(ctx: Context) -> None:
        ctx.edit_choice_message(f"{ctx.incoming.message_text or ''}\n✓ {ctx.incoming.action_label or name}".strip())
        if name == "option":
            _step(ctx, ctx.incoming.value, command="option")
        else:
            _step(ctx, name, command=name)

    return handler


def register(router: Router) -> None:
    router.conversation(FORM_OWNER, _on_message)
    for name in ("skip", "back", "cancel", "option", "keep"):
        router.action(f"form.{name}", _on_action(name))
