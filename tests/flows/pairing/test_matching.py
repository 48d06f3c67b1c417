"""Tests for the pure pairing rules: who meets whom, and why we say so."""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

import networkx as nx
import pytest

from bot.flows.pairing.matching import (
    Candidate,
    Group,
    Weights,
    explain,
    form_groups,
    normalise_tag,
    pair_score,
    parse_tags,
    recent_pairs,
    suggest_first_question,
)
from bot.flows.pairing.matching.score import scorer
from bot.flows.pairing.matching.search import neighbours
from bot.flows.pairing.matching.tags import org_key


def member(member_id: int, org: str | None = None, wants: str = "", offers: str = "") -> Candidate:
    return Candidate(member_id=member_id, organisation=org, wants=parse_tags(wants), offers=parse_tags(offers))


def network(n: int, seed: int = 0, n_tags: int = 12) -> list[Candidate]:
    rng = random.Random(seed)
    tags = [f"tag {k}" for k in range(n_tags)]
    return [
        Candidate(
            member_id=100 + i,
            organisation=f"org {rng.randrange(max(2, n // 4))}",
            wants=frozenset(rng.sample(tags, rng.randint(1, 3))),
            offers=frozenset(rng.sample(tags, rng.randint(1, 3))),
        )
        for i in range(n)
    ]


def pairs_of(groups: list[Group]) -> set[frozenset[int]]:
    return {frozenset(p) for g in groups for p in combinations(g.members, 2)}


def placed(groups: list[Group]) -> list[int]:
    return sorted(m for g in groups for m in g.members)


# Tags


def test_tags_are_normalised_so_spellings_agree():
    assert normalise_tag("  Youth   Engagement ") == "youth engagement"
    assert parse_tags("Youth Engagement; youth  engagement,\nData Sharing ;;") == {"youth engagement", "data sharing"}
    assert parse_tags("") == frozenset()
    assert parse_tags(None) == frozenset()


# Scores


def test_reciprocity_scores_above_one_way():
    anna = member(1, "A", wants="data sharing", offers="co-production")
    ben = member(2, "B", wants="co-production", offers="data sharing")
    cara = member(3, "C", wants="budgeting", offers="data sharing")
    two_way, why_two = pair_score(anna, ben)
    one_way, why_one = pair_score(anna, cara)
    assert two_way > one_way > pair_score(ben, cara)[0] - Weights().cross_organisation
    assert ("reciprocal", 1, 2) in why_two
    assert not any(r[0] == "reciprocal" for r in why_one)
    assert ("offers", 3, 1, "data sharing") in why_one


def test_reciprocal_pair_is_chosen_over_two_one_way_pairs():
    anna = member(1, "A", wants="x", offers="y")
    ben = member(2, "B", wants="y", offers="x")
    cara = member(3, "C", offers="x")
    dev = member(4, "D", offers="y")
    groups = form_groups([anna, ben, cara, dev])
    assert {g.members for g in groups} == {(1, 2), (3, 4)}


def test_crossing_organisations_is_preferred():
    people = [member(i, org, wants="x", offers="x") for i, org in enumerate(["north", "north", "south", "south"])]
    for seed in range(5):
        groups = form_groups(people, seed=seed)
        orgs = [{people[m].organisation for m in g.members} for g in groups]
        assert orgs == [{"north", "south"}, {"north", "south"}]
        assert all(("cross_organisation",) in g.reasons for g in groups)


def test_unknown_organisation_earns_no_cross_bonus():
    assert pair_score(member(1, None), member(2, "B"))[0] == 0.0
    assert pair_score(member(1, "Leeds Council"), member(2, " leeds  council"))[0] == 0.0


