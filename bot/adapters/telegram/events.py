"""Pure normalisation of Telegram Updates into :class:`~bot.core.messages.Incoming`.

A dispatch table by update type (message, edited message, button press)
turns each into the one shape the dispatcher reads; ``my_chat_member``
changes become a small :class:`BotMembership`. No I/O: the adapter does the
talking (answering the button, checking a deep link) and calls these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Chat, Message, Update, User

from bot.adapters.telegram.render import CallbackCodec
from bot.core.markup import literal
from bot.core.messages import Incoming

__all__ = [
    "ALIASES",
    "COMMANDS",
    "BotMembership",
    "IN_GROUP",
    "arrivals",
    "departure",
    "membership",
    "migration",
    "start_url",
    "to_incoming",
]

PLATFORM = "telegram"
ALIASES = ("share", "reflect", "profile", "pause", "help")
COMMANDS = ("beacon", "start", *ALIASES)
ADDED_COMMAND = "welcome added"
"""The hidden command the welcome flow answers when the bot is added to a group."""
JOINED_COMMAND = "welcome joined"
"""The hidden command the welcome flow answers for each person who joined a group."""


def start_url(bot_username: str) -> str:
    """The deep-link prefix; the welcome flow appends a network key."""
    return f"https://t.me/{bot_username}?start="


def _base(update: Update, user: User, chat: Chat, bot_username: str) -> dict[str, Any]:
    private = chat.type == Chat.PRIVATE
    return {
        "platform": PLATFORM,
        "user_id": str(user.id),
        "user_name": user.full_name,
        "username": user.username,
        "network_key": None if private else str(chat.id),
        "network_name": None if private else chat.title,
        "conversation": str(chat.id),
        "is_private": private,
        "event_id": f"tg:{update.update_id}",
        "raw": {
            "update": update.to_dict(),
            "bot_username": bot_username,
            "private_start_url": start_url(bot_username),
            "chat_type": chat.type,
        },
    }


def _command(message: Message, bot_username: str) -> tuple[str, str] | None:
    """``(name, rest)`` when the message starts with a command meant for this bot."""
    entities = message.entities or ()
    if not entities or entities[0].type != "bot_command" or entities[0].offset != 0:
        return None
    text = message.text or ""
    head = text[: entities[0].length]
    name, _, target = head[1:].partition("@")
    if target and target.lower() != bot_username.lower():
        return None  # another bot's command in a shared group
    return name.lower(), text[entities[0].length :].strip()


def _mention_rest(message: Message, bot_username: str) -> tuple[bool, str] | None:
    """If the bot is @mentioned: (mention starts the message, text without it)."""
    text = message.text or ""
    handle = f"@{bot_username}".lower()
    for entity in message.entities or ():
        if entity.type == "mention" and text[entity.offset : entity.offset + entity.length].lower() == handle:
            rest = (text[: entity.offset] + text[entity.offset + entity.length :]).strip()
            return entity.offset == 0, rest
    return None


def _from_message(update: Update, bot_username: str) -> Incoming | None:
    message = update.effective_message
    user = message.from_user if message else None
    if message is None or user is None or user.is_bot or migration(update) is not None:
        return None
    base = _base(update, user, message.chat, bot_username)
    edited = update.edited_message is not None
    text = message.text or message.caption or ""
    command = _command(message, bot_username)
    if command is not None:
        if edited:
            return None  # an edited command must not run twice
        name, rest = command
        if name == "beacon":
            return Incoming(kind="command", text=rest, edited=edited, **base)
        if name == "start":
            if rest and base["is_private"]:
                base["raw"]["start_payload"] = rest
            return Incoming(kind="command", text="start", edited=edited, **base)
        if name in ALIASES:
            return Incoming(kind="command", text=f"{name} {rest}".strip(), edited=edited, **base)
        if not base["is_private"]:
            return None
        # /cancel, /back, /skip… are answers to a guided form
        return Incoming(kind="message", text=text, edited=edited, **base)
    if base["is_private"]:
        return Incoming(kind="message", text=text, edited=edited, **base)
    mention = _mention_rest(message, bot_username)
    if mention is None:
        return None  # group chatter not addressed to the bot
    leading, rest = mention
    if leading:
        return Incoming(kind="command", text=rest, edited=edited, **base)
    return Incoming(kind="message", text=rest, edited=edited, **base)


def _label_of(message: Message | None, data: str) -> str | None:
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", ()) or ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def _from_callback(update: Update, bot_username: str, codec: CallbackCodec) -> Incoming | None:
    query = update.callback_query
    decoded = codec.unpack(query.data)
    if decoded is None:
        return None  # unknown or expired button: the adapter says so
    action, value, network_id = decoded
    message = query.message
    chat = message.chat if message is not None else None
    if chat is None:
        chat = Chat(id=query.from_user.id, type=Chat.PRIVATE)
    base = _base(update, query.from_user, chat, bot_username)
    text = getattr(message, "text", None) or getattr(message, "caption", None)
    return Incoming(
        kind="action",
        action_id=action,
        value=value,
        action_label=_label_of(message, query.data or ""),
        message_ref=f"{chat.id}:{message.message_id}" if message is not None else None,
        message_text=literal(text) if text else None,
        network_id=network_id,
        **base,
    )


def to_incoming(update: Update, *, bot_username: str, codec: CallbackCodec) -> Incoming | None:
    """The Incoming for a message, edit or button press; ``None`` when not for us."""
    if update.callback_query is not None:
        return _from_callback(update, bot_username, codec)
    if update.message is not None or update.edited_message is not None:
        return _from_message(update, bot_username)
    return None


def migration(update: Update) -> tuple[int, int] | None:
    """``(old chat id, new chat id)`` when a group became a supergroup, else ``None``.

    Telegram announces it twice, once in each chat (``migrate_to_chat_id`` in
    the old group, ``migrate_from_chat_id`` in the new supergroup), and may
    send only one of them; both give the same pair.
    """
    message = update.message
    if message is None:
        return None
    if message.migrate_to_chat_id:
        return message.chat.id, message.migrate_to_chat_id
    if message.migrate_from_chat_id:
        return message.migrate_from_chat_id, message.chat.id
    return None


@dataclass(frozen=True)
class BotMembership:
    """The bot's own membership changed in a chat."""

    kind: str  # "blocked", "unblocked", "added", "removed"
    user_id: int
    chat_id: int
    private: bool


