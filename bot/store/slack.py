"""Slack installations: one row per workspace (or org) that installed Beacon.

Written by Bolt's OAuth flow through :mod:`bot.adapters.slack.oauth` when
``SLACK_CLIENT_ID`` / ``SLACK_CLIENT_SECRET`` are set. The bot token has to be
kept to act in that workspace; it is never logged and leaves the database
only to call Slack.

``revoked_at`` is set when Slack says the installation is gone (the app was
uninstalled, its token revoked): messages to the workspace then wait in the
outbox, and a reinstall clears it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import UTCDateTime, empty_dict

__all__ = ["SlackInstallation"]


class SlackInstallation(SQLModel, table=True):
    __tablename__ = "slack_installation"
    __table_args__ = (UniqueConstraint("enterprise_key", "team_key", name="uq_slack_installation_workspace"),)

    id: int | None = Field(default=None, primary_key=True)
    # "" rather than NULL so the unique key also holds for org-wide installs (no team)
    enterprise_key: str = Field(default="", max_length=32)
    team_key: str = Field(default="", max_length=32, index=True)
    team_name: str = Field(default="", max_length=200)
    bot_user_id: str | None = Field(default=None, max_length=32)
    data: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)  # the Installation's fields, token included
    installed_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=100)
