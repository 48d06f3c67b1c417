"""Who wrote: Slack display names, time zones and workspace names, cached.

Every inbound event names only a user id and a team id; members want to be
greeted by name and prompted in their own time zone, so the adapter asks
``users.info`` (cached for ``ttl`` seconds, since people rename themselves and
travel) and ``team.info`` (cached for the process's life).

Slack still takes posts into a deactivated person's DM, so before a DM the
sender asks :meth:`SlackPeople.deactivated` about anyone not seen for a week:
one ``users.info`` each, within a per-minute budget well under the method's
tier, so a fan-out to a large workspace never exhausts it (past the budget
the message goes as before, and the person is checked at their next one).
Listing a channel's people (:meth:`SlackPeople.lookup`) spends the same
budget, but waits for it rather than skipping anyone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import describe
from bot.adapters.slack.workspace import valid_zone
from bot.core.messages import Incoming

__all__ = ["SlackPeople"]

logger = logging.getLogger(__name__)

_FAILURES = (SlackApiError, SlackRequestError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


SEEN_FOR = 7 * 24 * 3600.0
"""Someone seen active this recently is not asked about before a DM."""
CHECKS_PER_MINUTE = 40
"""``users.info`` look-ups before DMs, at most (tier 4 allows 100+ a minute; inbound needs the rest)."""

OnChange = Callable[[dict[str, Any]], Awaitable[None]]


def _news(before: dict[str, Any] | None, now: dict[str, Any]) -> dict[str, Any] | None:
    """What changed in Slack since we last asked, worth writing down; None for nothing.

    A zone is news only when it changed in Slack (so one a member set in
    Beacon is not overwritten every hour); a deactivation is news whenever seen.
    """
    news = dict(now)
    if before is None or before.get("tz") == now.get("tz"):
        news.pop("tz", None)
    if "tz" in news or bool(now.get("deleted")) != bool((before or {}).get("deleted")):
        return news
    return None


class SlackPeople:
    """Who people are, as Slack says; ``on_change`` hears of a new zone or a (de)activation."""

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        on_change: OnChange | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.ttl = ttl
        self.on_change = on_change
        self.clock = clock
        self.sleep = sleep
        self._seen: dict[str, float] = {}  # user id -> when Slack last showed them active
        self._checks: deque[float] = deque()
        self._users: dict[str, tuple[float, dict[str, Any]]] = {}
        self._teams: dict[str, str] = {}
        self._pending: dict[tuple[str, str], asyncio.Future] = {}

    async def enrich(self, client: AsyncWebClient, incoming: Incoming) -> Incoming:
        """Add display name, time zone, admin flag and workspace name; a failed lookup changes nothing."""
        user = await self.user(client, incoming.user_id)
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        team = await self.team_name(client, incoming.network_key) if incoming.network_key else None
        self._seen[incoming.user_id] = self.clock()  # they just wrote: active
        return replace(
            incoming,
            user_name=name or incoming.user_name or incoming.username,
            username=user.get("name") or incoming.username,
            user_timezone=valid_zone(user.get("tz")) or valid_zone(incoming.user_timezone),
            is_admin=bool(user.get("is_admin") or user.get("is_owner")),
            network_name=team or incoming.network_name,
        )

    async def deactivated(self, client: AsyncWebClient, user_id: str) -> bool:
        """Whether Slack says ``user_id`` is deactivated; asked only of people not
        seen for :data:`SEEN_FOR`, within :data:`CHECKS_PER_MINUTE`."""
        now = self.clock()
        if now - self._seen.get(user_id, float("-inf")) < SEEN_FOR:
            return False
        while self._checks and self._checks[0] <= now - 60:
            self._checks.popleft()
        if len(self._checks) >= CHECKS_PER_MINUTE:
            return False  # over budget: send as before; they are checked at a later message
        self._checks.append(now)
        cached = self._users.get(user_id)  # asked now, not read from the hour-old cache (kept to see what changed)
        return bool((await self._once(("user", user_id), lambda: self._fetch_user(client, user_id, cached))).get("deleted"))

    async def lookup(self, client: AsyncWebClient, user_id: str) -> dict[str, Any]:
        """``users.info`` for one of many (a channel's people): from the cache, or asked
        within :data:`CHECKS_PER_MINUTE`, waiting for room in the budget when it is spent."""
        cached = self._users.get(user_id)
        if cached and cached[0] > self.clock():
            return cached[1]
        while True:
            now = self.clock()
            while self._checks and self._checks[0] <= now - 60:
                self._checks.popleft()
            if len(self._checks) < CHECKS_PER_MINUTE:
                break
            await self.sleep(self._checks[0] + 60 - now)
        self._checks.append(now)
        return await self._once(("user", user_id), lambda: self._fetch_user(client, user_id, cached))

    def heard(self, user: dict[str, Any]) -> None:
        """A ``user_change``: the event's user is the current one."""
        if user.get("id"):
            self._users[user["id"]] = (self.clock() + self.ttl, user)
            if not user.get("deleted"):
                self._seen[user["id"]] = self.clock()

    async def user(self, client: AsyncWebClient, user_id: str) -> dict[str, Any]:
        cached = self._users.get(user_id)
        if cached and cached[0] > self.clock():
            return cached[1]
        return await self._once(("user", user_id), lambda: self._fetch_user(client, user_id, cached))

    async def _fetch_user(self, client: AsyncWebClient, user_id: str, cached) -> dict[str, Any]:
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except _FAILURES as exc:
            logger.warning("slack: users.info %s failed: %s", user_id, describe(exc))
            return cached[1] if cached else {}
        self._users[user_id] = (self.clock() + self.ttl, user)
        if user and not user.get("deleted"):
            self._seen[user_id] = self.clock()
        if user and self.on_change is not None and (news := _news(cached[1] if cached else None, user)) is not None:
            await self.on_change(news)  # keeps stored zones and (de)activations as Slack has them
        return user

    async def team_name(self, client: AsyncWebClient, team_id: str) -> str | None:
        if team_id in self._teams:
            return self._teams[team_id]
        return await self._once(("team", team_id), lambda: self._fetch_team(client, team_id))

    async def _fetch_team(self, client: AsyncWebClient, team_id: str) -> str | None:
        try:
            team = (await client.team_info(team=team_id)).get("team") or {}
        except _FAILURES as exc:
            logger.warning("slack: team.info %s failed: %s", team_id, describe(exc))
            return None
        self._teams[team_id] = team.get("name") or team_id
        return self._teams[team_id]

    async def _once(self, key: tuple[str, str], fetch: Callable[[], Awaitable[Any]]) -> Any:
        """One request per user (or team) at a time: a burst of messages from
        someone not yet cached waits for the first look-up instead of each
        asking Slack again (users.info allows about 100 calls a minute)."""
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(fetch())
            self._pending[key] = pending
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)
