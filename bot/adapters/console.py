"""The console adapter: talk to Beacon in a terminal, no tokens needed.

It behaves like a platform: what you type becomes an :class:`Incoming`, and
what the bot sends comes back through the outbox. Every button shown gets a
number of its own for the whole session, so typing a number presses that
button whichever message it is on, as a chat keeps earlier buttons
pressable; ``/as NAME`` switches who you are (each person keeps their
buttons); ``/beacon tick 1d`` moves the bot's clock forward so scheduled
flows can be watched happening. A person's first message is preceded by the
``start`` a Telegram client sends when someone opens the bot's chat, so they
get the same welcome. The console's network has one room, where ``/beacon
join`` is said. Attachments are saved as files and their paths shown.
With input that is not a terminal it reads one message per line and stops
at the end of input, so sessions can be scripted.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from sqlalchemy.engine import make_url

from bot.adapters.base import Adapter, Envelope, SendResult
from bot.core.dates.friendly import parse_duration
from bot.core.markup import to_rich
from bot.core.messages import Choice, Incoming, Outgoing

__all__ = ["ConsoleAdapter", "NETWORK_KEY", "ALIASES", "CONSOLE_HELP", "files_folder", "save_attachment"]

NETWORK_KEY = "console"

ALIASES = ("share", "reflect", "profile", "pause", "help")
"""Short commands (``/share``) that mean ``/beacon share``, as on Telegram."""

GROUP_COMMANDS = ("join",)
"""Commands a platform only takes in the network's group; the console has one
room for its network, so these are said there."""

CONSOLE_HELP = (
    "In the console: `/beacon help` lists Beacon's commands; `/as NAME [member|facilitator|coordinator]` makes you someone else; "
    "`/beacon tick 1d` moves time on; a number presses the button shown with it; `/quit` leaves."
)

FILES_FOLDER = "beacon-files"


def files_folder(database_url: str) -> Path:
    """Where the console saves attachments: ``beacon-files/`` beside the SQLite
    file (so a session's files sit with its data), else in the current folder."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent / FILES_FOLDER
    return Path.cwd() / FILES_FOLDER


def save_attachment(folder: Path, out: Outgoing) -> Path | None:
    """Write the message's attachment under ``folder``, never over an earlier
    one (a second digest is ``digest-2.png``); the path written, or None."""
    if out.attachment is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(out.attachment.name).name).strip(".-") or "attachment"
    stem, dot, suffix = name.partition(".")
    path = folder / name
    for n in itertools.count(2):
        if not path.exists():
            break
        path = folder / f"{stem}-{n}{dot}{suffix}"
    path.write_bytes(out.attachment.content)
    return path


@dataclass(frozen=True)
class Button:
    """A numbered button on a shown message, and who may press it (None: anyone in the room)."""

    choice: Choice
    ref: str
    message_text: str
    audience: frozenset[str] | None


