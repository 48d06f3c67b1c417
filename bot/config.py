"""``config/beacon.yaml``: the networks' starting configuration.

Read on start-up and applied only where the database has nothing yet:
after that, facilitators change things with slash commands and the
database is the truth.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlmodel import select

from bot.core.clock import Clock
from bot.core.dates.zone import zone
from bot.scheduling.parse import parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.db import Store
from bot.store.models import Flow, Member, Network, Role

__all__ = ["ConfigError", "BeaconConfig", "load_config", "seed"]

logger = logging.getLogger(__name__)


class ConfigError(Exception):
    """A config file problem, with file and line where known."""


class FlowConfig(BaseModel):
    kind: str
    name: str = "default"
    schedule: str | None = None
    enabled: bool = True
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            return parse_schedule(v).text
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None


class NetworkConfig(BaseModel):
    platform: str
    key: str
    name: str
    timezone: str = "UTC"
    practice_channel: str | None = None
    facilitators: list[str] = Field(default_factory=list)
    coordinators: list[str] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    flows: list[FlowConfig] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if zone(v, "").key != v:
            raise ValueError(f"unknown time zone {v!r}; use an IANA name like Europe/London")
        return v

    @field_validator("platform")
    @classmethod
    def _platform(cls, v: str) -> str:
        if v not in {"slack", "telegram", "console"}:
            raise ValueError("platform must be slack, telegram or console")
        return v


class BeaconConfig(BaseModel):
    networks: list[NetworkConfig] = Field(default_factory=list)


def load_config(path: str | Path) -> BeaconConfig:
    """Parse and validate the YAML file; a missing file is an empty config."""
    p = Path(path)
    if not p.exists():
        logger.info("no config file at %s; starting with none", p)
        return BeaconConfig()
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}:{mark.column + 1}" if mark else str(p)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: YAML error: {problem}") from None
    try:
        return BeaconConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"{p}: {loc}: {first['msg']} ({len(exc.errors())} problem(s) in all)") from None


def seed(store: Store, config: BeaconConfig, clock: Clock) -> int:
    """Create the configured networks, flows and named roles that don't exist yet.

    Returns how many rows were created.
    """
    created = 0
    now = clock.now()
    with store.session() as session:
        for net in config.networks:
            network = session.exec(select(Network).where(Network.platform == net.platform, Network.platform_key == net.key)).first()
            if network is None:
                network = Network(
                    platform=net.platform,
                    platform_key=net.key,
                    name=net.name,
                    timezone=net.timezone,
                    practice_channel=net.practice_channel,
                    settings=net.settings,
                    created_at=now,
                )
                session.add(network)
                session.flush()
                created += 1
            wanted: dict[str, set[Role]] = {}
            for role, users in ((Role.FACILITATOR, net.facilitators), (Role.COORDINATOR, net.coordinators)):
                for user in users:
                    wanted.setdefault(user, set()).add(role)
            for user, roles in wanted.items():  # a person named in both lists holds both roles
                exists = session.exec(select(Member.id).where(Member.network_id == network.id, Member.platform_user_id == user)).first()
                if exists is None:
                    session.add(
                        Member(
                            network_id=network.id,
                            platform_user_id=user,
                            display_name=user,
                            is_facilitator=Role.FACILITATOR in roles,
                            is_coordinator=Role.COORDINATOR in roles,
                            has_private_chat=net.platform == "console",
                            created_at=now,
                        )
                    )
                    created += 1
            for fc in net.flows:
                exists = session.exec(select(Flow.id).where(Flow.network_id == network.id, Flow.kind == fc.kind, Flow.name == fc.name)).first()
                if exists is None:
                    session.add(
                        Flow(
                            network_id=network.id,
                            kind=fc.kind,
                            name=fc.name,
                            schedule=fc.schedule,
                            settings=fc.settings,
                            enabled=fc.enabled,
                            checked_until=now,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    created += 1
    return created
