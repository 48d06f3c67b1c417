"""Pure normalisation of Slack payloads into :class:`Incoming` (no I/O).

One function per payload kind, picked through :data:`NORMALISERS`. Each keeps
the payload in ``raw`` and sets ``event_id`` to something stable for that
delivery (the Events API envelope's ``event_id``; the ``trigger_id`` of a
slash command or interaction), so the dispatcher's inbound table can drop
Slack's retries. Names and time zones are added later by the adapter, which
has to ask ``users.info`` for them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from bot.adapters.slack.blocks import decode_action_id
from bot.core.messages import Incoming

__all__ = [
    "NORMALISERS",
    "action_incoming",
    "command_incoming",
    "event_incoming",
    "home_opened_incoming",
    "is_dm_channel",
    "normalise",
    "view_incoming",
]

PLATFORM = "slack"
_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


def is_dm_channel(channel_id: str | None, channel_name: str | None = None) -> bool:
    return channel_name == "directmessage" or (channel_id or "").startswith("D")


def command_incoming(body: dict[str, Any]) -> Incoming:
    """``/beacon <text>``: the text is the sub-command and its arguments."""
    channel = body.get("channel_id")
    trigger = body.get("trigger_id")
    return Incoming(
        kind="command",
        platform=PLATFORM,
        user_id=body["user_id"],
        username=body.get("user_name"),
        network_key=body.get("team_id"),
        network_name=body.get("team_domain"),
        conversation=channel,
        is_private=is_dm_channel(channel, body.get("channel_name")),
        text=(body.get("text") or "").strip(),
        trigger=trigger,
        response_url=body.get("response_url"),
        event_id=f"cmd:{trigger}" if trigger else None,
        raw=body,
    )


def event_incoming(body: dict[str, Any], bot_user_id: str | None = None) -> Incoming | None:
    """A DM (``message.im``) or an ``app_mention``; ``None`` for what is not a person writing."""
    event = body.get("event") or {}
    kind = event.get("type")
    if event.get("bot_id") or event.get("subtype") or not event.get("user"):
        return None  # bot_message, message_changed, channel_join…: not a person writing to us
    if bot_user_id and event.get("user") == bot_user_id:
        return None
    text = event.get("text") or ""
    common = dict(
        platform=PLATFORM,
        user_id=event["user"],
        network_key=body.get("team_id") or event.get("team"),
        conversation=event.get("channel"),
        event_id=body.get("event_id"),
        raw=body,
    )
    if kind == "message":
        if event.get("channel_type") not in (None, "im") or not is_dm_channel(event.get("channel")):
            return None  # only direct messages are answers to prompts
        return Incoming(kind="message", is_private=True, text=text.strip(), **common)
    if kind == "app_mention":
        rest = _MENTION.sub("", text, count=1).strip()
        private = is_dm_channel(event.get("channel"))
        if rest:
            return Incoming(kind="command", is_private=private, text=rest, **common)
        return Incoming(kind="message", is_private=private, text="", **common)
    return None


def home_opened_incoming(body: dict[str, Any]) -> Incoming | None:
    """``app_home_opened`` on the Home tab: the person asks for their Home (``/beacon home``,
    answered in the tab). The Messages tab opening is nothing to answer."""
    event = body.get("event") or {}
    if event.get("type") != "app_home_opened" or event.get("tab") != "home" or not event.get("user"):
        return None
    return Incoming(
        kind="command",
        platform=PLATFORM,
        user_id=event["user"],
        network_key=body.get("team_id") or event.get("team"),
        conversation=event.get("channel"),
        is_private=True,
        text="home",
        opened_home=True,
        event_id=body.get("event_id"),
        raw=body,
    )


def _selected(action: dict[str, Any]) -> tuple[str, str | None]:
    """``(value, label)`` of a button or a select."""
    option = action.get("selected_option")
    if option:
        return option.get("value", ""), (option.get("text") or {}).get("text")
    return action.get("value", "") or "", (action.get("text") or {}).get("text")


def action_incoming(body: dict[str, Any]) -> Incoming | None:
    """A button press or a select choice on one of our messages."""
    actions = body.get("actions") or []
    if not actions:
        return None
    action = actions[0]
    if action.get("url"):
        return None  # a link button: Slack opened the link; there is nothing to answer
    value, label = _selected(action)
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    message = body.get("message") or {}
    ts = message.get("ts") or container.get("message_ts")
    if container.get("is_ephemeral") and body.get("response_url"):
        message_ref = body["response_url"]  # ephemeral messages are replaced through their response URL
    else:
        message_ref = f"{channel}:{ts}" if channel and ts else None
    trigger = body.get("trigger_id")
    user = body.get("user") or {}
    return Incoming(
        kind="action",
        platform=PLATFORM,
        user_id=user["id"],
        username=user.get("username"),
        network_key=(body.get("team") or {}).get("id") or user.get("team_id"),
        conversation=channel,
        is_private=is_dm_channel(channel),
        action_id=decode_action_id(action.get("action_id", "")),
        value=value,
        action_label=label,
        message_ref=message_ref,
        message_text=message.get("text"),
        trigger=trigger,
        response_url=body.get("response_url"),
        event_id=f"act:{trigger}" if trigger else (f"act:{action.get('action_ts')}" if action.get("action_ts") else None),
        raw=body,
    )


def form_values(state: dict[str, Any]) -> dict[str, str]:
    """``view.state.values`` as ``{block_id: text}`` (block ids are the field names)."""
    values: dict[str, str] = {}
    for block_id, actions in (state.get("values") or {}).items():
        for element in actions.values():
            if element.get("type") in ("static_select", "radio_buttons", "external_select"):
                values[block_id] = ((element.get("selected_option") or {}).get("value")) or ""
            else:
                values[block_id] = element.get("value") or ""
            break
    return values


def view_incoming(body: dict[str, Any]) -> Incoming:
    """A modal submission; ``private_metadata`` says which form and carries its context."""
    view = body.get("view") or {}
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    if not isinstance(meta, dict):
        meta = {}
    user = body.get("user") or {}
    trigger = body.get("trigger_id")
    return Incoming(
        kind="form",
        platform=PLATFORM,
        user_id=user["id"],
        username=user.get("username"),
        network_key=(body.get("team") or {}).get("id") or user.get("team_id"),
        is_private=True,
        form_id=str(meta.get("form") or view.get("callback_id") or ""),
        form_context=str(meta.get("context") or ""),
        form_values=form_values(view.get("state") or {}),
        # the dispatcher shows form errors in the modal only when there is a trigger
        trigger=trigger or view.get("id"),
        event_id=f"view:{trigger}" if trigger else f"view:{view.get('id')}:{view.get('hash')}",
        raw=body,
    )


NORMALISERS: dict[str, Callable[..., Incoming | None]] = {
    "slash_command": command_incoming,
    "event_callback": event_incoming,
    "block_actions": action_incoming,
    "view_submission": view_incoming,
}


def normalise(body: dict[str, Any], bot_user_id: str | None = None) -> Incoming | None:
    """Any payload Bolt hands us, by its kind; ``None`` when it is not for the router."""
    kind = "slash_command" if "command" in body and "trigger_id" in body else body.get("type")
    fn = NORMALISERS.get(str(kind))
    if fn is None:
        return None
    return fn(body, bot_user_id) if fn is event_incoming else fn(body)
