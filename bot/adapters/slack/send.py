"""The Slack outbound path: one outbox envelope to Web API calls.

Kept apart from the adapter's life cycle and inbound listeners, as Telegram's
is, because it is where delivery semantics live: an envelope becomes a modal,
an edit, an ephemeral answer, a channel post or a (group) DM, rendered as
Block Kit (:mod:`.slack_blocks`); DM channels are opened once and cached; and
Slack's errors are mapped onto the delivery worker's :class:`RetryLater` /
:class:`Unreachable` / :class:`PermanentFailure` (:mod:`.slack_errors`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.base import Envelope, Held, PermanentFailure, Recipient, RetryLater, SendResult, Unreachable
from bot.adapters.slack.blocks import render_home, render_message, render_modal
from bot.adapters.slack.errors import classify as _classify
from bot.adapters.slack.errors import describe as _describe
from bot.adapters.slack.errors import error_of
from bot.adapters.slack.workspace import DEACTIVATED
from bot.core.markup import to_plain
from bot.core.messages import Outgoing

__all__ = ["SlackSender", "alt_text"]

# the adapter's logger, so outbound lines are named as they were before the move
logger = logging.getLogger(__name__)

ClientFor = Callable[[str | None], Awaitable[AsyncWebClient]]
MAX_ALT_TEXT = 1000  # Slack's limit for a file's alt_txt


async def _never(*_args) -> None:
    return None


class SlackSender:
    """Sends (or edits) one envelope's message; owns the DM-channel cache.

    Args:
        client_for: the adapter's lookup of the Web API client for a team id
            (the single bot token's client, or the installing workspace's).
        held: why a team's installation is revoked (None while it works).
        revoked: told when Slack answers a token error for a team.
        deactivated: whether Slack says a user id is deactivated (asked
            before a DM: Slack itself takes posts into a deactivated DM).
    """

    def __init__(
        self,
        *,
        client_for: ClientFor,
        held: Callable[[str], Awaitable[str | None]] = _never,
        revoked: Callable[[str, str], Awaitable[None]] = _never,
        deactivated: Callable[[AsyncWebClient, str], Awaitable[bool]] = _never,
    ) -> None:
        self.client_for = client_for
        self.held, self.revoked, self.deactivated = held, revoked, deactivated
        self._dms: dict[str, str] = {}

    async def send(self, envelope: Envelope) -> SendResult:
        out = envelope.outgoing
        if reason := await self.held(envelope.network_key):
            raise Held(f"Slack installation revoked ({reason})")
        try:
            client = await self.client_for(envelope.network_key)
            if out.form is not None:
                return await self._open_modal(client, out)
            if out.home is not None:
                return await self._publish_home(client, envelope)
            if out.edit:
                return await self._update(client, out)
            if out.to.channel and out.to.private_to is not None:
                return await self._ephemeral(client, envelope)
            if out.to.channel:
                return await self._post(client, out.to.channel, out, thread=out.to.thread)
            channel, opened = await self._open_dm(client, envelope)
            result = await self._post(client, channel, out)
            result.dm_channels = opened
            return result
        except SlackApiError as exc:
            failure = _classify(exc, envelope)
            if isinstance(failure, Held):  # about the workspace, not this message or its addressee
                await self.revoked(envelope.network_key, error_of(exc))
            raise failure from exc
        except (TimeoutError, SlackRequestError, aiohttp.ClientError, OSError) as exc:
            raise RetryLater(f"network error: {_describe(exc)}") from exc

    async def _post(self, client: AsyncWebClient, channel: str, out: Outgoing, *, thread: str | None = None) -> SendResult:
        text, blocks = render_message(out)
        resp = await client.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread, unfurl_links=False, unfurl_media=False)
        posted = resp.get("channel") or channel
        if out.attachment:
            await self._upload(client, posted, out, thread)
        return SendResult(message_ref=f"{posted}:{resp.get('ts')}")

    async def _upload(self, client: AsyncWebClient, channel: str, out: Outgoing, thread: str | None) -> None:
        """The picture or file follows its message; if it fails the text is already out, so don't resend."""
        attachment = out.attachment
        try:
            await client.files_upload_v2(
                channel=channel,
                content=attachment.content,
                filename=attachment.name,
                title=attachment.name,
                thread_ts=thread,
                alt_txt=alt_text(out) if attachment.is_picture else None,
            )
        except Exception as exc:  # noqa: BLE001 - the text is out; a failed upload must not fail (and resend) it
            logger.warning("slack: uploading %s to %s failed: %s", attachment.name, channel, _describe(exc))

    async def _update(self, client: AsyncWebClient, out: Outgoing) -> SendResult:
        text, blocks = render_message(out)
        if out.edit.startswith(("http://", "https://")):  # an ephemeral message, replaced through its response URL
            resp = await AsyncWebhookClient(out.edit).send(text=text, blocks=blocks, replace_original=True)
            if resp.status_code >= 500:
                raise RetryLater(f"response_url answered {resp.status_code}")
            return SendResult(message_ref=out.edit)
        channel, _, ts = out.edit.partition(":")
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        return SendResult(message_ref=out.edit)

    async def _ephemeral(self, client: AsyncWebClient, envelope: Envelope) -> SendResult:
        out = envelope.outgoing
        text, blocks = render_message(out)
        if out.response_url:
            resp = await AsyncWebhookClient(out.response_url).send(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
            if resp.status_code == 200:
                return SendResult()
            logger.info("slack: response_url answered %s; posting ephemerally instead", resp.status_code)
        target = _recipient(envelope, out.to.private_to)
        await client.chat_postEphemeral(channel=out.to.channel, user=target.platform_user_id, text=text, blocks=blocks)
        return SendResult()

    async def _open_modal(self, client: AsyncWebClient, out: Outgoing) -> SendResult:
        if not out.trigger:
            raise PermanentFailure(f"form {out.form.id} has no trigger to open a modal with")
        try:
            view = render_modal(out.form)
        except ValueError as exc:
            raise PermanentFailure(str(exc)) from exc
        resp = await client.views_open(trigger_id=out.trigger, view=view)
        return SendResult(message_ref=(resp.get("view") or {}).get("id"))

    async def _publish_home(self, client: AsyncWebClient, envelope: Envelope) -> SendResult:
        """The member's Home tab, replaced as a whole (the core keeps to Slack's pace)."""
        target = _recipient(envelope, envelope.outgoing.to.members[0] if envelope.outgoing.to.members else None)
        resp = await client.views_publish(user_id=target.platform_user_id, view=render_home(envelope.outgoing.home))
        return SendResult(message_ref=(resp.get("view") or {}).get("id"))

    async def _open_dm(self, client: AsyncWebClient, envelope: Envelope) -> tuple[str, dict[int, str]]:
        """The DM (one member) or group DM (several) channel, opened once and cached."""
        people = envelope.recipients
        if not people:
            raise PermanentFailure("no Slack user for the addressed member(s)")
        for person in people:
            # a group DM still goes to the others (a pair can ask for a rematch); the
            # deactivated one is marked through the look-up, and left out from now on
            if await self.deactivated(client, person.platform_user_id) and len(people) == 1:
                raise Unreachable(DEACTIVATED, member_id=person.member_id)
        if len(people) == 1 and people[0].dm_channel:
            return people[0].dm_channel, {}
        users = ",".join(sorted(r.platform_user_id for r in people))
        key = f"{envelope.network_key}:{users}"
        channel = self._dms.get(key)
        if channel is None:
            resp = await client.conversations_open(users=users)
            channel = resp["channel"]["id"]
            self._dms[key] = channel
        return channel, ({people[0].member_id: channel} if len(people) == 1 else {})


def alt_text(out: Outgoing) -> str:
    """What a picture shows, for people who cannot see it: the message it goes with."""
    text = " ".join(to_plain(out.text or "").split()) or (out.attachment.name if out.attachment else "A picture")
    return text if len(text) <= MAX_ALT_TEXT else text[: MAX_ALT_TEXT - 1].rstrip() + "…"


def _recipient(envelope: Envelope, member_id: int | None) -> Recipient:
    for r in envelope.recipients:
        if r.member_id == member_id:
            return r
    raise PermanentFailure(f"member {member_id} has no Slack user id")
