"""The two shapes every platform is translated into and out of.

Adapters turn platform events into :class:`Incoming` and render
:class:`Outgoing`; flows only ever see these, so a flow never knows whether
it is talking to Slack, Telegram or a terminal.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "Address",
    "Attachment",
    "Choice",
    "Field",
    "Form",
    "HomeItem",
    "HomeSection",
    "Incoming",
    "Outgoing",
    "IncomingKind",
    "ROSTER_KEY",
    "Roster",
]

IncomingKind = Literal["message", "command", "action", "form"]


@dataclass(frozen=True, kw_only=True)
class Incoming:
    """One thing a person did: wrote, ran a command, pressed a button, sent a form.

    ``network_key`` is the platform's id for the network (Slack team id,
    Telegram group id, ``"console"``); it is ``None`` for a private chat on a
    platform that does not say which network it belongs to (Telegram), and the
    dispatcher then finds the member's network. ``joins_by_link`` marks a
    private event whose ``network_key`` comes from a link the person opened
    (Telegram's ``/start <group id>``, checked by the adapter against the
    group's members): it may add them to that network if it exists, but never
    creates one or makes anyone its facilitator. ``trigger`` is set only by a
    platform that can open a form as a modal, and only while it can; without
    one, a form is asked as a guided chat. ``network_id`` is the network a
    pressed button was sent for, when the platform's chat does not say
    (a Telegram private chat); the dispatcher acts there if the person is a
    member of it.
    """

    kind: IncomingKind
    platform: str
    user_id: str
    network_key: str | None = None
    network_name: str | None = None
    user_name: str | None = None
    username: str | None = None
    user_timezone: str | None = None
    conversation: str | None = None
    is_private: bool = True
    text: str = ""
    command: str | None = None
    args: tuple[str, ...] = ()
    action_id: str | None = None
    value: str = ""
    action_label: str | None = None
    message_ref: str | None = None
    message_text: str | None = None
    form_id: str | None = None
    form_values: dict[str, str] = field(default_factory=dict)
    form_context: str = ""
    trigger: str | None = None
    response_url: str | None = None
    event_id: str | None = None
    is_admin: bool = False
    edited: bool = False
    joins_by_link: bool = False
    network_id: int | None = None
    opened_home: bool = False
    """The person opened the platform's Home surface (Slack's Home tab): the answer is their
    Home, published there, not a message."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Choice:
    """A button (or numbered option on the console) that sends an action back.

    With ``url`` it is a link button instead (Telegram's start link): pressing
    it opens the link and sends nothing back, so ``action`` is not used.
    """

    label: str
    action: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"
    url: str = ""

    @classmethod
    def link(cls, label: str, url: str) -> Choice:
        return cls(label, "", url=url)

    def to_dict(self) -> dict[str, Any]:
        data = {"label": self.label, "action": self.action, "value": self.value, "style": self.style}
        if self.url:
            data["url"] = self.url
        return data


