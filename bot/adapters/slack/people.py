"""Who wrote: Slack display names, time zones and workspace names, cached.

Every inbound event names only a user id and a team id; members want to be
greeted by name and prompted in their own time zone, so the adapter asks
``users.info`` (cached for ``ttl`` seconds, since people rename themselves and
travel) and ``team.info`` (cached for the process's life).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import describe
from bot.core.messages import Incoming

__all__ = ["SlackPeople"]

logger = logging.getLogger(__name__)

_FAILURES = (SlackApiError, SlackRequestError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


class SlackPeople:
    def __init__(self, *, ttl: float = 3600.0) -> None:
        self.ttl = ttl
        self._users: dict[str, tuple[float, dict[str, Any]]] = {}
        self._teams: dict[str, str] = {}
        self._pending: dict[tuple[str, str], asyncio.Future] = {}

    async def enrich(self, client: AsyncWebClient, incoming: Incoming) -> Incoming:
        """Add display name, time zone, admin flag and workspace name; a failed lookup changes nothing."""
        user = await self.user(client, incoming.user_id)
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        team = await self.team_name(client, incoming.network_key) if incoming.network_key else None
        return replace(
            incoming,
            user_name=name or incoming.user_name or incoming.username,
            username=user.get("name") or incoming.username,
            user_timezone=user.get("tz") or incoming.user_timezone,
            is_admin=bool(user.get("is_admin") or user.get("is_owner")),
            network_name=team or incoming.network_name,
        )

    async def user(self, client: AsyncWebClient, user_id: str) -> dict[str, Any]:
        cached = self._users.get(user_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        return await self._once(("user", user_id), lambda: self._fetch_user(client, user_id, cached))

    async def _fetch_user(self, client: AsyncWebClient, user_id: str, cached) -> dict[str, Any]:
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except _FAILURES as exc:
            logger.warning("slack: users.info %s failed: %s", user_id, describe(exc))
            return cached[1] if cached else {}
        self._users[user_id] = (time.monotonic() + self.ttl, user)
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
