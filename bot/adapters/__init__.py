"""Platforms: each adapter turns its events into Incoming and sends Outgoing; the contract is in ``base``."""

from bot.adapters.base import (
    Adapter,
    DeliveryError,
    Envelope,
    Limits,
    PermanentFailure,
    Recipient,
    RetryLater,
    SendResult,
    Unreachable,
)

__all__ = [
    "Adapter",
    "DeliveryError",
    "Envelope",
    "Limits",
    "PermanentFailure",
    "Recipient",
    "RetryLater",
    "SendResult",
    "Unreachable",
]
