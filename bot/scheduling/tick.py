"""Wakes the flows. APScheduler only provides the tick; the store holds the truth.

Each tick asks every enabled, scheduled flow which fire times fell between
the last check and now, in each time zone its audience lives in, and claims
each (flow, time, zone) slot through a unique row. A restart, a doubled tick
or a second bot process therefore runs each occurrence once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, update
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

__all__ = ["Ticker", "run_due", "audience_timezones"]

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
    """
    now = clock.now()
    with store.session() as session:
        flows = session.exec(
            select(Flow).where(Flow.enabled == True, col(Flow.schedule).is_not(None))  # noqa: E712
        ).all()
        plan = [(f.id, f.kind, f.schedule, f.checked_until or f.created_at, f.network_id) for f in flows]
    ran: list[int] = []
    for flow_id, kind, schedule_text, checked, network_id in plan:
        spec = router.schedules.get(kind)
        if spec is None:
            continue
        try:
            schedule = parse_schedule(schedule_text)
        except ScheduleError as exc:
            logger.warning("flow %s has a bad schedule %r: %s", flow_id, schedule_text, exc)
            continue
        start = checked if catch_up is None else max(checked, now - catch_up)
        try:
            with store.session() as session:
                network = session.get(Network, network_id)
                zones = audience_timezones(session, network) if spec.per_member_timezone else [_known(network.timezone) or "UTC"]
        except Exception:
            logger.exception("flow %s (%s) of network %s: could not read its time zones; skipped this tick", flow_id, kind, network_id)
            continue
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
        with store.session() as session:
            flow = session.get(Flow, flow_id)
            if flow is not None and (flow.checked_until is None or flow.checked_until < done_until):
                flow.checked_until = done_until
                session.add(flow)
    return ran


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
