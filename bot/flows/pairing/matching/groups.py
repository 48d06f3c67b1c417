"""Forming one pairing round: candidates in, pairs, trios or visit groups out.

``form_groups`` scores pairs with :mod:`~bot.flows.pairing.matching.score`,
finds and improves the groups with :mod:`~bot.flows.pairing.matching.search`,
and gives each group its merged reasons.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Literal

from bot.flows.pairing.matching.score import Candidate, Group, Weights, pair_score, scorer
from bot.flows.pairing.matching.search import candidate_edges, fill, greedy_pairs, improve, join_best, neighbours, rotate_pairs
from bot.flows.pairing.matching.tags import org_key

__all__ = ["form_groups"]


def form_groups(
    candidates: Sequence[Candidate],
    *,
    weights: Weights = Weights(),
    recent: Mapping[frozenset[int], int] | None = None,
    repeat_window: int = 3,
    seed: int | str = 0,
    mode: Literal["pairs", "visit_trios"] = "pairs",
    group_size: Literal[2, 3] = 2,
    hosted: Mapping[int, int] | None = None,
) -> list[Group]:
    """Form the groups for one pairing round.

    Args:
        candidates: Members in this round (order does not matter).
        weights: Score weights.
        recent: Pair -> rounds since they last met (1 = last round); see
            ``recent_pairs``. Pairs met within ``repeat_window`` rounds are
            avoided; if unavoidable, the least recent repeat is chosen.
        repeat_window: How many past rounds count as a repeat.
        seed: Breaks ties; the same seed and input give the same groups, so
            use e.g. the round number.
        mode: ``"pairs"`` for learning pairs, ``"visit_trios"`` for structured
            visits with one host and two visitors.
        group_size: In ``"pairs"`` mode, 2 for pairs (an odd member out joins
            the pair they add most to, making one trio) or 3 for trios (a
            remainder of 2 makes one pair, of 1 makes two pairs).
        hosted: In ``"visit_trios"`` mode, member -> times hosted; the hosts are
            the members who have hosted least (ties seeded), so the host role
            rotates. A remainder of 1 or 2 joins trios as extra visitors (groups
            of 4); with 2 or 5 members a visit pair (host and one visitor) is made.

    Returns:
        Groups sorted by their lowest member id; everyone is placed exactly
        once. Fewer than two members give no group (nobody to meet).

    Raises:
        ValueError: On an unknown mode or group size, or duplicate member ids.
    """
    if mode not in ("pairs", "visit_trios"):
        raise ValueError(f"unknown pairing mode {mode!r}")
    if group_size not in (2, 3):
        raise ValueError(f"group_size must be 2 or 3, not {group_size!r}")
    members = sorted(candidates, key=lambda c: c.member_id)
    if len({c.member_id for c in members}) != len(members):
        raise ValueError("duplicate member ids in candidates")
    n = len(members)
    if n < 2:
        return []
    rng = random.Random(seed)
    score = scorer(members, weights, recent or {}, repeat_window)
    edges = candidate_edges(members, score, rng)
    nbrs = neighbours(n, edges)
    movable = [True] * n
    hosts: set[int] = set()
    if mode == "visit_trios":
        hosts = set(host_list := _choose_hosts(members, hosted or {}, rng))
        movable = [i not in hosts for i in range(n)]
        groups = [[h] for h in host_list]
        free = [2] * len(hosts)
        if len(hosts) * 3 > n:  # 2 or 5 members: the last host gets one visitor
            free[-1] = 1
        visitors = [i for i in range(n) if movable[i]]
        rng.shuffle(visitors)
        left = fill(groups, free, visitors, nbrs, score, rng)
        join_best(left, groups, score, size_cap=4)
        improve(groups, movable, nbrs, score)
    else:
        pairs = greedy_pairs(n, edges, score, rng)
        paired = {m for p in pairs for m in p}
        odd = [m for m in range(n) if m not in paired]
        if group_size == 2:
            rotate_pairs(pairs, nbrs, score)
            join_best(odd, pairs, score, size_cap=3)
            groups = pairs
            if odd:  # let members swap in and out of the trio
                trio = next(g for g in groups if len(g) == 3)
                improve(groups, movable, nbrs, score, only=trio)
        else:
            trios, rest = divmod(n, 3)
            if rest == 1:
                trios -= 1
            n_groups = trios + (n - 3 * trios) // 2
            pairs.sort(key=lambda p: score(*p), reverse=True)
            groups = pairs[:n_groups]
            extras = [m for p in pairs[n_groups:] for m in p]
            # Exactly ``trios`` extras, at most one per group: the gains decide
            # which groups become trios.
            fill(groups, [1] * n_groups, extras + odd, nbrs, score, rng)
            improve(groups, movable, nbrs, score)
    result = [_build_group(members, g, hosts, weights, recent, repeat_window) for g in groups]
    return sorted(result, key=lambda g: g.members)


def _choose_hosts(members, hosted: Mapping[int, int], rng: random.Random) -> list[int]:
    """Pick one host per visit group: those who have hosted least, ties seeded."""
    n = len(members)
    count = n // 3 + (1 if n in (2, 5) else 0)
    ties = [rng.random() for _ in range(n)]
    order = sorted(range(n), key=lambda i: (hosted.get(members[i].member_id, 0), ties[i]))
    return order[:count]


def _build_group(members, group, hosts, weights, recent, repeat_window) -> Group:
    """Turn member indices into a ``Group`` with merged reasons."""
    people = sorted((members[i] for i in group), key=lambda c: c.member_id)
    host = next((members[i].member_id for i in group if i in hosts), None)
    total, reasons = 0.0, []
    for a, b in combinations(people, 2):
        s, why = pair_score(a, b, weights, recent, repeat_window)
        total += s
        reasons += [r for r in why if r[0] in ("reciprocal", "offers", "repeat")]
    for tag in sorted({t for c in people for t in c.wants}):
        who = tuple(c.member_id for c in people if tag in c.wants)
        if len(who) > 1:
            reasons.append(("shared_interest", tag, who))
    if len({org_key(c.organisation) for c in people} - {None}) > 1:
        reasons.append(("cross_organisation",))
    order = {"reciprocal": 0, "offers": 1, "shared_interest": 2, "cross_organisation": 3, "repeat": 4}
    reasons.sort(key=lambda r: order[r[0]])
    return Group(members=tuple(c.member_id for c in people), host=host, score=total, reasons=tuple(reasons))
