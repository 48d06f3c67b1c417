"""The search for good groups over member indices, given a pair scorer.

Grouping is a maximum-weight matching. The exact blossom algorithm is far too
slow for large networks, so we score only *candidate* edges (members linked by
a tag, plus a few seeded random ones so everyone has options; the complete graph
for small networks), match greedily by descending score, then improve: pairs by
rotating partners along short alternating cycles, trios by swapping members
between groups. These steps know nothing of tags or members, only indices and
``score(i, j)``; :func:`bot.flows.pairing.matching.groups.form_groups` strings them together,
so they are public to it but not part of the matching package's API. How wide
and deep to search for a network of a given size is decided here.
``bench/pairing.py`` checks speed and closeness to the optimum.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Callable
from itertools import accumulate, combinations

__all__ = ["candidate_edges", "fill", "greedy_pairs", "improve", "join_best", "neighbours", "rotate_pairs"]

#: Networks up to this size are scored on the complete graph (all pairs).
_COMPLETE_GRAPH_MAX = 400
#: Per member, how many partners to sample from each kind of tag link, and at random.
_SAMPLES = {"reciprocal": 6, "one_way": 5, "shared": 3, "random": 3}
_MAX_PASSES = 30
#: Partners per member kept for local search, and the longest partner rotation tried.
_NEIGHBOURS = 20
_NEIGHBOURS_LARGE = 12
#: Members left without a free candidate partner are paired in blocks of this size.
_LEFTOVER_BLOCK = 64
_SWAP_NEIGHBOURS = 10
_DEPTH = 3
_DEPTH_SMALL = 4
_EPS = 1e-9


def _sample(buckets: list[list[int]], k: int, rng: random.Random, out: set[int]) -> None:
    """Add up to ``k`` draws from the union of ``buckets`` (size-weighted) to ``out``."""
    sizes = [len(b) for b in buckets]
    total = sum(sizes)
    if total <= k:
        for bucket in buckets:
            out.update(bucket)
        return
    cumulative = list(accumulate(sizes))
    for _ in range(k):
        r = int(rng.random() * total)
        b = bisect_right(cumulative, r)
        out.add(buckets[b][r - (cumulative[b - 1] if b else 0)])


def candidate_edges(members, score: Callable[[int, int], float], rng: random.Random) -> list[tuple[int, int]]:
    """Edges worth scoring, best first (ties in seeded random order)."""
    n = len(members)
    if n <= _COMPLETE_GRAPH_MAX:
        pairs = list(combinations(range(n), 2))
    else:
        wants = [sorted(c.wants) for c in members]
        offers = [sorted(c.offers) for c in members]
        wanters, offerers, by_want_offer = defaultdict(list), defaultdict(list), defaultdict(list)
        for i in range(n):
            for w in wants[i]:
                wanters[w].append(i)
                for o in offers[i]:
                    by_want_offer[w, o].append(i)
            for o in offers[i]:
                offerers[o].append(i)
        keys: set[int] = set()
        for i in range(n):
            near: set[int] = set()
            recip = [by_want_offer[o, w] for o in offers[i] for w in wants[i] if (o, w) in by_want_offer]
            _sample(recip, _SAMPLES["reciprocal"], rng, near)
            one_way = [offerers[w] for w in wants[i]] + [wanters[o] for o in offers[i]]
            _sample(one_way, _SAMPLES["one_way"], rng, near)
            _sample([wanters[w] for w in wants[i]], _SAMPLES["shared"], rng, near)
            near.update(rng.randrange(n) for _ in range(_SAMPLES["random"]))
            near.discard(i)
            keys.update(i * n + j if i < j else j * n + i for j in near)
        pairs = [divmod(key, n) for key in sorted(keys)]
    by_score: dict[float, list[tuple[int, int]]] = defaultdict(list)
    for i, j in pairs:
        by_score[score(i, j)].append((i, j))
    ranked: list[tuple[int, int]] = []
    for value in sorted(by_score, reverse=True):
        rng.shuffle(by_score[value])  # seeded tie-break
        ranked += by_score[value]
    return ranked


def neighbours(n: int, edges, limit: int | None = None) -> list[list[int]]:
    """Each member's best candidate partners, best first (``edges`` is ranked); by default
    fewer for networks too large for the complete graph."""
    if limit is None:
        limit = _NEIGHBOURS if n <= _COMPLETE_GRAPH_MAX else _NEIGHBOURS_LARGE
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for i, j in edges:
        if len(nbrs[i]) < limit:
            nbrs[i].append(j)
        if len(nbrs[j]) < limit:
            nbrs[j].append(i)
    return nbrs


def rotate_pairs(pairs: list[list[int]], nbrs, score: Callable[[int, int], float], depth: int | None = None) -> None:
    """Improve a matching by rotating partners along short alternating cycles.

    Breaking (a, b), a takes c, c's partner d takes e, ... and the last freed
    member takes b. Like Lin-Kernighan, a chain is followed only while its gain
    so far is positive, which keeps the search small (``depth`` 1 is plain
    2-opt), and only members touched by a change are searched again. By default
    ``depth`` is deeper for networks small enough for the complete graph.
    """
    n = len(nbrs)
    if depth is None:
        depth = _DEPTH if n > _COMPLETE_GRAPH_MAX else _DEPTH_SMALL
    near = [[(score(x, c), c) for c in nbrs[x]] for x in range(n)]
    mate, mate_score = [-1] * n, [0.0] * n
    for i, j in pairs:
        mate[i], mate[j] = j, i
        mate_score[i] = mate_score[j] = score(i, j)

    def search(x: int, close: int, gain: float, seen: tuple[int, ...], left: int):
        for s_xc, c in near[x]:
            step = gain + s_xc
            if step <= _EPS:
                return None  # neighbours are sorted: no later c can do better
            d = mate[c]
            if d < 0 or c in seen or d in seen:
                continue
            step -= mate_score[c]
            s_dc = score(d, close)
            if step + s_dc > _EPS:
                return [(x, c, s_xc), (d, close, s_dc)]
            if left > 1:
                chain = search(d, close, step, (*seen, c, d), left - 1)
                if chain:
                    return [(x, c, s_xc), *chain]
        return None

    queue, queued = deque(range(n)), [True] * n
    budget = _MAX_PASSES * n
    while queue and budget:
        budget -= 1
        a = queue.popleft()
        queued[a] = False
        b = mate[a]
        if b < 0:
            continue
        chain = search(a, b, -mate_score[a], (a, b), depth)
        if chain:
            for x, y, s_xy in chain:
                mate[x], mate[y] = y, x
                mate_score[x] = mate_score[y] = s_xy
                for m in (x, y):
                    if not queued[m]:
                        queued[m] = True
                        queue.append(m)
    pairs[:] = [[i, j] for i, j in enumerate(mate) if i < j]


def greedy_pairs(n: int, edges, score: Callable[[int, int], float], rng: random.Random) -> list[list[int]]:
    """Greedy matching; members left without a free partner are paired among themselves."""
    taken = [False] * n
    pairs: list[list[int]] = []
    for i, j in edges:
        if not (taken[i] or taken[j]):
            taken[i] = taken[j] = True
            pairs.append([i, j])
    rest = [i for i in range(n) if not taken[i]]
    rng.shuffle(rest)
    for start in range(0, len(rest), _LEFTOVER_BLOCK):
        chunk = rest[start : start + _LEFTOVER_BLOCK]
        ranked = sorted(((score(i, j), rng.random(), i, j) for i, j in combinations(chunk, 2)), reverse=True)
        for _, _, i, j in ranked:
            if not (taken[i] or taken[j]):
                taken[i] = taken[j] = True
                pairs.append([i, j])
    return pairs


def improve(groups: list[list[int]], movable: list[bool], nbrs, score: Callable[[int, int], float], only=None) -> None:
    """Swap members between groups while a swap raises the total score.

    For each candidate partner b of a in another group, try swapping ``a`` with
    another member ``y`` of b's group; for pairs this is the 2-opt move
    (a, x), (b, y) -> (a, b), (x, y). Group sizes and unmovable hosts stay put.
    Only members of changed groups are searched again. With ``only`` (one of
    ``groups``), just the swaps touching that group are tried.
    """
    n = len(movable)
    where = [0] * n
    for g, group in enumerate(groups):
        for m in group:
            where[m] = g
    queue = deque(m for m in range(n) if movable[m])
    queued = movable[:]
    budget = _MAX_PASSES * n
    while queue and budget:
        budget -= 1
        a = queue.popleft()
        queued[a] = False
        ga = where[a]
        group_a = groups[ga]
        a_rest = [w for w in group_a if w != a]
        a_now = sum(score(a, w) for w in a_rest)
        for b in nbrs[a][:_SWAP_NEIGHBOURS]:
            gb = where[b]
            group_b = groups[gb]
            if gb == ga or (only is not None and group_a is not only and group_b is not only):
                continue
            swapped = None
            for y in group_b:
                if y == b or not movable[y]:
                    continue
                b_rest = [u for u in group_b if u != y]
                delta = sum(score(a, u) - score(y, u) for u in b_rest)
                delta += sum(score(y, w) for w in a_rest) - a_now
                if delta > _EPS:
                    swapped = y
                    break
            if swapped is not None:
                group_a[group_a.index(a)] = swapped
                group_b[group_b.index(swapped)] = a
                where[a], where[swapped] = gb, ga
                for m in (*group_a, *group_b):
                    if movable[m] and not queued[m]:
                        queued[m] = True
                        queue.append(m)
                break


def _gain(m: int, group: list[int], score: Callable[[int, int], float]) -> float:
    return sum(score(m, x) for x in group)


def join_best(extras: list[int], groups: list[list[int]], score: Callable[[int, int], float], size_cap: int) -> None:
    """Put each extra member into the group (below ``size_cap``) they add most to."""
    for m in extras:
        open_groups = [g for g in groups if len(g) < size_cap]
        max(open_groups, key=lambda g: _gain(m, g, score)).append(m)


def fill(groups, free: list[int], extras: list[int], nbrs, score: Callable[[int, int], float], rng) -> list[int]:
    """Assign extras to groups with free slots (``free[g]`` each), best gain first.

    Returns:
        The extras left over once every slot is full.
    """
    where = {m: g for g, group in enumerate(groups) for m in group}
    options = []
    for m in extras:
        for g in sorted({where[b] for b in nbrs[m] if b in where}):
            options.append((_gain(m, groups[g], score), rng.random(), m, g))
    placed: set[int] = set()
    for _, _, m, g in sorted(options, reverse=True):
        if m not in placed and free[g] > 0:
            groups[g].append(m)
            free[g] -= 1
            placed.add(m)
    left = [m for m in extras if m not in placed]
    slots = [g for g in range(len(groups)) for _ in range(free[g])]
    for m, g in zip(left, slots):
        groups[g].append(m)
    return left[len(slots) :]
