"""Suite-wide fixtures: a network guard, fresh databases, a fake clock, and the
in-memory harness every flow test drives."""

from __future__ import annotations

import ipaddress
import itertools
import os
import socket
from datetime import UTC, datetime

import pytest

from bot.core.clock import FakeClock
from bot.store.db import Store
from tests.support.harness import Harness

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(address) -> None:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            if host != "localhost":
                raise RuntimeError(f"test tried to reach {host!r}: tests stay on 127.0.0.1") from None
            return
        if not ip.is_loopback:
            raise RuntimeError(f"test tried to reach {host}: tests stay on 127.0.0.1")


def _guarded_connect(self, address):
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Fail any test that tries to reach a host other than this machine."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sqlite_store(tmp_path) -> Store:
    store = Store(url=f"sqlite:///{tmp_path}/beacon.db")
    store.upgrade()
    yield store
    store.dispose()


_pg_counter = itertools.count()


def _postgres_store() -> Store:
    """A fresh PostgreSQL database cloned from a migrated template (fast)."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = os.environ["BEACON_TEST_POSTGRES_URL"]
    url = make_url(base)
    admin = url.set(database="postgres")
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"beacon_t{os.getpid()}_{next(_pg_counter)}"
    template = f"beacon_tpl_{os.getpid()}"  # one per test run, so parallel runs never share one
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if not getattr(_postgres_store, "template_ready", False):
            conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{template}"')
            tmpl = Store(url=url.set(database=template).render_as_string(hide_password=False))
            tmpl.upgrade()
            tmpl.dispose()
            _postgres_store.template_ready = True
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return Store(url=url.set(database=name).render_as_string(hide_password=False))


def _backends() -> list:
    params = ["sqlite"]
    params.append(
        pytest.param("postgres", marks=pytest.mark.skipif(not os.environ.get("BEACON_TEST_POSTGRES_URL"), reason="BEACON_TEST_POSTGRES_URL not set"))
    )
    return params


@pytest.fixture(params=_backends())
def any_store(request, tmp_path) -> Store:
    """The same test on SQLite and (when the CI script started it) PostgreSQL."""
    if request.param == "sqlite":
        store = Store(url=f"sqlite:///{tmp_path}/beacon.db")
        store.upgrade()
    else:
        store = _postgres_store()
    yield store
    store.dispose()


@pytest.fixture
def postgres_url() -> str:
    """A fresh, migrated PostgreSQL database URL (skips when none is running)."""
    if not os.environ.get("BEACON_TEST_POSTGRES_URL"):
        pytest.skip("BEACON_TEST_POSTGRES_URL not set")
    store = _postgres_store()
    url = store.url
    store.dispose()
    return url


@pytest.fixture
async def harness(sqlite_store, clock) -> Harness:
    h = Harness(store=sqlite_store, clock=clock)
    yield h
    await h.close()