def test_group_score_is_the_sum_of_its_pair_scores():
    people = network(9, seed=4)
    by_id = {c.member_id: c for c in people}
    for g in form_groups(people, seed=1):
        expected = sum(pair_score(by_id[a], by_id[b])[0] for a, b in combinations(g.members, 2))
        assert g.score == pytest.approx(expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("n", [12, 30, 60])
def test_total_score_is_near_the_exact_optimum(n, seed):
    people = network(n, seed=seed)
    graph = nx.Graph()
    for a, b in combinations(people, 2):
        graph.add_edge(a.member_id, b.member_id, weight=pair_score(a, b)[0])
    exact = sum(graph[a][b]["weight"] for a, b in nx.max_weight_matching(graph, maxcardinality=True))
    ours = sum(g.score for g in form_groups(people, seed=seed))
    assert ours >= 0.98 * exact


# Repeats


def test_recent_pairs_counts_rounds_back_from_the_latest():
    recent = recent_pairs([[(1, 2), (3, 4)], [(1, 3), (2, 4, 5)]])
    assert recent[frozenset((1, 2))] == 2
    assert recent[frozenset((1, 3))] == 1
    assert recent[frozenset((4, 5))] == 1
    assert frozenset((1, 4)) not in recent


def test_no_repeat_within_the_window_when_avoidable():
    # The best pairs by tags (1-2, 3-4, 5-6) all met recently; others exist.
    people = [
        member(1, "A", wants="x", offers="y"),
        member(2, "B", wants="y", offers="x"),
        member(3, "C", wants="p", offers="q"),
        member(4, "D", wants="q", offers="p"),
        member(5, "E", wants="s", offers="t"),
        member(6, "F", wants="t", offers="s"),
    ]
    fresh = form_groups(people)
    assert {g.members for g in fresh} == {(1, 2), (3, 4), (5, 6)}
    recent = recent_pairs([[(1, 2)], [(3, 4)], [(5, 6)]])
    for seed in range(5):
        groups = form_groups(people, recent=recent, repeat_window=3, seed=seed)
        assert pairs_of(groups).isdisjoint(recent)
        assert placed(groups) == [1, 2, 3, 4, 5, 6]


def test_a_pair_outside_the_window_may_meet_again():
    people = [member(1, "A", wants="x", offers="y"), member(2, "B", wants="y", offers="x"), member(3, "C"), member(4, "D")]
    recent = {frozenset((1, 2)): 4}
    groups = form_groups(people, recent=recent, repeat_window=3)
    assert (1, 2) in {g.members for g in groups}
    assert not any(r[0] == "repeat" for g in groups for r in g.reasons)


def test_least_recent_repeat_when_repeats_are_unavoidable():
    people = [member(i, f"org {i}", wants="x", offers="x") for i in (1, 2, 3, 4)]
    recent = recent_pairs([[(1, 4), (2, 3)], [(1, 3), (2, 4)], [(1, 2), (3, 4)]])
    for seed in range(5):
        groups = form_groups(people, recent=recent, repeat_window=3, seed=seed)
        assert {g.members for g in groups} == {(1, 4), (2, 3)}
        assert ("repeat", 1, 4, 3) in groups[0].reasons


def test_repeats_avoided_across_rounds_in_a_larger_network():
    people = network(40, seed=7)
    past: list[list[tuple[int, ...]]] = []
    for round_number in range(4):
        recent = recent_pairs(past)
        groups = form_groups(people, recent=recent, repeat_window=3, seed=round_number)
        assert pairs_of(groups).isdisjoint(recent)
        past.append([g.members for g in groups])


# Shapes


@pytest.mark.parametrize("n", [3, 5, 7, 21, 101])
def test_odd_count_gives_exactly_one_trio(n):
    groups = form_groups(network(n, seed=n))
    sizes = Counter(len(g.members) for g in groups)
    assert sizes == {3: 1, 2: (n - 3) // 2} if n > 3 else sizes == {3: 1}


@pytest.mark.parametrize("mode, group_size", [("pairs", 2), ("pairs", 3), ("visit_trios", 2)])
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 8, 10, 11, 47, 450])
def test_everyone_is_placed_exactly_once(n, mode, group_size):
    people = network(n, seed=n)
    groups = form_groups(list(reversed(people)), mode=mode, group_size=group_size, seed=3)
    assert placed(groups) == sorted(c.member_id for c in people)
    assert all(len(g.members) >= 2 for g in groups)


@pytest.mark.parametrize("n, sizes", [(9, [3, 3, 3]), (11, [2, 3, 3, 3]), (10, [2, 2, 3, 3]), (4, [2, 2]), (2, [2])])
def test_trio_mode_sizes(n, sizes):
    groups = form_groups(network(n, seed=1), group_size=3)
    assert sorted(len(g.members) for g in groups) == sizes
    assert all(g.host is None for g in groups)


@pytest.mark.parametrize("n, sizes", [(9, [3, 3, 3]), (10, [3, 3, 4]), (11, [3, 4, 4]), (5, [2, 3]), (4, [4]), (2, [2])])
def test_visit_groups_have_one_host_and_sizes(n, sizes):
    groups = form_groups(network(n, seed=2), mode="visit_trios")
    assert sorted(len(g.members) for g in groups) == sizes
    assert all(g.host in g.members for g in groups)


@pytest.mark.parametrize("people", [[], [member(1, "A", wants="x", offers="y")]])
def test_fewer_than_two_members_form_no_group(people):
    assert form_groups(people) == []
    assert form_groups(people, mode="visit_trios") == []


