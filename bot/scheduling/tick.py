"""Wakes the flows. APScheduler only provides the tick; the store holds the truth.

Each tick asks every enabled, scheduled flow which fire times fell between
the last check and now, in each time zone its audience lives in, and claims
each (flow, time, zone) slot through a unique row. A restart, a doubled tick
or a second bot process therefore runs each occurrence once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import bindparam, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.core.clock import Clock
from bot.core.context import Context
from bot.core.dates.zone import to_zone
from bot.core.router import Router
from bot.scheduling.parse import parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.db import Store
from bot.store.models import Flow, FlowOccurrence, Member, Network

__all__ = ["Ticker", "audience_timezones", "run_due"]

logger = logging.getLogger(__name__)


def audience_timezones(session, network: Network) -> list[str]:
    """The distinct zones the network's members live in (the network's own for unset).

    A stored zone this machine does not know (from an older version, a
    platform, a typo) would make every tick raise: its members get the
    network's zone instead, and the row is cleared so it is said once.
    """
    home = _known(network.timezone) or "UTC"
    zones = set()
    for tz in session.exec(select(func.coalesce(Member.timezone, home)).where(Member.network_id == network.id).distinct()).all():
        if tz and _known(tz):
            zones.add(tz)
        elif tz:
            logger.warning("network %s: members had the unknown time zone %r; they now get the network's (%s)", network.id, tz[:64], home)
            session.exec(update(Member).where(col(Member.network_id) == network.id, col(Member.timezone) == tz).values(timezone=None))
    return sorted(zones | {home})


def _known(tz: str | None) -> str | None:
    try:
        return tz if tz and to_zone(tz) else None
    except ValueError:
        return None


def run_due(store: Store, router: Router, clock: Clock, *, catch_up: timedelta | None = timedelta(hours=6)) -> list[int]:
    """Run every occurrence that is due; returns the ids of those this call ran.

    ``catch_up`` bounds how far back a late tick looks (a bot that was down
    for a week should not send last week's prompts); ``None`` means no bound.

    A tick where nothing is due is most ticks, so it costs three transactions
    whatever the number of flows: one reads the flows, one the zones of each
    network they serve, one moves every flow's ``checked_until`` on. Each due
    occurrence still runs in a transaction of its own.
    """
    now = clock.now()
    with store.session() as session:
        flows = session.exec(
            select(Flow).where(Flow.enabled == True, col(Flow.schedule).is_not(None))  # noqa: E712
        ).all()
        plan = [(f.id, f.kind, f.schedule, f.checked_until, f.created_at, f.network_id) for f in flows if f.kind in router.schedules]
    zones_of = _zones(store, router, plan)
    ran: list[int] = []
    checked: dict[int, datetime] = {}
    for flow_id, kind, schedule_text, checked_until, created_at, network_id in plan:
        spec = router.schedules[kind]
        try:
            schedule = parse_schedule(schedule_text)
        except ScheduleError as exc:
            logger.warning("flow %s has a bad schedule %r: %s", flow_id, schedule_text, exc)
            continue
        checked_since = checked_until or created_at
        start = checked_since if catch_up is None else max(checked_since, now - catch_up)
        zones = zones_of.get((network_id, spec.per_member_timezone))
        if zones is None:
            continue  # could not be read: logged once for the network
        # how far this flow is done: a failed slot keeps it back so the next tick retries it;
        # the slots that did run are claimed rows and are not run again
        done_until = now
        for tz in zones:
            try:
                due_times = schedule.due_times(start, now, tz)
            except Exception:
                logger.exception("flow %s (%s) of network %s: time zone %r is not usable; skipped", flow_id, kind, network_id, tz)
                done_until = min(done_until, start)
                continue
            for due in due_times:
                try:
                    occurrence = _claim_and_run(store, router, clock, flow_id, due, tz)
                except Exception:
                    logger.exception(
                        "flow %s (%s) of network %s, zone %s, due %s failed; retried next tick", flow_id, kind, network_id, tz, due.isoformat()
                    )
                    done_until = min(done_until, due - timedelta(microseconds=1))
                    break  # this zone's later slots wait for the failed one, in order
                if occurrence is not None:
                    ran.append(occurrence)
        if checked_until is None or checked_until < done_until:
            checked[flow_id] = done_until
    if checked:
        with store.session() as session:  # the claimed occurrences are the truth; this only saves looking again
            session.connection().execute(_CHECKED, [{"flow_id": i, "until": until} for i, until in checked.items()])
    return ran


_T = Flow.__table__
_CHECKED = (
    update(_T)
    .where(_T.c.id == bindparam("flow_id"), or_(_T.c.checked_until.is_(None), _T.c.checked_until < bindparam("until")))
    .values(checked_until=bindparam("until"))
)  # never moves a flow back that another process has moved further


def _zones(store: Store, router: Router, plan: list[tuple]) -> dict[tuple[int, bool], list[str]]:
    """The zones each network's flows run in this tick, read once per network, not once per flow.

    A network whose zones cannot be read is left out (its flows skip this tick) and said once.
    """
    wanted = {(network_id, router.schedules[kind].per_member_timezone) for _, kind, *_, network_id in plan}
    found: dict[tuple[int, bool], list[str]] = {}
    for network_id in sorted({n for n, _ in wanted}):
        try:
            with store.session() as session:
                network = session.get(Network, network_id)
                home = [_known(network.timezone) or "UTC"]
                if (network_id, True) in wanted:
                    found[network_id, True] = audience_timezones(session, network)
                if (network_id, False) in wanted:
                    found[network_id, False] = home
        except Exception:
            found.pop((network_id, True), None)
            found.pop((network_id, False), None)
            logger.exception("network %s: could not read its time zones; its flows skipped this tick", network_id)
    return found


def _claim_and_run(store: Store, router: Router, clock: Clock, flow_id: int, due, tz: str) -> int | None:
    slot = f"{due.isoformat()}@{tz}"
    try:
        with store.session() as session:
            flow = session.get(Flow, flow_id)
            network = session.get(Network, flow.network_id)
            occ = FlowOccurrence(flow_id=flow_id, slot=slot, timezone=tz, due_at=due, ran_at=clock.now())
            session.add(occ)
            session.flush()  # the unique (flow, slot) row is the claim
            ctx = Context(
                session=session,
                clock=clock,
                router=router,
                network=network,
                key_prefix=f"occ:{occ.id}",
                flow=flow,
                due_at=due,
                timezone=tz,
            )
            router.schedules[flow.kind].run(ctx)
            occ.recipients = ctx.enqueued
            session.add(occ)
            return occ.id
    except IntegrityError:
        logger.debug("occurrence %s of flow %s already ran", slot, flow_id)
        return None


class Ticker:
    """The one APScheduler the bot owns: a named, replaceable interval job."""

    def __init__(self, *, tick, seconds: float = 30.0) -> None:
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.add_job(tick, "interval", seconds=seconds, id="beacon-tick", max_instances=1, coalesce=True, replace_existing=True)

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
