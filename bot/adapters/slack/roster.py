"""Who is in a Slack channel, for a flow's :class:`~bot.core.messages.Roster` question.

``conversations.members`` is paginated (``limit`` per page, then
``response_metadata.next_cursor`` until it is empty); it gives only ids, so
each person is looked up with ``users.info`` (through :class:`SlackPeople`:
cached, and paced within the same per-minute budget as the checks before
DMs) to say whether they are a bot or deactivated. The flow decides what to
do with them; this module only translates what Slack says. A channel typed
as ``#name`` (slash commands send names unless escaping is on) is found by
``conversations.list``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import RetryLater
from bot.adapters.slack.errors import error_of
from bot.adapters.slack.people import SlackPeople
from bot.adapters.slack.workspace import valid_zone

__all__ = ["PAGE", "channel_roster"]

logger = logging.getLogger(__name__)

PAGE = 200
"""Members asked for per page (Slack's recommendation; it may return fewer)."""
_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


def person(user: dict[str, Any], user_id: str) -> dict[str, Any]:
    """What a flow needs of a ``users.info`` user (an unknown one counts as deactivated)."""
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name") or user_id
    return {
        "id": user_id,
        "name": name,
        "username": user.get("name"),
        "tz": valid_zone(user.get("tz")),
        "is_bot": bool(user.get("is_bot")),
        "deleted": bool(user.get("deleted")) or not user,
    }


async def _find(client: AsyncWebClient, channel: str) -> tuple[str, str] | None:
    """``(id, name)`` of the channel given as an id or a name; None when there is none."""
    if _ID.match(channel):
        info = (await client.conversations_info(channel=channel)).get("channel") or {}
        return channel, info.get("name") or channel
    wanted, cursor = channel.lower().lstrip("#"), None
    while True:
        page = await client.conversations_list(types="public_channel,private_channel", exclude_archived=True, limit=PAGE, cursor=cursor)
        for found in page.get("channels") or []:
            if str(found.get("name", "")).lower() == wanted:
                return found["id"], found["name"]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None


async def channel_roster(client: AsyncWebClient, channel: str, *, people: SlackPeople, bot_user_id: str | None, name: str = "") -> dict[str, Any]:
    """The ``raw["roster"]`` answer (see :data:`bot.core.messages.ROSTER_KEY`).

    Raises:
        RetryLater: Slack is rate limiting us; the outbox asks again later.
    """
    said = name or channel.lstrip("#")
    try:
        found = await _find(client, channel)
        if found is None:
            return {"channel": channel, "name": said, "error": "channel_not_found"}
        channel_id, name = found
        ids, cursor = [], None
        while True:
            page = await client.conversations_members(channel=channel_id, limit=PAGE, cursor=cursor)
            ids += [str(u) for u in page.get("members") or []]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as exc:
        error = error_of(exc)
        if error == "ratelimited" or exc.response.status_code == 429:
            raise RetryLater("slack: conversations rate limited", retry_after=float(exc.response.headers.get("Retry-After", 30))) from None
        return {"channel": channel, "name": said, "error": error}
    listed = []
    for user_id in dict.fromkeys(ids):
        if user_id == bot_user_id:
            continue
        listed.append(person(await people.lookup(client, user_id), user_id))
    logger.info("slack: channel %s has %d people", channel_id, len(listed))
    return {"channel": channel_id, "name": name, "bot_in_channel": bot_user_id in ids, "people": listed, "error": None}
