"""Ranked full-text search over practices, on SQLite (FTS5) and PostgreSQL (tsvector).

The index itself is built by migrations (``0003_practices``, and on SQLite
``0010_search_rank``): on SQLite an FTS5 table kept in step by triggers,
with the network and status as index tokens so one MATCH yields the top N
without touching ``practice``; on PostgreSQL a generated, weighted
``search_vector`` column with a GIN index. Here we only query it.

Safety: user text never becomes SQL. It is bound as a parameter, and for
FTS5 (whose MATCH has its own little language) it is first reduced to words
and each word quoted, so quotes, ``AND``/``NEAR``/``*`` and punctuation are
just text and can never raise a syntax error.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

__all__ = [
    "FTS_COLUMNS",
    "Hit",
    "fts5_match",
    "normalise_tag",
    "scope_token",
    "search_practices",
    "terms",
]

logger = logging.getLogger(__name__)

FTS_TABLE = "practice_fts"
FTS_COLUMNS = (
    "title",
    "problem",
    "what_we_did",
    "what_made_it_work",
    "watch_out_for",
    "evidence",
    "tags",
    "contact",
)
# The bm25 weight per FTS column is stored configuration of the FTS5 table
# (its ``rank``, set by the 0010_search_rank migration): title 10, problem 2,
# what_we_did 2.5, what_made_it_work 2, watch_out_for 1.5, evidence 1, tags 6,
# contact 0.5, and 0 for ``scope``, the network/status tokens used as a filter.
PG_CONFIG = "english"
MAX_TERMS = 12

_WORD = re.compile(r"[^\W_]+")
# Words too common to narrow a search (PostgreSQL's english config drops these
# too); left in, "how do we run X" would rank every post in the network.
STOPWORDS = frozenset(
    "a an and are as at be but by do does did for from has have how i if in into is it its me my no not of on or our "
    "so that the their them then there these they this to was we were what when where which who why will with you your".split()
)


@dataclass(frozen=True)
class Hit:
    practice_id: int
    score: float  # higher is better on both databases


def terms(query: str) -> list[str]:
    """The words of a query, case-folded and NFC-normalised; punctuation and emoji drop out."""
    normal = unicodedata.normalize("NFKC", query or "").casefold()
    words = _WORD.findall(normal)
    seen: list[str] = []
    for w in words:
        if w not in seen and (w not in STOPWORDS or len(words) == 1):
            seen.append(w)
    return seen[:MAX_TERMS]


def normalise_tag(raw: str) -> str:
    """``#Peer Mentoring`` -> ``peer-mentoring``: one spelling per tag so filters match."""
    words = _WORD.findall(unicodedata.normalize("NFKC", raw or "").casefold())
    return "-".join(words)[:60]


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_match(words: list[str], *, any_word: bool = False, tag: str | None = None) -> str | None:
    """An FTS5 MATCH expression in which every user word is a quoted string.

    Returns None when nothing searchable is left (the caller returns no hits).
    """
    parts: list[str] = []
    if words:
        joined = " OR ".join(_quote(w) for w in words) if any_word else " ".join(_quote(w) for w in words)
        parts.append(f"({joined})")
    if tag:
        tag_words = _WORD.findall(tag)
        if tag_words:
            parts.append("tags : " + _quote(" ".join(tag_words)))
    return " AND ".join(parts) if parts else None


def search_practices(
    session: Session,
    *,
    network_id: int,
    query: str = "",
    tag: str | None = None,
    statuses: tuple[str, ...] = ("active",),
    limit: int = 20,
) -> list[Hit]:
    """Practices matching ``query`` words (all of them, else any) and ``tag``, best first."""
    words = terms(query)
    tag = normalise_tag(tag) if tag else None
    if not words and not tag:
        return []
    dialect = session.get_bind().dialect.name
    run = _sqlite if dialect == "sqlite" else _postgres
    hits = run(session, network_id, words, tag, statuses, limit, any_word=False)
    if not hits and len(words) > 1:
        hits = run(session, network_id, words, tag, statuses, limit, any_word=True)
    logger.debug("search %r tag=%r -> %d hits", words, tag, len(hits))
    return hits


