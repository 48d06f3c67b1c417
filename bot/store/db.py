"""Engine, sessions and migrations, the same code for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

__all__ = ["IN_LIST", "Store", "in_lists", "insert_or_skip", "make_engine", "upgrade"]

IN_LIST = 500
"""Most ids in one ``IN (...)``: beyond it one read of the network's rows, filtered, is cheaper than a long list."""


def in_lists(values: Sequence) -> Iterator[Sequence]:
    """``values`` in slices of at most :data:`IN_LIST`, one ``IN (...)`` each: a query per slice, none for no values."""
    for start in range(0, len(values), IN_LIST):
        yield values[start : start + IN_LIST]


logger = logging.getLogger(__name__)
_HERE = Path(__file__).parent


def _dumps(value) -> str:
    # orjson: a fan-out writes thousands of JSON payloads; the standard
    # library's encoder was a tenth of the time it took to queue one
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


JSON = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


def make_engine(url: str, *, echo: bool = False, scratch: bool = False) -> Engine:
    """Create an engine tuned for the bot's use of each database.

    SQLite: WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` so two
    writers queue instead of failing on lock upgrade; pysqlite's own
    transaction handling is switched off as SQLAlchemy's docs advise.
    ``secure_delete`` is set on every connection: deleted rows (a forgotten
    member's words, pruned answers) are overwritten with zeros instead of
    lingering in free pages, whatever the SQLite build's default is.

    ``scratch`` is for a SQLite file nobody keeps (``beacon simulate``'s
    temporary database, deleted when the run ends): the journal stays in
    memory and nothing waits for the disk, since a crash loses the file
    anyway. Never for a database that holds a network's data.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, **JSON)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            dbapi_connection.isolation_level = None
            cur = dbapi_connection.cursor()
            if scratch:
                cur.execute("PRAGMA journal_mode=MEMORY")
                cur.execute("PRAGMA synchronous=OFF")
            else:
                if database and database != ":memory:":
                    cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn) -> None:  # pragma: no cover - trivial
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True, **JSON)


def insert_or_skip(dialect: str, table: Table, index_elements: list[str] | None = None):
    """``INSERT … ON CONFLICT DO NOTHING`` for ``dialect`` ("sqlite" or
    "postgresql"): both databases have it, each through its own SQLAlchemy
    construct. With ``RETURNING``, a row comes back only when one was inserted."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=index_elements)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Create or upgrade the schema to the latest migration."""
    command.upgrade(alembic_config(engine), revision)


class Store:
    """Owns the engine and hands out sessions; the one door to the database."""

    def __init__(self, *, url: str, echo: bool = False, scratch: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo, scratch=scratch)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def upgrade(self) -> None:
        upgrade(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            logger.exception("database ping failed")
            return False

    def dispose(self) -> None:
        self.engine.dispose()
