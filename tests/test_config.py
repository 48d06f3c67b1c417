"""config/beacon.yaml: seeds what does not exist; errors name file and line."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.config import ConfigError, load_config, seed
from bot.store.models import Flow, Member, Network, Role


def test_shipped_example_config_is_valid():
    config = load_config("config/beacon.yaml")
    assert config.networks, "the example config should define a network"


def test_yaml_error_reports_file_and_line(tmp_path):
    bad = tmp_path / "beacon.yaml"
    bad.write_text("networks:\n  - platform: console\n    name: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert str(err.value).startswith(f"{bad}:4:")


def test_bad_schedule_in_config_is_explained(tmp_path):
    bad = tmp_path / "beacon.yaml"
    bad.write_text(
        "networks:\n  - platform: console\n    key: c\n    name: N\n    flows:\n      - kind: reflection\n        schedule: every fryday 16:00\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert "networks.0.flows.0.schedule" in str(err.value) and "fryday" in str(err.value)


def test_unknown_time_zone_is_refused(tmp_path):
    bad = tmp_path / "beacon.yaml"
    bad.write_text("networks:\n  - platform: console\n    key: c\n    name: N\n    timezone: Mars/Olympus\n")
    with pytest.raises(ConfigError, match="unknown time zone"):
        load_config(bad)


def test_seed_creates_once_and_never_overwrites(sqlite_store, clock, tmp_path):
    path = tmp_path / "beacon.yaml"
    path.write_text(
        """
networks:
  - platform: console
    key: c
    name: Neighbourhoods
    timezone: Europe/London
    facilitators: [fay]
    coordinators: [cora]
    flows:
      - kind: reflection
        name: weekly
        schedule: "every friday 16:00"
"""
    )
    config = load_config(path)
    assert seed(sqlite_store, config, clock) == 4
    with sqlite_store.session() as s:
        flow = s.exec(select(Flow)).one()
        flow.schedule = "every monday 09:00"  # a facilitator changed it at run time
    assert seed(sqlite_store, config, clock) == 0
    with sqlite_store.session() as s:
        assert s.exec(select(Flow)).one().schedule == "every monday 09:00"
        roles = {m.platform_user_id: m.roles for m in s.exec(select(Member))}
        assert roles == {"fay": {Role.FACILITATOR}, "cora": {Role.COORDINATOR}}
        assert s.exec(select(Network)).one().name == "Neighbourhoods"


def test_the_default_config_turns_on_what_the_readme_says(sqlite_store, clock):
    """The README promises a weekly digest to coordinators and fortnightly pairing rounds; the shipped config used to start reflections only."""
    from bot.flows.admin.commands import SETUP_FLOWS
    from bot.scheduling.parse import parse_schedule

    seed(sqlite_store, load_config("config/beacon.yaml"), clock)
    with sqlite_store.session() as s:
        flows = {f.kind: f for f in s.exec(select(Flow))}
    assert set(flows) == {"reflection", "pairing", "digest"}
    assert all(f.enabled for f in flows.values())
    for kind, (_name, default, _what) in SETUP_FLOWS.items():  # the same defaults `/beacon setup` offers
        assert parse_schedule(flows[kind].schedule).text == parse_schedule(default).text, kind
    assert flows["digest"].settings.get("coordinators", True) is True
    readme = open("README.md", encoding="utf-8").read()
    for said in ("every Friday at 16:00", "every 2 weeks on Monday at 10:00", "every Monday at 09:00"):
        assert said in readme, said
