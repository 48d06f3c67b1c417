"""The ``beacon`` command line (also ``python -m bot``)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import tempfile
from datetime import timedelta
from typing import Annotated

import typer
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from rich.console import Console
from sqlmodel import select

from bot.adapters.base import StartupError
from bot.adapters.console import NETWORK_KEY, ConsoleAdapter, files_folder
from bot.app import build_app
from bot.config import ConfigError
from bot.core.clock import OffsetClock, SystemClock
from bot.flows.digest.cli import run_export
from bot.server.logs import configure_logging
from bot.settings import Settings
from bot.simulation.driver import simulate as run_simulation
from bot.store.db import Store, alembic_config
from bot.store.models import Member, Network, Role

__all__ = ["main", "cli"]

cli = typer.Typer(help="Beacon: the bot learning networks run on.", no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")

logger = logging.getLogger("bot")


def _settings(database: str | None) -> Settings:
    if database:
        os.environ["BEACON_DATABASE_URL"] = database
    settings = Settings()
    configure_logging(settings.log_level, settings.secrets())
    return settings


def _prepare_store(settings: Settings) -> Store:
    store = Store(url=settings.database_url)
    if store.is_sqlite:
        store.upgrade()
    else:
        _check_schema(store)
    return store


def _check_schema(store: Store) -> None:
    """Refuse to start on a PostgreSQL schema that is behind the code (several
    processes must not race to migrate it)."""
    script = ScriptDirectory.from_config(alembic_config(store.engine))
    with store.engine.connect() as conn:
        current = tuple(MigrationContext.configure(conn).get_current_heads())
    applied = {r.revision for r in script.iterate_revisions(current, "base")} if current else set()
    if {r.revision for r in script.walk_revisions()} - applied:
        raise typer.BadParameter("The database schema is not up to date. Run `beacon db upgrade` once (from one process) first.")


@cli.command()
def run(
    as_user: str = typer.Option("you", "--as", help="Console only: who you are."),
    role: Annotated[Role | None, typer.Option("--role", help="Console only: member, facilitator or coordinator.", case_sensitive=False)] = None,
    database: str = typer.Option(None, "--database", help="Database URL (overrides BEACON_DATABASE_URL)."),
) -> None:
    """Start the bot. With no platform tokens set, opens the console."""
    settings = _settings(database)
    console_mode = not (settings.slack_enabled or settings.telegram_enabled)
    if console_mode and "BEACON_LOG_LEVEL" not in os.environ:
        # the terminal is the chat; keep it clean (alembic sets its own logger's level)
        for name in ("", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)
    store = _prepare_store(settings)
    if not console_mode:
        beacon = build_app(settings, store=store)
        try:
            beacon.seed_config()
        except ConfigError as exc:
            raise typer.BadParameter(str(exc)) from None
        settle_heap()
        try:
            asyncio.run(_serve(beacon))
        except StartupError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
    else:
        asyncio.run(_console(settings, store, as_user, role))


def settle_heap() -> None:
    """Move what start-up built (~220,000 objects: the libraries, the app) out
    of the garbage collector's sight. They live as long as the process, and
    each full collection walked them all again: a tenth of a 10,000-member
    fan-out's time went to that."""
    gc.collect()
    gc.freeze()


async def _serve(beacon) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await beacon.start()
    logger.info("Beacon is running with %s", ", ".join(beacon.adapters))
    await stop.wait()
    logger.info("stopping: finishing in-flight sends")
    await beacon.stop()