def test_bad_arguments_are_refused():
    people = [member(1), member(2)]
    with pytest.raises(ValueError):
        form_groups(people, mode="speed dating")
    with pytest.raises(ValueError):
        form_groups(people, group_size=4)
    with pytest.raises(ValueError):
        form_groups([member(1), member(1)])


# Visit host rotation


def test_host_role_rotates_over_rounds():
    people = network(9, seed=5)
    hosted: Counter[int] = Counter()
    past: list[list[tuple[int, ...]]] = []
    for round_number in range(3):
        groups = form_groups(people, mode="visit_trios", hosted=hosted, recent=recent_pairs(past), seed=round_number)
        hosts = [g.host for g in groups]
        assert all(hosted[h] == 0 for h in hosts)  # nobody hosts twice before all have hosted
        hosted.update(hosts)
        past.append([g.members for g in groups])
    assert hosted == {c.member_id: 1 for c in people}
    groups = form_groups(people, mode="visit_trios", hosted={**hosted, 100: 0}, seed=9)
    assert 100 in {g.host for g in groups}


# Determinism


def test_same_seed_gives_same_groups_and_input_order_does_not_matter():
    people = network(60, seed=11)
    first = form_groups(people, seed=42)
    assert form_groups(people, seed=42) == first
    assert form_groups(list(reversed(people)), seed=42) == first


def test_different_seeds_break_ties_differently():
    people = [member(i, None, wants="x", offers="x") for i in range(20)]
    results = {tuple(g.members for g in form_groups(people, seed=seed)) for seed in range(3)}
    assert len(results) == 3
    hosts = {tuple(g.host for g in form_groups(people, mode="visit_trios", seed=seed)) for seed in range(3)}
    assert len(hosts) > 1


# Explanations


def test_explain_names_the_people_and_tags():
    anna = member(1, "Leeds", wants="youth engagement, data sharing", offers="co-production")
    ben = member(2, "York", wants="youth engagement, co-production", offers="data sharing")
    (group,) = form_groups([anna, ben])
    text = explain(group, {1: "Anna", 2: "Ben"})
    assert text == (
        "You both want to learn about youth engagement; Anna offers co-production, which Ben asked for; "
        "Ben offers data sharing, which Anna asked for; you bring views from different organisations."
    )


def test_explain_a_visit_trio_and_unknown_names():
    people = [
        member(1, "A", wants="budgeting", offers="housing"),
        member(2, "B", wants="budgeting"),
        member(3, "B", wants="housing"),
    ]
    (group,) = form_groups(people, mode="visit_trios", hosted={2: 1, 3: 1})
    assert group.host == 1
    text = explain(group, {1: "Anna", 2: "Ben"})
    assert text.startswith("Anna hosts Ben and member 3; ")
    assert "Anna and Ben both want to learn about budgeting" in text
    assert "Anna offers housing, which member 3 asked for" in text
    assert suggest_first_question(group).startswith("Host:")


def test_explain_a_repeat_and_a_plain_pair():
    people = [member(1), member(2)]
    (group,) = form_groups(people, recent={frozenset((1, 2)): 1})
    assert explain(group, {1: "Anna", 2: "Ben"}) == "Anna and Ben met last round, as no new pairing was possible."
    (plain,) = form_groups(people)
    assert explain(plain, {}) == "A chance to meet someone new in the network."


def test_first_question_uses_what_is_offered_or_shared():
    offered = form_groups([member(1, wants="mentoring"), member(2, offers="mentoring")])[0]
    assert "mentoring" in suggest_first_question(offered)
    shared = form_groups([member(1, wants="budgets"), member(2, wants="budgets")])[0]
    assert "budgets" in suggest_first_question(shared)
    plain = form_groups([member(1), member(2)])[0]
    assert suggest_first_question(plain) != suggest_first_question(shared)


# The pieces form_groups strings together


def test_organisations_compare_like_tags():
    assert org_key("  Riverside   COUNCIL ") == org_key("riverside council") == "riverside council"
    assert org_key("") is None and org_key("   ") is None and org_key(None) is None


def test_the_fast_scorer_agrees_with_pair_score():
    people = network(40, seed=3)
    recent = {frozenset((people[0].member_id, people[1].member_id)): 1}
    score = scorer(people, Weights(), recent, 3)
    for i, j in combinations(range(len(people)), 2):
        assert score(i, j) == pytest.approx(pair_score(people[i], people[j], Weights(), recent, 3)[0])


def test_fewer_partners_are_kept_for_networks_too_large_for_the_complete_graph():
    def widest(n: int) -> int:
        edges = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + 30))]
        return max(len(partners) for partners in neighbours(n, edges))

    assert widest(400) == 20
    assert widest(401) == 12
