"""Practice search on SQLite (FTS5) and, when running, PostgreSQL (tsvector)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.store.models import Network
from bot.store.practices import Practice
from bot.store.search import fts5_match, normalise_tag, search_practices, terms

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def add(session, network_id: int, title: str, **fields) -> int:
    p = Practice(network_id=network_id, title=title, created_at=NOW, updated_at=NOW, **fields)
    session.add(p)
    session.flush()
    return p.id


@pytest.fixture
def corpus(any_store):
    with any_store.session() as s:
        n = Network(platform="console", platform_key="search", name="Search", created_at=NOW)
        other = Network(platform="console", platform_key="other", name="Other", created_at=NOW)
        s.add(n)
        s.add(other)
        s.flush()
        ids = {
            "mentoring": add(s, n.id, "Peer mentoring for new teachers", what_we_did="Pairs meet weekly", tags=["peer-support", "induction"]),
            "budget": add(s, n.id, "Budget planning in one afternoon", evidence="One school mentioned mentoring in passing", tags=["finance"]),
            "cafe": add(s, n.id, "Café conversations with parents", what_made_it_work="Die Schüler servierten Kaffee", tags=["café"]),
            "cyrillic": add(s, n.id, "Обмен опытом между школами", watch_out_for="Не забывайте про время", tags=["обмен"]),
            "hidden": add(s, n.id, "Mentoring circle (hidden)", status="hidden"),
            "elsewhere": add(s, other.id, "Mentoring in another network"),
        }
        ids["network"] = n.id
    yield any_store, ids


def find(store, ids, query="", tag=None):
    with store.session() as s:
        return [h.practice_id for h in search_practices(s, network_id=ids["network"], query=query, tag=tag)]


def test_finds_words_in_any_field_and_ranks_title_first(corpus):
    store, ids = corpus
    assert find(store, ids, "mentoring") == [ids["mentoring"], ids["budget"]]  # title above a passing mention
    assert find(store, ids, "weekly pairs") == [ids["mentoring"]]
    assert find(store, ids, "afternoon") == [ids["budget"]]


def test_hidden_and_other_networks_are_not_found(corpus):
    store, ids = corpus
    found = find(store, ids, "mentoring")
    assert ids["hidden"] not in found and ids["elsewhere"] not in found


def test_finds_by_tag_exactly(corpus):
    store, ids = corpus
    assert find(store, ids, tag="#Peer Support") == [ids["mentoring"]]
    assert find(store, ids, tag="peer") == []  # a tag is matched whole
    assert find(store, ids, tag="café") == [ids["cafe"]]
    assert find(store, ids, "teachers", tag="induction") == [ids["mentoring"]]
    assert find(store, ids, "budget", tag="induction") == []


def test_any_word_when_no_practice_has_all(corpus):
    store, ids = corpus
    assert set(find(store, ids, "afternoon conversations")) == {ids["budget"], ids["cafe"]}


@pytest.mark.parametrize(
    "query",
    ['"', '"unclosed', "it's", "mentoring AND", "OR", "NEAR(a b)", "*", "men*", "title:budget", "^x", "a - b",
     "(((", "{title}: x", "'; DROP TABLE practice; --", "🎉🎉", "  ", "\\", "%_", "emoji 🎉 mentoring"],
)
def test_odd_input_never_raises(corpus, query):
    store, ids = corpus
    find(store, ids, query)  # no exception is the point
    find(store, ids, tag=query)


def test_non_english_text(corpus):
    store, ids = corpus
    assert find(store, ids, "café") == [ids["cafe"]]
    assert find(store, ids, "Schüler") == [ids["cafe"]]
    assert find(store, ids, "школами") == [ids["cyrillic"]]
    assert find(store, ids, "emoji 🎉 mentoring") == [ids["mentoring"], ids["budget"]]


def test_index_follows_edits(corpus):
    store, ids = corpus
    with store.session() as s:
        p = s.get(Practice, ids["budget"])
        p.title, p.evidence = "Zebra crossings", ""
        s.add(p)
    assert find(store, ids, "zebra") == [ids["budget"]]
    assert find(store, ids, "afternoon") == []
    with store.session() as s:
        s.delete(s.get(Practice, ids["budget"]))
    assert find(store, ids, "zebra") == []


def test_fts5_expression_quotes_every_word():
    assert terms('Mentoring "AND" NEAR/3 café!') == ["mentoring", "near", "3", "café"]  # "and" is a stopword
    assert terms("how do we run induction?") == ["run", "induction"]
    assert fts5_match(["and", "near"]) == '("and" "near")'
    assert fts5_match(["a", "b"], any_word=True) == '("a" OR "b")'
    assert fts5_match([], tag="peer-support") == 'tags : "peer support"'
    assert fts5_match([]) is None
    assert normalise_tag("#Peer Support!") == "peer-support"