_OUT = {"left", "kicked"}
_IN = {"member", "administrator", "creator", "restricted"}
IN_GROUP = frozenset(_IN)
"""``getChatMember`` statuses of someone in the group (``restricted`` only with ``is_member``)."""


def departure(update: Update) -> tuple[int, int] | None:
    """``(group id, user id)`` when someone left or was removed from a group, else ``None``.

    Telegram says so in a ``left_chat_member`` service message (seen even with
    privacy mode on) and, where the bot is an administrator, in a
    ``chat_member`` update; either is enough.
    """
    message = update.message
    if message is not None and message.left_chat_member is not None and message.chat.type != Chat.PRIVATE:
        user = message.left_chat_member
        return None if user.is_bot else (message.chat.id, user.id)
    change = update.chat_member
    if change is None or change.chat.type == Chat.PRIVATE:
        return None
    new = change.new_chat_member
    gone = new.status in _OUT or (new.status == "restricted" and not getattr(new, "is_member", True))
    return (change.chat.id, new.user.id) if gone and not new.user.is_bot else None


def membership(update: Update) -> BotMembership | None:
    change = update.my_chat_member
    if change is None:
        return None
    old, new = change.old_chat_member.status, change.new_chat_member.status
    private = change.chat.type == Chat.PRIVATE
    if new in _OUT and old not in _OUT:
        kind = "blocked" if private else "removed"
    elif old in _OUT and new in _IN:
        kind = "unblocked" if private else "added"
    else:
        return None
    return BotMembership(kind=kind, user_id=change.from_user.id, chat_id=change.chat.id, private=private)


def arrivals(update: Update, *, bot_username: str) -> list[Incoming]:
    """One ``welcome joined`` command per person in a ``new_chat_members`` service message
    (seen even with privacy mode on); bots, the bot itself included, are left out."""
    message = update.message
    if message is None or message.chat.type == Chat.PRIVATE:
        return []
    out = []
    for user in message.new_chat_members or ():
        if user.is_bot:
            continue
        base = _base(update, user, message.chat, bot_username)
        base["event_id"] = f"tg:{update.update_id}:{user.id}"  # several people may arrive in one message
        out.append(Incoming(kind="command", command=JOINED_COMMAND, **base))
    return out


def added_incoming(update: Update, *, bot_username: str) -> Incoming:
    """The bot was added to a group: the adder asks the welcome flow to set it up."""
    change = update.my_chat_member
    base = _base(update, change.from_user, change.chat, bot_username)
    return Incoming(kind="command", command=ADDED_COMMAND, **base)
