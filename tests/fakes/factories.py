"""Inbound payloads for end-to-end tests, and helpers to deliver them to our app.

Each factory starts from a realistic fixture in ``payloads/`` (captured in the
shape Slack and Telegram send) and overrides only what the test names, so a
test says ``slack_message_im("hello", user="U1")`` and still sends a payload
with every field the real platform includes. Defaults match the fakes'
defaults: Slack team ``T0BEACON``, bot user ``UBOT0001``; Telegram bot id
``123456`` (``beacon_test_bot``).

Delivery: :func:`post_signed` signs a body exactly as Slack does (v0 HMAC of
``v0:{timestamp}:{body}``) and :func:`post_update` posts an Update as the Bot
API does to a webhook, both to a URL, an ``httpx.AsyncClient`` or an ASGI app.
"""

from __future__ import annotations

import functools
import itertools
import json
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

__all__ = [
    "load_payload",
    "form_body",
    "signed_headers",
    "post_signed",
    "post_update",
    "slack_slash_command",
    "slack_message_im",
    "slack_app_mention",
    "slack_event_callback",
    "slack_block_actions",
    "slack_view_submission",
    "slack_selected",
    "slack_url_verification",
    "slack_interactive_body",
    "tg_user",
    "tg_command",
    "tg_text",
    "tg_callback_query",
    "tg_edited_message",
    "tg_my_chat_member",
]

PAYLOADS = Path(__file__).parent / "payloads"
_seq = itertools.count(1)  # unique ids across one test session; tests pass explicit ids to repeat one


@functools.cache
def _read(name: str) -> str:
    return (PAYLOADS / f"{name}.json").read_text()


def load_payload(name: str) -> dict[str, Any]:
    """A fresh copy of ``payloads/<name>.json``."""
    return json.loads(_read(name))


def _ts() -> str:
    return f"{int(time.time())}.{next(_seq):06d}"


# -- Slack -----------------------------------------------------------------
def form_body(fields: dict[str, Any]) -> str:
    """``application/x-www-form-urlencoded`` body, as Slack sends slash commands."""
    return urlencode({k: v for k, v in fields.items() if v is not None})


def slack_slash_command(
    text: str = "",
    *,
    command: str = "/beacon",
    user_id: str = "U0ALICE01",
    user_name: str = "alice",
    team_id: str = "T0BEACON",
    channel_id: str = "D0ALICE01",
    channel_name: str = "directmessage",
    response_url: str | None = None,
    trigger_id: str | None = None,
    api_app_id: str = "A0BEACON",
) -> dict[str, str]:
    """Slash-command fields; send with ``form_body`` or ``post_signed`` (form)."""
    fields = load_payload("slack_slash_command")
    fields.update(
        text=text,
        command=command,
        user_id=user_id,
        user_name=user_name,
        team_id=team_id,
        channel_id=channel_id,
        channel_name=channel_name,
        api_app_id=api_app_id,
        trigger_id=trigger_id or f"{next(_seq)}.1234567890.{uuid.uuid4().hex}",
    )
    if response_url is not None:
        fields["response_url"] = response_url
    return fields


def slack_event_callback(
    event: dict[str, Any],
    *,
    team_id: str = "T0BEACON",
    api_app_id: str = "A0BEACON",
    event_id: str | None = None,
    event_time: int | None = None,
    bot_user_id: str = "UBOT0001",
) -> dict[str, Any]:
    """Wrap an ``event`` in the Events API ``event_callback`` envelope."""
    envelope = load_payload("slack_event_message_im")
    envelope.update(
        event=event,
        team_id=team_id,
        context_team_id=team_id,
        api_app_id=api_app_id,
        event_id=event_id or f"Ev{next(_seq):010d}",
        event_time=event_time or int(time.time()),
    )
    envelope["authorizations"][0].update(team_id=team_id, user_id=bot_user_id)
    return envelope


