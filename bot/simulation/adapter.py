"""The recording adapter the simulation (and the test harness) sends through.

It stands in for a platform: nothing leaves the process, every delivery is
kept in send order so simulated members and tests can read and press it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from bot.adapters.base import Adapter, Envelope, SendResult
from bot.core.messages import Outgoing

__all__ = ["Delivered", "SimAdapter"]


@dataclass
class Delivered:
    """One message as a member (or channel) received it."""

    to: str  # platform user id, or "#channel"
    outgoing: Outgoing
    ref: str

    @property
    def text(self) -> str:
        return self.outgoing.text


class SimAdapter(Adapter):
    """Records every delivery, per member and channel, in send order."""

    platform = "console"
    record: type[Delivered] = Delivered  # what each delivery is recorded as

    def __init__(self) -> None:
        self.delivered: list[Delivered] = []
        self._refs = itertools.count(1)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, envelope: Envelope) -> SendResult:
        out = envelope.outgoing
        ref = out.edit or f"s{next(self._refs)}"
        if out.to.channel and not out.to.private_to:
            self.delivered.append(self.record(f"#{out.to.channel}", out, ref))
        else:
            self.delivered.extend(self.record(r.platform_user_id, out, ref) for r in envelope.recipients)
        return SendResult(message_ref=ref)
