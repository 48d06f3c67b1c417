"""The schema: migrations build it on both databases and match the models."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import bot.store.tables  # noqa: F401
from bot.store.db import Store


def test_migrations_create_every_table(any_store):
    tables = set(inspect(any_store.engine).get_table_names())
    assert {"network", "member", "flow", "flow_occurrence", "inbound_event", "outbox_message", "audit_entry", "conversation"} <= tables
    assert set(SQLModel.metadata.tables) <= tables | {"alembic_version"}


def _significant(diffs):
    """Ignore what SQLite cannot express; keep real drift (missing tables, columns, indexes)."""
    out = []
    for d in diffs:
        kind = d[0][0] if isinstance(d, list) else d[0]
        if kind in ("modify_type", "modify_default", "modify_comment"):
            continue
        out.append(d)
    return out


def test_models_and_migrations_do_not_drift(any_store):
    with any_store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(ctx, SQLModel.metadata)
    # full-text search objects are created by hand in migrations and unknown to the models
    diffs = [d for d in _significant(diffs) if "fts" not in repr(d).lower() and "search" not in repr(d).lower()]
    assert diffs == []


def test_upgrade_is_idempotent(any_store):
    any_store.upgrade()
    any_store.upgrade()
    assert "member" in inspect(any_store.engine).get_table_names()


def test_beacon_db_upgrade_command_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.db"
    proc = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade", "--database", url], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stdout
    assert "outbox_message" in inspect(Store(url=url).engine).get_table_names()


def _pragmas(store: Store) -> tuple[str, int]:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA journal_mode").scalar(), conn.exec_driver_sql("PRAGMA synchronous").scalar()


def test_a_kept_database_is_durable_and_only_a_scratch_one_skips_the_disk(tmp_path):
    """``scratch`` (the simulation's temporary file) trades durability for speed; a real database never does."""
    kept, scratch = Store(url=f"sqlite:///{tmp_path}/kept.db"), Store(url=f"sqlite:///{tmp_path}/scratch.db", scratch=True)
    try:
        assert _pragmas(kept) == ("wal", 1)  # WAL, synchronous NORMAL
        assert _pragmas(scratch) == ("memory", 0)  # journal in memory, synchronous OFF
    finally:
        kept.dispose()
        scratch.dispose()
