"""search rank: network/status scope in the FTS5 index and stored bm25 weights

On SQLite, search used to rank every match and then join each one to
``practice`` to filter by network and status (reading past the long text
columns of every row). This rebuilds ``practice_fts`` with one more indexed
column, ``scope``, holding a token per (network, status) and one more for
featured practices, so the MATCH itself narrows to one network's active
practices; and it stores the column weights as the table's ``rank`` so
``ORDER BY rank LIMIT k`` needs nothing from ``practice``.
PostgreSQL is unchanged.

Revision ID: 0010_search_rank
Revises: 0003_practices
"""
from alembic import op


revision = "0010_search_rank"
down_revision = "0003_practices"
branch_labels = None
depends_on = None

_TEXT = ("title", "problem", "what_we_did", "what_made_it_work", "watch_out_for", "evidence", "tags", "contact")
# bm25 weight per column, in column order: a word in the title (or a tag) says
# far more about a practice than a passing mention in the evidence; scope
# tokens are filters, never relevance.
_WEIGHTS = (10.0, 2.0, 2.5, 2.0, 1.5, 1.0, 6.0, 0.5, 0.0)
_TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"


def _scope(row: str) -> str:
    # must agree with bot.store.search.scope_token: 'n<network>x<status>z', plus '...zf' when featured
    base = f"'n' || {row}.network_id || 'x' || {row}.status || 'z'"
    return f"{base} || CASE WHEN {row}.featured THEN ' ' || {base} || 'f' ELSE '' END"


def _values(row: str, cols: tuple[str, ...], scope: bool) -> str:
    # tags are a JSON list: index the words of each tag, not the JSON punctuation or unicode escapes
    out = [
        f"(SELECT group_concat(value, ' ') FROM json_each({row}.tags))" if c == "tags" else f"{row}.{c}" for c in cols
    ]
    if scope:
        out.append(_scope(row))
    return ", ".join(out)


def _build(scope: bool) -> None:
    cols = _TEXT + (("scope",) if scope else ())
    names = ", ".join(cols)
    watched = ", ".join(_TEXT + (("network_id", "status", "featured") if scope else ()))
    op.execute(f"CREATE VIRTUAL TABLE practice_fts USING fts5({names}, {_TOKENIZE})")
    op.execute(f"INSERT INTO practice_fts(rowid, {names}) SELECT p.id, {_values('p', _TEXT, scope)} FROM practice AS p")
    if scope:
        weights = ", ".join(str(w) for w in _WEIGHTS)
        op.execute(f"INSERT INTO practice_fts(practice_fts, rank) VALUES ('rank', 'bm25({weights})')")
    op.execute(
        "CREATE TRIGGER practice_fts_ai AFTER INSERT ON practice BEGIN "
        f"INSERT INTO practice_fts(rowid, {names}) VALUES (new.id, {_values('new', _TEXT, scope)}); END"
    )
    op.execute(
        "CREATE TRIGGER practice_fts_ad AFTER DELETE ON practice BEGIN "
        "DELETE FROM practice_fts WHERE rowid = old.id; END"
    )
    op.execute(
        f"CREATE TRIGGER practice_fts_au AFTER UPDATE OF {watched} ON practice BEGIN "
        "DELETE FROM practice_fts WHERE rowid = old.id; "
        f"INSERT INTO practice_fts(rowid, {names}) VALUES (new.id, {_values('new', _TEXT, scope)}); END"
    )


def _drop() -> None:
    for trigger in ("practice_fts_ai", "practice_fts_ad", "practice_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS practice_fts")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    _build(scope=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    _build(scope=False)