def _message_event(name: str, text: str, user: str, channel: str, ts: str | None, team_id: str, **extra: Any) -> dict[str, Any]:
    event = load_payload(name)["event"]
    ts = ts or _ts()
    event.update(text=text, user=user, channel=channel, ts=ts, event_ts=ts, team=team_id, client_msg_id=str(uuid.uuid4()))
    event["blocks"][0]["elements"][0]["elements"] = [{"type": "text", "text": text}]
    event.update({k: v for k, v in extra.items() if v is not None})
    return event


def slack_message_im(
    text: str,
    *,
    user: str = "U0ALICE01",
    channel: str = "D0ALICE01",
    ts: str | None = None,
    thread_ts: str | None = None,
    bot_id: str | None = None,
    team_id: str = "T0BEACON",
    event_id: str | None = None,
) -> dict[str, Any]:
    """``event_callback`` for a direct message (``message.im``); ``bot_id`` makes it a bot's own."""
    event = _message_event("slack_event_message_im", text, user, channel, ts, team_id, thread_ts=thread_ts, bot_id=bot_id)
    return slack_event_callback(event, team_id=team_id, event_id=event_id)


def slack_app_mention(
    text: str,
    *,
    user: str = "U0ALICE01",
    channel: str = "C0LEARN01",
    ts: str | None = None,
    bot_user_id: str = "UBOT0001",
    team_id: str = "T0BEACON",
    event_id: str | None = None,
) -> dict[str, Any]:
    """``event_callback`` for ``app_mention``; ``text`` gets the ``<@bot>`` prefix."""
    event = _message_event("slack_event_app_mention", f"<@{bot_user_id}> {text}", user, channel, ts, team_id)
    return slack_event_callback(event, team_id=team_id, event_id=event_id, bot_user_id=bot_user_id)


def slack_url_verification(challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") -> dict[str, str]:
    return load_payload("slack_url_verification") | {"challenge": challenge}


def slack_block_actions(
    action_id: str,
    value: str = "",
    *,
    block_id: str = "choices",
    user_id: str = "U0ALICE01",
    user_name: str = "alice",
    team_id: str = "T0BEACON",
    channel_id: str = "D0ALICE01",
    message_ts: str | None = None,
    message_text: str | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """An interactivity ``block_actions`` payload for a button press on a bot message."""
    payload = load_payload("slack_block_actions")
    message_ts = message_ts or payload["message"]["ts"]
    payload["user"].update(id=user_id, username=user_name, name=user_name, team_id=team_id)
    payload["team"]["id"] = team_id
    payload["container"].update(message_ts=message_ts, channel_id=channel_id)
    payload["channel"]["id"] = channel_id
    payload["message"]["ts"] = message_ts
    if message_text is not None:
        payload["message"]["text"] = message_text
    payload["trigger_id"] = trigger_id or f"{next(_seq)}.1234567890.{uuid.uuid4().hex}"
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [
        {
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "type": "button",
            "text": {"type": "plain_text", "text": value or action_id, "emoji": True},
            "action_ts": _ts(),
        }
    ]
    return payload


def slack_selected(value: str, text: str | None = None) -> dict[str, Any]:
    """A ``static_select`` state value for :func:`slack_view_submission`."""
    return {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}}


def slack_view_submission(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    private_metadata: str = "",
    user_id: str = "U0ALICE01",
    user_name: str = "alice",
    team_id: str = "T0BEACON",
    view_id: str = "V0REFLECT1",
) -> dict[str, Any]:
    """A ``view_submission``; ``values`` is ``{block_id: {action_id: str | state dict}}``.

    A plain string becomes a ``plain_text_input`` value; pass
    :func:`slack_selected` for a select.
    """
    payload = load_payload("slack_view_submission")
    payload["user"].update(id=user_id, username=user_name, name=user_name, team_id=team_id)
    payload["team"]["id"] = team_id
    state = {
        block: {action: ({"type": "plain_text_input", "value": v} if isinstance(v, str) else v) for action, v in actions.items()}
        for block, actions in values.items()
    }
    payload["view"].update(
        id=view_id,
        root_view_id=view_id,
        team_id=team_id,
        app_installed_team_id=team_id,
        callback_id=callback_id,
        private_metadata=private_metadata,
        state={"values": state},
    )
    return payload


def slack_interactive_body(payload: dict[str, Any]) -> dict[str, str]:
    """Interactivity form fields: ``payload=<json>`` (post with form content type)."""
    return {"payload": json.dumps(payload)}


def signed_headers(
    body: str,
    *,
    signing_secret: str,
    timestamp: int | str | None = None,
    forged: bool = False,
) -> dict[str, str]:
    """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` for ``body``.

    ``forged`` signs with a different secret: well-formed but invalid.
    """
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    secret = "forged-" + signing_secret if forged else signing_secret
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


async def post_signed(
    target: Any,
    path: str,
    body: str | dict[str, Any],
    *,
    signing_secret: str,
    content_type: str | None = None,
    timestamp: int | str | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
    forged: bool = False,
) -> httpx.Response:
    """Sign ``body`` as Slack does and POST it to ``path`` on ``target``.

    ``target`` is a base URL, an ``httpx.AsyncClient`` or an ASGI app. A dict
    body is form-encoded when it is a slash command or an interactivity
    payload (``command`` / ``payload`` key) or ``content_type`` says form;
    otherwise it is sent as JSON.
    """
    if content_type is None:
        is_form = isinstance(body, dict) and ("command" in body or "payload" in body)
        is_form = is_form or (isinstance(body, str) and not body.lstrip().startswith("{"))
        content_type = "application/x-www-form-urlencoded" if is_form else "application/json"
    if isinstance(body, dict):
        body = form_body(body) if content_type.startswith("application/x-www-form") else json.dumps(body)
    headers = {"Content-Type": content_type, **signed_headers(body, signing_secret=signing_secret, timestamp=timestamp, forged=forged)}
    if retry_num is not None:
        headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason})
    return await _post(target, path, body.encode(), headers)