async def _console(settings: Settings, store: Store, as_user: str, role: Role | None) -> None:
    console = Console(highlight=False)
    clock = OffsetClock()
    adapter = ConsoleAdapter(user=as_user, output=console, files=files_folder(settings.database_url))
    beacon = build_app(settings, clock=clock, adapters=[adapter], store=store)
    try:
        beacon.seed_config()
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None

    one_at_a_time = asyncio.Lock()

    async def deliver() -> int:
        async with one_at_a_time:
            return await beacon.delivery.drain()

    async def switch_user(user: str, new_role: str | None) -> str:
        if new_role:
            try:
                given = Role(new_role.lower())
            except ValueError:
                raise ValueError(f"There is no role {new_role!r}: use member, facilitator or coordinator. You are still {adapter.user}.") from None
            beacon.set_role("console", NETWORK_KEY, user, given)
            return f"You are now {user} ({given.value})."
        return f"You are now {user}."

    async def tick(step: timedelta) -> str:
        hop = timedelta(hours=1)
        remaining = step
        ran = 0
        while remaining > timedelta(0):
            move = min(hop, remaining)
            clock.advance(move)
            remaining -= move
            ran += len(await beacon.tick(catch_up=None))
            await deliver()
        local = clock.now().strftime("%a %d %b %Y %H:%M UTC")
        days, rest = step.days, step.seconds
        parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
        parts += [f"{rest // 3600} h"] if rest // 3600 else []
        parts += [f"{rest % 3600 // 60} min"] if rest % 3600 // 60 else []
        return f"⏩ Moved on {' '.join(parts) or 'no time'}. It is now {local}; {ran} scheduled run(s) happened."

    def first_contact(user: str) -> bool:
        """Not heard from yet (``--role`` and ``/as NAME ROLE`` create a member who has said nothing)."""
        with store.session() as session:
            member = session.exec(
                select(Member)
                .join(Network)
                .where(Network.platform == "console", Network.platform_key == NETWORK_KEY, Member.platform_user_id == user)
            ).first()
            return member is None or member.last_active_at is None

    if role:
        await switch_user(as_user, role.value)
    # Each line's replies are delivered before the next prompt: one drain at a time,
    # and no background worker racing for them (it would hand the last ones back at
    # the end of input). In a terminal, time goes on while you think: scheduled runs
    # happen, and what they send is shown within a second.
    keeper = None
    if sys.stdin.isatty():
        await beacon.start(serve_http=False, deliver=False)
        keeper = asyncio.create_task(_keep_delivering(deliver))
    try:
        await adapter.repl(handle=beacon.handle, deliver=deliver, tick=tick, switch_user=switch_user, first_contact=first_contact)
        await deliver()
    finally:
        if keeper is not None:
            keeper.cancel()
        await beacon.stop()


async def _keep_delivering(deliver, seconds: float = 1.0) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await deliver()
        except Exception:
            logger.exception("delivering in the console failed")


@cli.command()
def digest(
    network: str = typer.Option(..., "--network", help="The network's name (or its platform key)."),
    fmt: str = typer.Option("md", "--format", help="md, html (the digest), csv or json (counts per member per week)."),
    first: str = typer.Option(None, "--from", help="First day (YYYY-MM-DD); default: 7 days before --to."),
    last: str = typer.Option(None, "--to", help="Last day (YYYY-MM-DD); default: yesterday in the network's time."),
    output: str = typer.Option(None, "--output", "-o", help="Write to this file instead of the terminal."),
    database: str = typer.Option(None, "--database", help="Database URL (overrides BEACON_DATABASE_URL)."),
) -> None:
    """Export a network's digest or its counts, for evaluation reports."""
    store = _prepare_store(_settings(database))
    try:
        text = run_export(store, network=network, fmt=fmt, first=first, last=last, now=SystemClock().now())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    finally:
        store.dispose()
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        typer.echo(f"Wrote {output}.", err=True)
    else:
        sys.stdout.write(text)


@cli.command()
def simulate(
    members: int = typer.Option(30, "--members", min=2, help="How many simulated members."),
    weeks: int = typer.Option(4, "--weeks", min=1, help="How many weeks to run on the fake clock."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same network, same totals."),
    database: str = typer.Option(None, "--database", help="Database URL (default: a temporary SQLite file)."),
) -> None:
    """Run a synthetic network through weeks of every flow and print the final digest."""
    if "BEACON_LOG_LEVEL" not in os.environ:
        for name in ("", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)
    progress = typer.echo if sys.stdout.isatty() else None  # a terminal sees the weeks go by; a pipe gets the digest only
    asyncio.run(run_simulation(members=members, weeks=weeks, seed=seed, database_url=database, echo=typer.echo, progress=progress))


@db_cli.command("upgrade")
def db_upgrade(database: str = typer.Option(None, "--database")) -> None:
    """Create or upgrade the database schema to the latest migration."""
    settings = _settings(database)
    Store(url=settings.database_url).upgrade()
    typer.echo("Database schema is up to date.")


@db_cli.command("revision", hidden=True)
def db_revision(
    message: str = typer.Option(..., "-m"),
    rev_id: str = typer.Option(..., "--rev-id"),
    depends_on: str = typer.Option(None, "--head", help="Parent revision (default: the current head)."),
) -> None:
    """Developers: autogenerate a migration from the models against a fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(url=f"sqlite:///{tmp}/rev.db")
        store.upgrade()
        command.revision(
            alembic_config(store.engine),
            message=message,
            autogenerate=True,
            rev_id=rev_id,
            head=depends_on or "head",
            splice=bool(depends_on),  # branching from 0001_core when other flows already did
        )


def main() -> None:
    cli()
