"""Deleted text does not linger in SQLite's free pages, whatever the build's default."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.db import Store

SECRET_WORDS = "my-very-private-reflection-about-the-huddle"


@pytest.fixture
def insecure_build(monkeypatch):
    """Every new SQLite connection starts with ``secure_delete`` off, as on a
    build compiled without ``SQLITE_SECURE_DELETE`` (this machine's is on)."""
    real_connect = sqlite3.dbapi2.connect

    def connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete=OFF")
        return conn

    monkeypatch.setattr(sqlite3.dbapi2, "connect", connect)


@pytest.fixture
def store(tmp_path, insecure_build):
    store = Store(url=f"sqlite:///{tmp_path}/beacon.db")
    yield store
    store.dispose()


def test_every_connection_turns_secure_delete_on(store):
    with store.session() as session:
        assert session.exec(text("PRAGMA secure_delete")).one()[0] == 1


def _file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def _checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def test_a_deleted_rows_text_is_gone_from_the_file(store, tmp_path):
    path = tmp_path / "beacon.db"
    with store.session() as session:
        session.exec(text("CREATE TABLE answer (id INTEGER PRIMARY KEY, body TEXT)"))
        for i in range(20):  # enough rows that the page stays in use after one is deleted
            session.exec(text("INSERT INTO answer (body) VALUES (:body)"), params={"body": f"{SECRET_WORDS}-{i:02}" if i == 7 else f"filler {i:02}"})
    _checkpoint(path)  # move the rows from the WAL into the main file
    assert SECRET_WORDS.encode() in _file_bytes(path)

    with store.session() as session:
        session.exec(text("DELETE FROM answer WHERE id = 8"))
    _checkpoint(path)

    assert SECRET_WORDS.encode() not in _file_bytes(path)