def _status_params(statuses: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    names = [f"s{i}" for i in range(len(statuses))]
    return ", ".join(f":{n}" for n in names), dict(zip(names, statuses, strict=True))


def scope_token(network_id: int, status: str, *, featured: bool = False) -> str:
    """The FTS5 ``scope`` token for one network and status (``0010_search_rank`` writes the same)."""
    return f"n{int(network_id)}x{status}z" + ("f" if featured else "")


def _scoped(match: str | None, network_id: int, statuses: tuple[str, ...], *, featured: bool = False) -> str:
    tokens = " OR ".join(_quote(scope_token(network_id, s, featured=featured)) for s in statuses)
    return f"{match} AND scope : ({tokens})" if match else f"scope : ({tokens})"


def _sqlite(session, network_id, words, tag, statuses, limit, *, any_word) -> list[Hit]:
    """Top-N straight from the FTS5 index: network and status are index tokens, weights the stored rank.

    Only the tag needs ``practice`` (a tag phrase could also match a longer tag),
    so tag searches over-fetch and widen until the page is full or matches run out.
    """
    match = fts5_match(words, any_word=any_word, tag=tag)
    if match is None or not statuses:
        return []
    fetch = limit * 4 if tag else limit
    while True:
        if words:
            rows = _top(session, _scoped(match, network_id, statuses), "rank, rowid DESC", fetch)
        else:  # tag only: featured first, then newest
            rows = _top(session, _scoped(match, network_id, statuses, featured=True), "rowid DESC", fetch)
            seen = {pid for pid, _ in rows}
            rest = _top(session, _scoped(match, network_id, statuses), "rowid DESC", fetch and fetch + len(rows))
            rows += [(pid, 0.0) for pid, _ in rest if pid not in seen]
            rows = rows[:fetch] if fetch else rows
        exhausted = fetch is None or len(rows) < fetch
        if tag:
            keep = _has_tag(session, [pid for pid, _ in rows], tag)
            rows = [(pid, score) for pid, score in rows if pid in keep]
        if len(rows) >= limit or exhausted:
            return [Hit(int(pid), -float(score)) for pid, score in rows[:limit]]
        fetch = fetch * 8 if fetch < 10_000 else None  # None: every match


def _top(session, match: str, order: str, fetch: int | None) -> list[tuple[int, float]]:
    score = "rank" if order.startswith("rank") else "0.0"
    sql = text(f"SELECT rowid, {score} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match ORDER BY {order} LIMIT :k")
    return [(int(pid), float(s)) for pid, s in session.execute(sql, {"match": match, "k": -1 if fetch is None else fetch}).all()]


def _has_tag(session, ids: list[int], tag: str) -> set[int]:
    if not ids:
        return set()
    sql = text(
        "SELECT p.id FROM practice AS p WHERE p.id IN (SELECT value FROM json_each(:ids)) "
        "AND EXISTS (SELECT 1 FROM json_each(p.tags) AS t WHERE t.value = :tag)"
    )
    return {int(pid) for (pid,) in session.execute(sql, {"ids": json.dumps(ids), "tag": tag}).all()}


def _postgres(session, network_id, words, tag, statuses, limit, *, any_word) -> list[Hit]:
    in_list, params = _status_params(statuses)
    clauses = ["p.network_id = :network_id", f"p.status IN ({in_list})"]
    values: dict = {"network_id": network_id, "limit": limit, **params}
    source = "practice AS p"
    score = "0.0"
    if words:
        # websearch_to_tsquery never raises on odd input; the words are bound, not spliced
        values["q"] = (" or " if any_word else " ").join(words)
        source += f", websearch_to_tsquery('{PG_CONFIG}', :q) AS q"
        clauses.append("p.search_vector @@ q")
        score = "ts_rank(p.search_vector, q)"
    if tag:
        values["tag"] = json.dumps([tag])
        clauses.append("CAST(p.tags AS jsonb) @> CAST(:tag AS jsonb)")
    order = "score DESC" if words else "p.featured DESC"
    sql = text(f"SELECT p.id, {score} AS score FROM {source} WHERE {' AND '.join(clauses)} ORDER BY {order}, p.id DESC LIMIT :limit")
    return [Hit(int(pid), float(s)) for pid, s in session.execute(sql, values).all()]
