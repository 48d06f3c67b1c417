"""The small contract every platform adapter keeps.

An adapter turns platform events into :class:`~bot.core.messages.Incoming` (and
hands them to the dispatcher), and renders :class:`Envelope` s the delivery
worker gives it. It holds no business rules.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core.messages import Outgoing

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

__all__ = [
    "Adapter",
    "Envelope",
    "Limits",
    "PermanentFailure",
    "Recipient",
    "RetryLater",
    "SendResult",
    "StartupError",
    "Unreachable",
    "DeliveryError",
    "Held",
]


@dataclass(frozen=True)
class Recipient:
    member_id: int
    platform_user_id: str
    display_name: str
    username: str | None = None
    dm_channel: str | None = None


@dataclass(frozen=True)
class Envelope:
    """An outbox message with its addressees resolved to platform ids."""

    outbox_id: int
    key: str
    network_key: str
    outgoing: Outgoing
    recipients: tuple[Recipient, ...] = ()


@dataclass
class SendResult:
    message_ref: str | None = None
    dm_channels: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """Documented send rates; the delivery worker paces to them."""

    per_second: float = 0.0  # whole platform; 0 = unlimited
    per_chat_interval: float = 0.0  # seconds between messages to one chat


class DeliveryError(Exception):
    """Base for send failures the delivery worker knows how to treat."""


class RetryLater(DeliveryError):
    """Transient: rate limited (``retry_after`` seconds) or a network/server error."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Held(RetryLater):
    """The whole workspace cannot take messages now (its installation was revoked).

    Not the message's fault nor the member's: the message waits in the outbox
    (``last_error`` starts with :attr:`PREFIX`), no attempt is counted, no
    member is marked, and the platform's other workspaces are not slowed down.
    """

    PREFIX = "held: "  # persisted in outbox rows' last_error

    def __init__(self, reason: str, retry_after: float = 600.0) -> None:
        super().__init__(reason, retry_after=retry_after)


class Unreachable(DeliveryError):
    """The member cannot be messaged (blocked the bot, deactivated, no private chat)."""

    def __init__(self, reason: str, member_id: int | None = None) -> None:
        super().__init__(reason)
        self.member_id = member_id


class PermanentFailure(DeliveryError):
    """The platform refused the message for good (bad channel, invalid blocks…)."""


class StartupError(Exception):
    """The platform refused to let the adapter start (a rejected token…).

    The message is for the person running ``beacon run``: it says what to fix
    and never carries a secret, so it may be printed as is.
    """


class Adapter(abc.ABC):
    """One platform. ``start``/``stop`` own its connections; ``send`` delivers."""

    platform: str = ""
    limits: Limits = Limits()

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def send(self, envelope: Envelope) -> SendResult: ...

    def requests(self, envelope: Envelope) -> int:
        """How many requests the platform will count for sending ``envelope``
        (the pacer holds that many places in its window)."""
        return 1

    def routes(self) -> list[BaseRoute]:
        """HTTP routes this adapter serves on the one Starlette server."""
        return []

    def status(self) -> dict[str, object]:
        """For ``/healthz``: is the adapter connected and working."""
        return {"ok": True}