async def post_update(
    target: Any,
    update: dict[str, Any],
    secret_token: str | None = None,
    *,
    path: str | None = None,
) -> httpx.Response:
    """POST an Update as Telegram does to a webhook (``X-Telegram-Bot-Api-Secret-Token``).

    ``target`` is the full webhook URL, or an ``httpx.AsyncClient`` / ASGI app
    (then ``path`` defaults to ``/telegram/webhook``).
    """
    if path is None:
        path = "" if isinstance(target, str) else "/telegram/webhook"
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    return await _post(target, path, json.dumps(update).encode(), headers)


async def _post(target: Any, path: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
    if isinstance(target, httpx.AsyncClient):
        return await target.post(path, content=content, headers=headers)
    if isinstance(target, str):
        async with httpx.AsyncClient() as client:
            return await client.post(target.rstrip("/") + path if path else target, content=content, headers=headers)
    transport = httpx.ASGITransport(app=target)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(path, content=content, headers=headers)


# -- Telegram -----------------------------------------------------------------
def tg_user(
    user_id: int = 1001, *, first_name: str = "Ada", username: str | None = "ada", language_code: str | None = "en", is_bot: bool = False
) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": is_bot, "first_name": first_name, "username": username, "language_code": language_code}
    return {k: v for k, v in user.items() if v is not None}


def _chat(chat_id: int | None, user: dict[str, Any], chat_type: str | None) -> dict[str, Any]:
    if chat_id is None or chat_id == user["id"]:
        return {
            "id": user["id"],
            "type": "private",
            "first_name": user["first_name"],
            **({"username": user["username"]} if "username" in user else {}),
        }
    kind = chat_type or ("supergroup" if str(chat_id).startswith("-100") else "group")
    return {"id": chat_id, "type": kind, "title": "Learning Network"}


def _message(
    name: str,
    key: str,
    text: str,
    user_id: int,
    chat_id: int | None,
    chat_type: str | None,
    update_id: int | None,
    message_id: int | None,
    date: int | None,
) -> dict[str, Any]:
    update = load_payload(name)
    user = tg_user(user_id) if user_id != 1001 else update[key]["from"]
    message = update[key]
    message.update(
        {
            "from": user,
            "chat": _chat(chat_id, user, chat_type),
            "text": text,
            "message_id": message_id or next(_seq),
            "date": date or int(time.time()),
        }
    )
    update["update_id"] = update_id if update_id is not None else next(_seq)
    return update


def tg_command(
    command: str = "start",
    args: str = "",
    *,
    user_id: int = 1001,
    chat_id: int | None = None,
    chat_type: str | None = None,
    bot_username: str | None = None,
    update_id: int | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """A message with a ``bot_command`` entity: ``/command[@bot] args``.

    Update ids default to a session-wide increasing counter (Telegram's ids
    only grow, and ``getUpdates`` drops ids below the confirmed offset).
    Pass ``bot_username`` for group-style ``/cmd@bot``.
    """
    head = f"/{command}" + (f"@{bot_username}" if bot_username else "")
    update = _message("telegram_message_command", "message", f"{head} {args}".rstrip(), user_id, chat_id, chat_type, update_id, message_id, date)
    update["message"]["entities"] = [{"offset": 0, "length": len(head), "type": "bot_command"}]
    return update


def tg_text(
    text: str,
    *,
    user_id: int = 1001,
    chat_id: int | None = None,
    chat_type: str | None = None,
    update_id: int | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """A plain text message (private chat unless ``chat_id`` names a group)."""
    return _message("telegram_message_text", "message", text, user_id, chat_id, chat_type, update_id, message_id, date)


def tg_edited_message(
    text: str,
    *,
    message_id: int,
    user_id: int = 1001,
    chat_id: int | None = None,
    update_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    update = _message("telegram_edited_message", "edited_message", text, user_id, chat_id, None, update_id, message_id, date)
    update["edited_message"]["edit_date"] = update["edited_message"]["date"] + 30
    return update


def tg_callback_query(
    data: str,
    *,
    user_id: int = 1001,
    chat_id: int | None = None,
    message_id: int = 13,
    message_text: str | None = None,
    query_id: str | None = None,
    update_id: int | None = None,
    bot_id: int = 123456,
    bot_username: str = "beacon_test_bot",
) -> dict[str, Any]:
    """A button press (``callback_query``) on the bot's message ``message_id``."""
    update = load_payload("telegram_callback_query")
    query = update["callback_query"]
    user = tg_user(user_id) if user_id != 1001 else query["from"]
    query.update({"from": user, "data": data, "id": query_id or str(4382000000000 + next(_seq))})
    query["message"].update(
        {
            "chat": _chat(chat_id, user, None),
            "message_id": message_id,
            "from": {"id": bot_id, "is_bot": True, "first_name": "Beacon", "username": bot_username},
        }
    )
    if message_text is not None:
        query["message"]["text"] = message_text
    update["update_id"] = update_id if update_id is not None else next(_seq)
    return update


def tg_my_chat_member(
    new_status: str = "kicked",
    old_status: str = "member",
    *,
    user_id: int = 1001,
    chat_id: int | None = None,
    update_id: int | None = None,
    bot_id: int = 123456,
    bot_username: str = "beacon_test_bot",
) -> dict[str, Any]:
    """The bot's own membership changed: ``kicked`` = blocked in a private chat."""
    update = load_payload("telegram_my_chat_member")
    change = update["my_chat_member"]
    user = tg_user(user_id) if user_id != 1001 else change["from"]
    bot = {"id": bot_id, "is_bot": True, "first_name": "Beacon", "username": bot_username}
    change.update(
        {
            "from": user,
            "chat": _chat(chat_id, user, None),
            "date": int(time.time()),
            "old_chat_member": {"user": bot, "status": old_status},
            "new_chat_member": {"user": bot, "status": new_status},
        }
    )
    if new_status == "kicked":
        change["new_chat_member"]["until_date"] = 0
    update["update_id"] = update_id if update_id is not None else next(_seq)
    return update