class ConsoleAdapter(Adapter):
    platform = "console"

    def __init__(
        self,
        *,
        user: str = "you",
        output: Console | None = None,
        input: TextIO | None = None,
        files: Path | None = None,
    ) -> None:
        self.user = user
        self.console = output or Console(highlight=False)
        self.input = input or sys.stdin
        self.files = files or Path.cwd() / FILES_FOLDER
        self._refs = itertools.count(1)
        self._numbers = itertools.count(1)
        self.buttons: dict[int, Button] = {}
        self._unsure: tuple[str, str] | None = None  # (user, number) that matched no button, said once
        self._started: set[str] = set()
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
        in_room = bool(out.to.channel and not out.to.private_to)
        if in_room:
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
        saved = save_attachment(self.files, out)
        if saved is not None:
            body += f"\n[dim](file saved: {escape(str(saved))})[/dim]"
        self.buttons = {n: b for n, b in self.buttons.items() if b.ref != ref}  # an update replaces its buttons
        links = [c for c in out.choices if c.url]
        if links:
            body += "\n" + "  ".join(f"{to_rich(c.label)}: {escape(c.url)}" for c in links)
        if any(not c.url for c in out.choices):
            audience = None if in_room else frozenset(r.platform_user_id for r in envelope.recipients)
            numbered = [(next(self._numbers), c) for c in out.choices if not c.url]
            self.buttons.update((n, Button(c, ref, out.text, audience)) for n, c in numbered)
            body += "\n" + "  ".join(f"[bold cyan]{n}[/bold cyan]) {to_rich(c.label)}" for n, c in numbered)
        self.console.print(Panel(body, title=title, title_align="left", border_style="green" if mine else "blue"))
        return SendResult(message_ref=ref)

    # -- inbound -------------------------------------------------------------------

    def _incoming(self, **kw) -> Incoming:
        kw.setdefault("conversation", f"dm-{self.user}")
        return Incoming(platform=self.platform, network_key=NETWORK_KEY, user_id=self.user, user_name=self.user, **kw)

    def to_incoming(self, line: str, *, event_id: str) -> Incoming | str:
        """Turn a typed line into what the bot receives, or into the console's own
        answer when it is not something to send (a number that presses nothing)."""
        text = line.strip()
        if text.isascii() and text.isdigit() and len(text) <= 6:  # "²" is a digit to Python, not a button number
            pressed = self._press(text, event_id=event_id)
            if pressed is not None:
                return pressed
        self._unsure = None
        word = text.split(maxsplit=1)[0] if text else ""
        if word == "/beacon":
            command = text[len("/beacon") :].strip()
            if command.split()[:1] and command.split()[0] in GROUP_COMMANDS:
                return self._incoming(kind="command", text=command, event_id=event_id, is_private=False, conversation=NETWORK_KEY)
            return self._incoming(kind="command", text=command, event_id=event_id)
        if word[1:] in ALIASES and word.startswith("/"):
            return self._incoming(kind="command", text=text[1:], event_id=event_id)
        if word.startswith("/"):
            return f"I don't know the console command `{word}`. {CONSOLE_HELP}"
        return self._incoming(kind="message", text=text, event_id=event_id)

    def _press(self, number: str, *, event_id: str) -> Incoming | str | None:
        """A bare number presses the button shown with it. One that matches none is
        not sent as a message unless typed twice in a row (it may be a slip)."""
        button = self.buttons.get(int(number))
        if button is not None and (button.audience is None or self.user in button.audience):
            self._unsure = None
            return self._incoming(
                kind="action",
                action_id=button.choice.action,
                value=button.choice.value,
                action_label=button.choice.label,
                message_ref=button.ref,
                message_text=button.message_text,
                event_id=event_id,
            )
        if self._unsure == (self.user, number):
            self._unsure = None
            return None  # asked once: it is a message
        self._unsure = (self.user, number)
        if button is not None:
            owner = sorted(button.audience or ())[0]
            return f"Button {number} is on a message to {owner}: `/as {owner}` to press it. To send “{number}” as a message, type it again."
        mine = sorted(n for n, b in self.buttons.items() if b.audience is None or self.user in b.audience)
        shown = f" Your buttons are {_ranges(mine)}." if mine else " You have no buttons to press."
        return f"No button has the number {number}.{shown} To send “{number}” as a message, type it again."

    async def repl(
        self,
        *,
        handle: Callable[[Incoming], Awaitable[object]],
        deliver: Callable[[], Awaitable[int]],
        tick: Callable[[timedelta], Awaitable[str]],
        switch_user: Callable[[str, str | None], Awaitable[str]],
        first_contact: Callable[[str], bool] | None = None,
        interactive: bool | None = None,
    ) -> None:
        """Read lines until end of input; each is handled and its replies shown.

        ``switch_user`` raises ValueError (with the sentence to show) for a role
        that does not exist; ``first_contact(user)`` says whether the network has
        not heard from this person yet.
        """
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
                self.console.print(f"[dim]{escape(self.user)}>[/dim] ", end="")
            line = await loop.run_in_executor(None, self.input.readline)
            if not line:
                break
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not tty:
                self.console.print(f"[dim]{escape(self.user)}>[/dim] {escape(line)}")
            words = line.split()
            if words[0] in ("/quit", "/exit"):
                break
            if words[0] == "/as":
                await self._switch(words[1:], switch_user)
                continue
            if words[:2] == ["/beacon", "tick"]:
                arg = " ".join(words[2:]) or "1d"
                try:
                    step = parse_duration(arg)
                except ValueError as exc:
                    self.console.print(f"[red]{exc}[/red] Try `/beacon tick 1d` or `/beacon tick 3h`.")
                    continue
                self.console.print(f"[dim]{await tick(step)}[/dim]")
                continue
            incoming = self.to_incoming(line, event_id=f"console-{uuid.uuid4().hex}")
            if isinstance(incoming, str):
                self.console.print(to_rich(incoming))
                continue
            if self.user not in self._started:
                self._started.add(self.user)
                if first_contact is not None and first_contact(self.user) and not _is_start(incoming):
                    # what a Telegram client sends when someone first opens the bot's chat; the welcome
                    # answers a first "hello" (raw "greeted"), a command still gets its own answer
                    await self._show(await handle(self._incoming(kind="command", text="start", event_id=f"console-{uuid.uuid4().hex}")))
                    incoming = replace(incoming, raw={**incoming.raw, "greeted": True})
            await self._show(await handle(incoming))
            await deliver()

    async def _switch(self, args: list[str], switch_user: Callable[[str, str | None], Awaitable[str]]) -> None:
        """``/as NAME [role]``: become NAME; a wrong role switches nobody."""
        if not 1 <= len(args) <= 2:
            self.console.print(escape("Usage: /as NAME [member|facilitator|coordinator]"))
            return
        try:
            said = await switch_user(args[0], args[1] if len(args) > 1 else None)
        except ValueError as exc:
            self.console.print(f"[red]{escape(str(exc))}[/red]")
            return
        self.user = args[0]
        self.console.print(escape(said))

    async def _show(self, result: object) -> None:
        """What the dispatcher answered at once (an apology, "not in a network"): no outbox row carries it."""
        for text in getattr(result, "immediate", None) or ():
            self.console.print(Panel(to_rich(text), title="Beacon", title_align="left", border_style="green"))


def _is_start(incoming: Incoming) -> bool:
    return incoming.kind == "command" and incoming.text.split()[:1] == ["start"]


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` as "1–3 and 7"."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    words = [f"{a}–{b}" if b > a else str(a) for a, b in spans]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
