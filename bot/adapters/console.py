"""The console adapter: talk to Beacon in a terminal, no tokens needed.

It behaves like a platform: what you type becomes an :class:`Incoming`, and
what the bot sends comes back through the outbox. Numbers press the buttons
of the last message; ``/as NAME`` switches who you are; ``/beacon tick 1d``
moves the bot's clock forward so scheduled flows can be watched happening.
With input that is not a terminal it reads one message per line and stops
at the end of input, so sessions can be scripted.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TextIO

from rich.console import Console
from rich.panel import Panel

from bot.adapters.base import Adapter, Envelope, SendResult
from bot.core.dates.friendly import parse_duration
from bot.core.markup import to_rich
from bot.core.messages import Choice, Incoming

__all__ = ["ConsoleAdapter"]

NETWORK_KEY = "console"


class ConsoleAdapter(Adapter):
    platform = "console"

    def __init__(
        self,
        *,
        user: str = "you",
        output: Console | None = None,
        input: TextIO | None = None,
    ) -> None:
        self.user = user
        self.console = output or Console(highlight=False)
        self.input = input or sys.stdin
        self._refs = itertools.count(1)
        self._last_choices: list[tuple[Choice, str, str]] = []
        self.member_ids: dict[str, int] = {}
        self.sent: list[Envelope] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    # -- outbound ------------------------------------------------------------------

    async def send(self, envelope: Envelope) -> SendResult:
        self.sent.append(envelope)
        out = envelope.outgoing
        ref = out.edit or f"console-{next(self._refs)}"
        names = [r.display_name for r in envelope.recipients]
        mine = any(r.platform_user_id == self.user for r in envelope.recipients)
        if out.to.channel and not out.to.private_to:
            title = f"#{out.to.channel}"
        elif mine and len(names) == 1:
            title = "Beacon"
        else:
            title = "Beacon → " + ", ".join(names)
        if out.edit:
            title += " (updated)"
        body = to_rich(out.text)
        if out.header:
            body = f"[bold]{to_rich(out.header)}[/bold]\n{body}"
        if out.form:
            body += f"\n[dim](form: {to_rich(out.form.title)})[/dim]"
        if out.attachment:
            what = "picture" if out.attachment.is_picture else "file"
            body += f"\n[dim]({what} attached: {to_rich(out.attachment.name)}, {len(out.attachment.content)} bytes)[/dim]"
        if out.choices:
            if mine or (out.to.channel and not out.to.private_to):
                self._last_choices = [(c, ref, out.text) for c in out.choices]
            body += "\n" + "  ".join(f"[bold cyan]{i}[/bold cyan]) {to_rich(c.label)}" for i, c in enumerate(out.choices, 1))
        self.console.print(Panel(body, title=title, title_align="left", border_style="green" if mine else "blue"))
        return SendResult(message_ref=ref)

    # -- inbound -------------------------------------------------------------------

    def to_incoming(self, line: str, *, event_id: str) -> Incoming:
        """Turn a typed line into what the bot receives."""
        text = line.strip()
        if text.isdigit() and self._last_choices and 1 <= int(text) <= len(self._last_choices):
            choice, ref, message_text = self._last_choices[int(text) - 1]
            self._last_choices = []
            return Incoming(
                kind="action",
                platform=self.platform,
                network_key=NETWORK_KEY,
                user_id=self.user,
                user_name=self.user,
                conversation=f"dm-{self.user}",
                action_id=choice.action,
                value=choice.value,
                action_label=choice.label,
                message_ref=ref,
                message_text=message_text,
                event_id=event_id,
            )
        if text.startswith("/beacon"):
            return Incoming(
                kind="command",
                platform=self.platform,
                network_key=NETWORK_KEY,
                user_id=self.user,
                user_name=self.user,
                conversation=f"dm-{self.user}",
                text=text[len("/beacon") :].strip(),
                event_id=event_id,
            )
        if text.startswith("/") and text[1:].split(" ")[0] in ("share", "reflect", "profile", "pause", "help"):
            return Incoming(
                kind="command",
                platform=self.platform,
                network_key=NETWORK_KEY,
                user_id=self.user,
                user_name=self.user,
                conversation=f"dm-{self.user}",
                text=text[1:],
                event_id=event_id,
            )
        return Incoming(
            kind="message",
            platform=self.platform,
            network_key=NETWORK_KEY,
            user_id=self.user,
            user_name=self.user,
            conversation=f"dm-{self.user}",
            text=text,
            event_id=event_id,
        )

    async def repl(
        self,
        *,
        handle: Callable[[Incoming], Awaitable[object]],
        deliver: Callable[[], Awaitable[int]],
        tick: Callable[[timedelta], Awaitable[str]],
        switch_user: Callable[[str, str | None], Awaitable[str]],
        interactive: bool | None = None,
    ) -> None:
        """Read lines until end of input; each is handled and its replies shown."""
        tty = self.input.isatty() if interactive is None else interactive
        if tty:
            self.console.print(
                f"[bold]Beacon[/bold] console. You are [cyan]{self.user}[/cyan]. "
                "Type [bold]/beacon help[/bold]; [bold]/as NAME[/bold] to be someone else; "
                "[bold]/beacon tick 1d[/bold] to move time on; Ctrl-D to leave."
            )
        await deliver()
        loop = asyncio.get_running_loop()
        while True:
            if tty:
                self.console.print(f"[dim]{self.user}>[/dim] ", end="")
            line = await loop.run_in_executor(None, self.input.readline)
            if not line:
                break
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not tty:
                self.console.print(f"[dim]{self.user}>[/dim] {line}")
            if line in ("/quit", "/exit"):
                break
            if line.startswith("/as"):
                parts = line.split()
                if len(parts) < 2:
                    self.console.print("Usage: /as NAME [member|facilitator|coordinator]")
                    continue
                self.user = parts[1]
                self._last_choices = []
                self.console.print(await switch_user(parts[1], parts[2] if len(parts) > 2 else None))
                continue
            if line.startswith("/beacon tick"):
                arg = line[len("/beacon tick") :].strip() or "1d"
                try:
                    step = parse_duration(arg)
                except ValueError as exc:
                    self.console.print(f"[red]{exc}[/red] Try `/beacon tick 1d` or `/beacon tick 3h`.")
                    continue
                self.console.print(f"[dim]{await tick(step)}[/dim]")
                continue
            await handle(self.to_incoming(line, event_id=f"console-{uuid.uuid4().hex}"))
            await deliver()
