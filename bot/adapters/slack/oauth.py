"""Installing Beacon into many Slack workspaces with Bolt's OAuth flow.

Bolt runs the flow (``GET /slack/install`` → Slack → ``GET
/slack/oauth_redirect``) and authorises each request by its team; we supply
where installations live (our database, so every bot process sees them) and
a state store that needs no table: the OAuth ``state`` is a signed,
short-lived token, and Bolt also binds it to the browser with a cookie.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlmodel import select

from bot.adapters.slack.workspace import resume
from bot.store.db import Store
from bot.store.slack import SlackInstallation

__all__ = ["BOT_SCOPES", "DatabaseInstallationStore", "SignedStateStore", "oauth_settings"]

logger = logging.getLogger(__name__)

BOT_SCOPES = [
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "mpim:write",
    "users:read",
    "team:read",
    "files:write",
    "app_mentions:read",
    "channels:read",
]  # keep in step with config/slack-manifest.yaml

_FIELDS = (
    "app_id",
    "enterprise_id",
    "enterprise_name",
    "enterprise_url",
    "team_id",
    "team_name",
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
    "user_id",
    "user_token",
    "user_scopes",
    "user_refresh_token",
    "user_token_expires_at",
    "is_enterprise_install",
    "token_type",
    "installed_at",
)


class DatabaseInstallationStore(AsyncInstallationStore):
    """Installations in the ``slack_installation`` table; the latest install per workspace wins."""

    def __init__(self, store: Store, *, on_change=None) -> None:
        self.store = store
        self.on_change = on_change
        self._logger = logger

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self._save, installation)
        if self.on_change:
            self.on_change(installation.team_id)

    def _save(self, installation: Installation) -> None:
        data = {name: getattr(installation, name, None) for name in _FIELDS}
        keys = (installation.enterprise_id or "", "" if installation.is_enterprise_install else installation.team_id or "")
        with self.store.session() as session:
            row = _find(session, *keys) or SlackInstallation(enterprise_key=keys[0], team_key=keys[1], installed_at=datetime.now(UTC))
            row.team_name = (installation.team_name or "")[:200]
            row.bot_user_id = installation.bot_user_id
            row.data = data
            row.installed_at = datetime.now(UTC)
            row.revoked_at = row.revoked_reason = None  # a reinstall: the new token works
            session.add(row)
        logger.info("slack: installed in team %s", installation.team_id)
        if installation.team_id and resume(self.store, installation.team_id):
            logger.info("slack: delivering the messages held while team %s was uninstalled", installation.team_id)

    async def async_save_bot(self, bot: Bot) -> None:  # the installation row already holds the bot
        return None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        data = await asyncio.to_thread(self._data, enterprise_id, team_id, is_enterprise_install)
        return Installation(**data) if data else None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        installation = await self.async_find_installation(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install)
        return installation.to_bot() if installation and installation.bot_token else None

    def _data(self, enterprise_id: str | None, team_id: str | None, org_wide: bool | None) -> dict[str, Any] | None:
        with self.store.session() as session:
            row = _find(session, enterprise_id or "", "" if org_wide else team_id or "")
            return dict(row.data) if row else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        def delete() -> None:
            with self.store.session() as session:
                row = _find(session, enterprise_id or "", team_id or "")
                if row is not None:
                    session.delete(row)

        await asyncio.to_thread(delete)
        if self.on_change:
            self.on_change(team_id)


def _find(session, enterprise_key: str, team_key: str) -> SlackInstallation | None:
    return session.exec(
        select(SlackInstallation).where(SlackInstallation.enterprise_key == enterprise_key, SlackInstallation.team_key == team_key)
    ).first()


class SignedStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` as ``nonce.expiry.signature``: valid for ``ttl`` seconds, no table needed."""

    def __init__(self, secret: str, *, ttl: int = 600) -> None:
        self._key = hashlib.sha256(("beacon-oauth-state:" + secret).encode()).digest()
        self.ttl = ttl
        self._logger = logger

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        payload = f"{secrets.token_urlsafe(16)}.{int(time.time()) + self.ttl}"
        return f"{payload}.{self._sign(payload)}"

    async def async_consume(self, state: str) -> bool:
        payload, _, signature = state.rpartition(".")
        expiry = payload.rpartition(".")[2]
        if not payload or not hmac.compare_digest(signature, self._sign(payload)) or not expiry.isdigit():
            return False
        return int(expiry) >= time.time()


def oauth_settings(*, client_id: str, client_secret: str, store: Store, on_change=None) -> AsyncOAuthSettings:
    """Bolt's OAuth settings with our database as the installation store."""
    return AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=BOT_SCOPES,
        installation_store=DatabaseInstallationStore(store, on_change=on_change),
        installation_store_bot_only=True,
        state_store=SignedStateStore(client_secret),
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    )
