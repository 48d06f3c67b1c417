"""Pure rendering of :class:`Outgoing` and :class:`Form` as Slack Block Kit.

No I/O here, so the limits Slack enforces (3,000 characters per section, 50
blocks per message, 25 buttons per actions block, 24-character modal titles…)
are tested directly: content that is too long is split on paragraph
boundaries, and what still does not fit is cut with a visible marker. Slack
must never reject a message because a flow wrote too much.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.home import more_choice
from bot.core.markup import to_plain, to_slack
from bot.core.messages import Choice, Form, HomeSection, Outgoing

__all__ = [
    "CUT_MARKER",
    "MAX_BLOCKS",
    "MAX_SECTION",
    "MAX_TEXT",
    "decode_action_id",
    "encode_action_id",
    "modal_metadata",
    "render_home",
    "render_message",
    "render_modal",
    "split_mrkdwn",
]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_TEXT = 39_000  # chat.postMessage cuts ``text`` at 40,000; stay clear of it
MAX_BUTTONS = 25
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_MODAL_TITLE = 24
MAX_METADATA = 3000
MAX_VIEW_BLOCKS = 100  # a modal or the Home tab
HOME_ITEMS = 10
"""Items of one section the Home tab shows before its "More…" button."""
CUT_MARKER = "\n… _(cut: too long for Slack)_"


def _plain(text: str, limit: int) -> dict[str, Any]:
    text = text.strip() or " "
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def _cut(text: str, limit: int, marker: str = CUT_MARKER) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))].rstrip() + marker


def split_mrkdwn(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Chunks of at most ``limit`` characters, broken at paragraphs, else lines, else words."""
    if len(text) <= limit:
        return [text] if text.strip() else []
    for sep in ("\n\n", "\n", " "):
        if sep not in text:
            continue
        chunks: list[str] = []
        current = ""
        for part in text.split(sep):
            joined = f"{current}{sep}{part}" if current else part
            if len(joined) <= limit:
                current = joined
                continue
            if current.strip():
                chunks.append(current)
            if len(part) > limit:
                chunks.extend(split_mrkdwn(part, limit))
                current = ""
            else:
                current = part
        if current.strip():
            chunks.append(current)
        return chunks
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def encode_action_id(action: str, n: int) -> str:
    """Slack wants action ids unique within a message; two buttons may share an action."""
    return f"{action}|{n}"


def decode_action_id(action_id: str) -> str:
    base, sep, n = action_id.rpartition("|")
    return base if sep and n.isdigit() else action_id


def _button(choice: Choice, n: int) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": encode_action_id(choice.action, n),
        "text": _plain(to_plain(choice.label), MAX_BUTTON_TEXT),
        "value": choice.value[:MAX_BUTTON_VALUE],
    }
    if choice.style in ("primary", "danger"):
        button["style"] = choice.style
    if choice.url:
        button["url"] = choice.url  # a link: Slack opens it (and still tells us, which we ignore)
    return button


def _actions(choices: tuple[Choice, ...]) -> list[dict[str, Any]]:
    blocks = []
    for start in range(0, len(choices), MAX_BUTTONS):
        batch = choices[start : start + MAX_BUTTONS]
        blocks.append(
            {
                "type": "actions",
                "block_id": "choices" if start == 0 else f"choices-{start // MAX_BUTTONS}",
                "elements": [_button(c, start + i) for i, c in enumerate(batch)],
            }
        )
    return blocks


