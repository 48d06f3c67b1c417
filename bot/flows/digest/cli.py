"""``beacon digest``: the command line's export, with friendly errors for bad input."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import select

from bot.core.dates.zone import zone
from bot.flows.digest.export import FORMATS, export
from bot.flows.digest.period import period_between
from bot.flows.digest.weekly import digest_flow, settings_of
from bot.store.models import Network

__all__ = ["run_export"]


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
"""The days an export may cover: outside them a date is a typo (and day arithmetic overflows near year 1 or 9999)."""


def _day(text: str, what: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what} must be a date like 2026-11-02, not {text!r}.") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{what} must be a date from {FIRST_DAY} to {LAST_DAY}, not {text!r}.")
    return day


def run_export(store, *, network: str, fmt: str, first: str | None, last: str | None, now: datetime) -> str:
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
    with store.session() as session:
        found = session.exec(select(Network).where(or_(func.lower(Network.name) == network.lower(), Network.platform_key == network))).all()
        if not found:
            names = ", ".join(sorted(n.name for n in session.exec(select(Network)).all())) or "none yet"
            raise ValueError(f"No network called {network!r}. Networks: {names}.")
        if len(found) > 1:
            raise ValueError(f"{len(found)} networks are called {network!r}; give the platform key instead.")
        net = found[0]
        tz = zone(net.timezone)
        today = now.astimezone(tz).date()
        end = _day(last, "--to") if last else today - timedelta(days=1)
        start = _day(first, "--from") if first else end - timedelta(days=6)
        if end < start:
            raise ValueError(f"--to ({end}) is before --from ({start}).")
        if start < FIRST_DAY:
            raise ValueError(f"--from would be {start}, before {FIRST_DAY}; give --from as well.")
        period = period_between(start, end, tz.key)
        quiet = int(settings_of(digest_flow(session, net.id))["quiet_weeks"])
        return export(session, net, fmt, period, quiet_weeks=quiet)
