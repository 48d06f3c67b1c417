"""Alembic environment: the engine is handed in by :func:`bot.store.db.upgrade`."""

from alembic import context
from sqlmodel import SQLModel

import bot.store.tables  # noqa: F401  (registers every table on the metadata)

config = context.config
target_metadata = SQLModel.metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Hide hand-made search indexes (FTS5 tables, tsvector columns) from autogenerate,
    which would otherwise propose dropping them in every new revision."""
    if reflected and compare_to is None and name:
        if type_ == "table" and (name.endswith("_fts") or "_fts_" in name):
            return False
        if type_ in ("column", "index") and ("search_vector" in name or name == "ix_practice_search"):
            return False
    return True


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from bot.settings import Settings
        from bot.store.db import make_engine

        engine = make_engine(Settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