def render_message(out: Outgoing) -> tuple[str, list[dict[str, Any]]]:
    """``(text, blocks)`` for chat.postMessage / chat.update / chat.postEphemeral.

    ``text`` is the notification fallback (mrkdwn); ``blocks`` holds a header,
    the text as sections and the choices as buttons, all within Slack's limits.
    """
    body = to_slack(out.text)
    header = to_plain(out.header).strip() if out.header else ""
    actions = _actions(out.choices)[: MAX_BLOCKS // 2]
    room = MAX_BLOCKS - len(actions) - (1 if header else 0)
    sections = split_mrkdwn(body)
    if len(sections) > room:
        sections = sections[:room]
        sections[-1] = _cut(sections[-1] + CUT_MARKER, MAX_SECTION)
    blocks: list[dict[str, Any]] = []
    if header:
        blocks.append({"type": "header", "text": _plain(header, MAX_HEADER)})
    blocks.extend({"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections)
    blocks.extend(actions)
    fallback = f"*{header}*\n{body}" if header and body.strip() else (body if body.strip() else header)
    return _cut(fallback or "…", MAX_TEXT), blocks


def modal_metadata(form: Form) -> str:
    """What comes back with the submission: which form, and the flow's context."""
    data = json.dumps({"form": form.id, "context": form.context}, separators=(",", ":"))
    if len(data) > MAX_METADATA:
        raise ValueError(f"form {form.id!r} context is too long for a Slack modal ({len(data)} > {MAX_METADATA})")
    return data


def _input(field) -> dict[str, Any]:
    if field.options:
        options = [{"text": _plain(o, 75), "value": o[:150]} for o in field.options[:100]]
        element: dict[str, Any] = {"type": "static_select", "action_id": field.name, "options": options}
        initial = next((o for o in options if o["value"] == field.initial), None)
        if initial:
            element["initial_option"] = initial
        element["placeholder"] = _plain("Choose…", 150)
    else:
        element = {
            "type": "plain_text_input",
            "action_id": field.name,
            "multiline": field.multiline,
            "max_length": max(1, min(field.max_length, 3000)),
        }
        if field.initial:
            element["initial_value"] = field.initial[: element["max_length"]]
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.name,
        "label": _plain(field.label, 2000),
        "optional": not field.required,
        "element": element,
    }
    if field.hint:
        block["hint"] = _plain(field.hint, 2000)
    return block


def render_modal(form: Form) -> dict[str, Any]:
    """A modal view: one input per field; ``callback_id`` names the form."""
    blocks: list[dict[str, Any]] = []
    if form.intro:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(to_slack(form.intro), MAX_SECTION)}})
    blocks.extend(_input(f) for f in form.fields[: 100 - len(blocks)])
    return {
        "type": "modal",
        "callback_id": form.id[:255],
        "title": _plain(to_plain(form.title), MAX_MODAL_TITLE),
        "submit": _plain(form.submit_label, MAX_MODAL_TITLE),
        "close": _plain("Cancel", MAX_MODAL_TITLE),
        "private_metadata": modal_metadata(form),
        "blocks": blocks,
    }


# -- the Home tab ----------------------------------------------------------------------------


def _home_blocks(section: HomeSection, shown: int, last: bool) -> int:
    """How many blocks ``section`` takes with ``shown`` items (see :func:`render_home`)."""
    items = section.items[:shown]
    n = 1 + bool(section.text) + (not section.items and bool(section.empty)) + bool(section.choices) + (shown < len(section.items))
    return n + sum(1 + bool(i.choices) for i in items) + (not last)


def render_home(sections: tuple[HomeSection, ...] | list[HomeSection]) -> dict[str, Any]:
    """A ``home`` view for views.publish: per section a header, its text, its items (each with
    its buttons) and its own buttons, within a view's 100 blocks: the longest lists give way
    first, and a section showing only part of its items ends with "More…"."""
    sections = list(sections)
    shown = [min(len(s.items), HOME_ITEMS) for s in sections]

    def total() -> int:
        return sum(_home_blocks(s, k, i == len(sections) - 1) for i, (s, k) in enumerate(zip(sections, shown, strict=True)))

    while total() > MAX_VIEW_BLOCKS and any(shown):
        shown[shown.index(max(shown))] -= 1
    blocks: list[dict[str, Any]] = []
    counter = iter(range(10_000))

    def text_block(text: str) -> None:
        blocks.append({"type": "section", "block_id": f"home-{next(counter)}", "text": {"type": "mrkdwn", "text": _cut(to_slack(text), MAX_SECTION)}})

    def buttons(choices: tuple[Choice, ...]) -> None:
        n = next(counter)
        blocks.append(
            {"type": "actions", "block_id": f"home-{n}", "elements": [_button(c, n * MAX_BUTTONS + j) for j, c in enumerate(choices[:MAX_BUTTONS])]}
        )

    for i, (section, k) in enumerate(zip(sections, shown, strict=True)):
        blocks.append({"type": "header", "block_id": f"home-{next(counter)}", "text": _plain(to_plain(section.title), MAX_HEADER)})
        if section.text:
            text_block(section.text)
        if not section.items and section.empty:
            text_block(section.empty)
        for item in section.items[:k]:
            text_block(item.text)
            if item.choices:
                buttons(item.choices)
        if k < len(section.items):
            buttons((more_choice(section),))
        if section.choices:
            buttons(section.choices)
        if i < len(sections) - 1:
            blocks.append({"type": "divider", "block_id": f"home-{next(counter)}"})
    if not blocks:
        text_block("Nothing here yet. Type `/beacon help` in a message to Beacon to see what it can do.")
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
