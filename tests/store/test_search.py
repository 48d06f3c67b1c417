"""Practice search on SQLite (FTS5) and, when running, PostgreSQL (tsvector)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.store.models import Network
from bot.store.practices import Practice
from bot.store.search import fts5_match, normalise_tag, search_practices, terms

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


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
    [
        '"',
        '"unclosed',
        "it's",
        "mentoring AND",
        "OR",
        "NEAR(a b)",
        "*",
        "men*",
        "title:budget",
        "^x",
        "a - b",
        "(((",
        "{title}: x",
        "'; DROP TABLE practice; --",
        "🎉🎉",
        "  ",
        "\\",
        "%_",
        "emoji 🎉 mentoring",
    ],
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


@pytest.fixture
def crowded(any_store):
    """One small network among a big one full of the same words: filters must not starve the page."""
    with any_store.session() as s:
        small = Network(platform="console", platform_key="small", name="Small", created_at=NOW)
        big = Network(platform="console", platform_key="big", name="Big", created_at=NOW)
        s.add(small)
        s.add(big)
        s.flush()
        for i in range(120):
            add(s, big.id, f"Mentoring rota {i}", what_we_did="mentoring mentoring", tags=["peer-support"])
        mine = [
            add(s, small.id, "Reading buddies", evidence="some mentoring too", tags=["peer-support-extra"]),
            add(s, small.id, "Mentoring walk", tags=["peer-support"]),
            add(s, small.id, "Mentoring lunch", status="hidden", tags=["peer-support"]),
        ]
        # a tag phrase that FTS matches loosely ("peer support" inside a longer tag) in many rows
        for i in range(60):
            add(s, small.id, f"Supper club {i}", tags=["peer-support-extra"])
        featured = add(s, small.id, "Old featured walk", tags=["peer-support"], featured=True)
        ids = {"small": small.id, "big": big.id, "buddies": mine[0], "walk": mine[1], "hidden": mine[2], "featured": featured}
    yield any_store, ids


def test_small_network_still_finds_its_practices_among_many_others(crowded):
    store, ids = crowded
    with store.session() as s:
        found = [h.practice_id for h in search_practices(s, network_id=ids["small"], query="mentoring", limit=5)]
        assert found == [ids["walk"], ids["buddies"]]  # title beats evidence; hidden and the big network left out
        big = search_practices(s, network_id=ids["big"], query="mentoring", limit=5)
        assert len(big) == 5 and not {h.practice_id for h in big} & {ids["walk"], ids["buddies"], ids["hidden"]}
        hidden = search_practices(s, network_id=ids["small"], query="mentoring", statuses=("hidden",))
        assert [h.practice_id for h in hidden] == [ids["hidden"]]


def test_exact_tag_filter_widens_past_loose_matches(crowded):
    store, ids = crowded
    with store.session() as s:
        # 61 newer practices carry "peer-support-extra"; only two active ones carry the tag itself
        tagged = [h.practice_id for h in search_practices(s, network_id=ids["small"], tag="peer-support", limit=3)]
        assert tagged == [ids["featured"], ids["walk"]]  # featured first, then newest
        worded = [h.practice_id for h in search_practices(s, network_id=ids["small"], query="walk", tag="peer-support")]
        assert set(worded) == {ids["featured"], ids["walk"]}


def test_scores_are_best_first(crowded):
    store, ids = crowded
    with store.session() as s:
        hits = search_practices(s, network_id=ids["big"], query="mentoring rota", limit=50)
        assert len(hits) == 50
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_moving_or_featuring_a_practice_updates_the_filter(crowded):
    store, ids = crowded
    with store.session() as s:
        p = s.get(Practice, ids["walk"])
        p.status = "hidden"
        s.add(p)
    with store.session() as s:
        found = [h.practice_id for h in search_practices(s, network_id=ids["small"], query="mentoring")]
        assert found == [ids["buddies"]]
        p = s.get(Practice, ids["buddies"])
        p.network_id, p.featured = ids["big"], True
        s.add(p)
    with store.session() as s:
        assert search_practices(s, network_id=ids["small"], query="mentoring") == []
        tagged = [h.practice_id for h in search_practices(s, network_id=ids["big"], tag="peer-support-extra", limit=1)]
        assert tagged == [ids["buddies"]]  # now featured in the big network