@dataclass(frozen=True, kw_only=True)
class HomeItem:
    """One line of a Home section (a commitment, a practice) with its buttons."""

    text: str
    choices: tuple[Choice, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "choices": [c.to_dict() for c in self.choices]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HomeItem:
        return cls(text=data["text"], choices=tuple(Choice(**c) for c in data.get("choices", ())))


@dataclass(frozen=True, kw_only=True)
class HomeSection:
    """A flow's part of a member's Home: platform-neutral, so Slack shows it in the Home
    tab and every platform as the answer to ``/beacon home``.

    ``name`` is the hook that made it (``router.home_section``): a "more…" button asks it
    again for the whole list when a platform shows only the first ``items``; ``empty`` is
    said when there are none; ``choices`` are the section's own buttons (pause, run now).
    """

    name: str
    title: str
    text: str = ""
    items: tuple[HomeItem, ...] = ()
    empty: str = ""
    choices: tuple[Choice, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "text": self.text,
            "items": [i.to_dict() for i in self.items],
            "empty": self.empty,
            "choices": [c.to_dict() for c in self.choices],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HomeSection:
        return cls(
            name=data["name"],
            title=data["title"],
            text=data.get("text", ""),
            items=tuple(HomeItem.from_dict(i) for i in data.get("items", ())),
            empty=data.get("empty", ""),
            choices=tuple(Choice(**c) for c in data.get("choices", ())),
        )


@dataclass(frozen=True, kw_only=True)
class Field:
    """One question of a form: a Slack modal input or one step of a guided chat."""

    name: str
    label: str
    hint: str = ""
    required: bool = False
    max_length: int = 500
    multiline: bool = False
    options: tuple[str, ...] = ()
    initial: str = ""


@dataclass(frozen=True, kw_only=True)
class Form:
    """A form a flow wants filled in; ``id`` names the handler for the answers."""

    id: str
    title: str
    fields: tuple[Field, ...]
    submit_label: str = "Submit"
    context: str = ""
    intro: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Form:
        fields = tuple(Field(**{**f, "options": tuple(f.get("options", ()))}) for f in data["fields"])
        return cls(**{**data, "fields": fields})


@dataclass(frozen=True, kw_only=True)
class Address:
    """Who a message goes to.

    ``members`` alone: a direct message (one member) or a group message to
    several (a Slack group DM; on Telegram one private message each).
    ``channel``: a post in a platform conversation. ``private_to`` with a
    channel: visible only to that member (Slack ephemeral).
    """

    members: tuple[int, ...] = ()
    channel: str | None = None
    private_to: int | None = None
    thread: str | None = None

    @classmethod
    def member(cls, member_id: int) -> Address:
        return cls(members=(member_id,))

    @classmethod
    def group(cls, member_ids: tuple[int, ...] | list[int]) -> Address:
        return cls(members=tuple(member_ids))

    @classmethod
    def to_channel(cls, channel: str, *, thread: str | None = None) -> Address:
        return cls(channel=channel, thread=thread)

    def to_dict(self) -> dict[str, Any]:
        # by hand, not dataclasses.asdict: a fan-out serialises thousands of these
        return {"members": list(self.members), "channel": self.channel, "private_to": self.private_to, "thread": self.thread}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Address:
        return cls(**{**data, "members": tuple(data.get("members", ()))})


AttachmentKind = Literal["picture", "file"]
PICTURE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """A file that goes with a message, saying what it is so each platform sends it right.

    A *picture* (a chart) is shown in the chat (Telegram ``sendPhoto``); a
    *file* (a CSV, a JSON export) is offered to download under its name
    (Telegram ``sendDocument``): Telegram refuses anything but a real image as
    a photo, so an export sent as one never arrives.
    """

    kind: AttachmentKind
    name: str
    mime_type: str
    content: bytes = field(repr=False)

    @classmethod
    def picture(cls, content: bytes, name: str = "chart.png", mime_type: str = "image/png") -> Attachment:
        return cls(kind="picture", name=name, mime_type=mime_type, content=content)

    @classmethod
    def file(cls, content: bytes, name: str, mime_type: str | None = None) -> Attachment:
        return cls(kind="file", name=name, mime_type=mime_type or guess_type(name), content=content)

    @property
    def is_picture(self) -> bool:
        return self.kind == "picture"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "mime_type": self.mime_type, "content": base64.b64encode(self.content).decode()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        return cls(kind=data["kind"], name=data["name"], mime_type=data["mime_type"], content=base64.b64decode(data["content"]))

    @classmethod
    def from_old_row(cls, content: bytes, name: str) -> Attachment:
        """Outbox rows written before attachments had a kind held ``image`` and ``image_name``."""
        mime_type = guess_type(name)
        return cls(kind="picture" if mime_type in PICTURE_TYPES else "file", name=name, mime_type=mime_type, content=content)


def guess_type(name: str) -> str:
    """The MIME type a file name says; ``application/octet-stream`` when it says none."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass(frozen=True, kw_only=True)
class Roster:
    """A question for the platform instead of a message: who is in ``channel``?

    Flows cannot call a platform (they run in a database transaction), so a
    flow that needs a channel's people queues this; the adapter lists them
    and answers with the hidden command ``answer``, as the addressee, the
    people in ``Incoming.raw["roster"]`` (see :data:`ROSTER_KEY`).
    """

    channel: str
    answer: str
    name: str = ""  # as the person typed it, for answers when Slack can't find the channel

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "answer": self.answer, "name": self.name}


ROSTER_KEY = "roster"
"""Where an adapter's answer to a :class:`Roster` puts the people: ``raw["roster"]`` is
``{"channel": id, "name": name, "bot_in_channel": bool, "people": [{"id", "name",
"username", "tz", "is_bot", "deleted"}], "error": str | None}``."""


@dataclass(frozen=True, kw_only=True)
class Outgoing:
    """A message to send. ``text`` uses light markup (see :mod:`bot.core.markup`).

    ``edit`` names a platform message to replace instead of posting anew
    (e.g. swapping buttons for "✓ you chose X"); ``trigger`` is the platform's
    short-lived handle for opening a form as a modal; ``attachment`` is a
    picture or a file sent with the text; ``home`` (with one member in ``to``)
    is their whole Home, which replaces the one the platform shows (Slack's
    Home tab) instead of posting a message.
    """

    text: str
    to: Address
    choices: tuple[Choice, ...] = ()
    form: Form | None = None
    header: str | None = None
    attachment: Attachment | None = None
    edit: str | None = None
    trigger: str | None = None
    response_url: str | None = None
    roster: Roster | None = None
    home: tuple[HomeSection, ...] | None = None
    network_id: int | None = None
    """Set by delivery from the outbox row (not stored in it): the network the
    message is sent for, which a platform that does not name one in private
    chats (Telegram) puts in each button."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "to": self.to.to_dict(),
            "choices": [c.to_dict() for c in self.choices],
            "form": self.form.to_dict() if self.form else None,
            "header": self.header,
            "attachment": self.attachment.to_dict() if self.attachment else None,
            "edit": self.edit,
            "trigger": self.trigger,
            "response_url": self.response_url,
            **({"roster": self.roster.to_dict()} if self.roster else {}),
            **({"home": [s.to_dict() for s in self.home]} if self.home is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outgoing:
        return cls(
            text=data["text"],
            to=Address.from_dict(data["to"]),
            choices=tuple(Choice(**c) for c in data.get("choices", ())),
            form=Form.from_dict(data["form"]) if data.get("form") else None,
            header=data.get("header"),
            attachment=_attachment_of(data),
            edit=data.get("edit"),
            trigger=data.get("trigger"),
            response_url=data.get("response_url"),
            roster=Roster(**data["roster"]) if data.get("roster") else None,
            home=tuple(HomeSection.from_dict(s) for s in data["home"]) if data.get("home") is not None else None,
        )


def _attachment_of(data: dict[str, Any]) -> Attachment | None:
    if data.get("attachment"):
        return Attachment.from_dict(data["attachment"])
    if data.get("image"):  # a row stored before attachments said what they are
        return Attachment.from_old_row(base64.b64decode(data["image"]), data.get("image_name") or "chart.png")
    return None
