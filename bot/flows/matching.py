"""Pure matching rules for learning pairs and visit trios.

Two-way learning needs a balance of similarity and diversity, so a pair scores
for reciprocity (each offers what the other wants), for crossing organisations
and for a shared learning interest, and loses heavily for meeting again too
soon. The rules are pure (no I/O, no store) so the pairing flow, the tests and
``bench/pairing.py`` all run exactly the same code.

Grouping is a maximum-weight matching. The exact blossom algorithm is far too
slow for large networks, so we score only *candidate* edges (members linked by
a tag, plus a few seeded random ones so everyone has options; the complete graph
for small networks), match greedily by descending score, then improve: pairs by
rotating partners along short alternating cycles, trios by swapping members
between groups. ``bench/pairing.py`` checks speed and closeness to the optimum.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, combinations
from typing import Literal

__all__ = [
    "Candidate",
    "Group",
    "Reason",
    "Weights",
    "explain",
    "form_groups",
    "normalise_tag",
    "pair_score",
    "parse_tags",
    "recent_pairs",
    "suggest_first_question",
]

#: A structured reason, first item the kind:
#: ``("reciprocal", a, b)`` a and b each offer something the other wants;
#: ``("offers", giver, receiver, tag)``; ``("shared_interest", tag, who)`` with
#: ``who`` the members wanting ``tag``; ``("cross_organisation",)``;
#: ``("repeat", a, b, rounds_ago)``.
Reason = tuple

_TAG_SPLIT = re.compile(r"[,;\r\n]+")
_SPACES = re.compile(r"\s+")

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


def normalise_tag(text: str) -> str:
    """Lower-case a tag and collapse its whitespace, so spellings agree."""
    return _SPACES.sub(" ", text).strip().casefold()


def parse_tags(text: str | None) -> frozenset[str]:
    """Split free text on commas, semicolons and newlines into normalised tags."""
    if not text:
        return frozenset()
    return frozenset(t for t in map(normalise_tag, _TAG_SPLIT.split(text)) if t)


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A member who is in this pairing round, with normalised tags."""

    member_id: int
    organisation: str | None = None
    wants: frozenset[str] = frozenset()
    offers: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class Weights:
    """How much each reason counts; reciprocity must outweigh a one-way match.

    ``repeat`` is charged ``repeat_window - rounds_ago + 1`` times, so it stays
    above any positive score and a less recent repeat costs less.
    """

    reciprocal: float = 3.0
    one_way: float = 1.0
    cross_organisation: float = 1.5
    tag_overlap: float = 0.5
    repeat: float = 100.0


@dataclass(frozen=True, kw_only=True)
class Group:
    """A pair, trio (or, for leftovers, a larger visit group) formed in a round.

    Attributes:
        members: Member ids, ascending (the host is among them).
        host: The visit host in ``visit_trios`` mode, else None.
        score: Sum of the pair scores inside the group.
        reasons: Structured reasons (see ``Reason``), for ``explain`` and digests.
    """

    members: tuple[int, ...]
    host: int | None
    score: float
    reasons: tuple[Reason, ...]


def recent_pairs(rounds: Sequence[Sequence[Sequence[int]]]) -> dict[frozenset[int], int]:
    """Build ``recent`` from past rounds' groups, oldest round first.

    Returns:
        Each pair that met -> how many rounds ago they last met (1 = last round).
    """
    recent: dict[frozenset[int], int] = {}
    for ago, groups in zip(range(len(rounds), 0, -1), rounds):
        for group in groups:
            for a, b in combinations(sorted(set(group)), 2):
                recent[frozenset((a, b))] = ago
    return recent


def _org_key(organisation: str | None) -> str | None:
    return normalise_tag(organisation) if organisation and organisation.strip() else None


def _repeat_cost(rounds_ago: int | None, weights: Weights, repeat_window: int) -> float:
    if rounds_ago is None or rounds_ago < 1 or rounds_ago > repeat_window:
        return 0.0
    return weights.repeat * (repeat_window - rounds_ago + 1)


def pair_score(
    a: Candidate,
    b: Candidate,
    weights: Weights = Weights(),
    recent: Mapping[frozenset[int], int] | None = None,
    repeat_window: int = 3,
) -> tuple[float, tuple[Reason, ...]]:
    """Score one pair and say why.

    Returns:
        The score and its reasons; ``form_groups`` sums these over each group.
    """
    lo, hi = (a, b) if a.member_id <= b.member_id else (b, a)
    reasons: list[Reason] = []
    lo_gets, hi_gets = lo.wants & hi.offers, hi.wants & lo.offers
    score = 0.0
    if lo_gets and hi_gets:
        score += weights.reciprocal
        reasons.append(("reciprocal", lo.member_id, hi.member_id))
    elif lo_gets or hi_gets:
        score += weights.one_way
    reasons += [("offers", lo.member_id, hi.member_id, t) for t in sorted(hi_gets)]
    reasons += [("offers", hi.member_id, lo.member_id, t) for t in sorted(lo_gets)]
    shared = sorted(lo.wants & hi.wants)
    score += weights.tag_overlap * len(shared)
    reasons += [("shared_interest", t, (lo.member_id, hi.member_id)) for t in shared]
    org_a, org_b = _org_key(a.organisation), _org_key(b.organisation)
    if org_a and org_b and org_a != org_b:
        score += weights.cross_organisation
        reasons.append(("cross_organisation",))
    ago = (recent or {}).get(frozenset((a.member_id, b.member_id)))
    cost = _repeat_cost(ago, weights, repeat_window)
    if cost:
        score -= cost
        reasons.append(("repeat", lo.member_id, hi.member_id, ago))
    return score, tuple(reasons)


def _scorer(members, weights: Weights, recent, repeat_window: int) -> Callable[[int, int], float]:
    """Build a fast numeric twin of ``pair_score`` over member indices.

    Tags become bits and organisations small ints, so a score costs a few
    integer operations; this is what makes 10,000-member rounds affordable.
    """
    tags = sorted({t for c in members for t in c.wants | c.offers})
    bit = {t: 1 << k for k, t in enumerate(tags)}
    wants = [sum(bit[t] for t in c.wants) for c in members]
    offers = [sum(bit[t] for t in c.offers) for c in members]
    org_ids: dict[str, int] = {}
    org = [org_ids.setdefault(k, len(org_ids) + 1) if k else 0 for k in map(_org_key, (c.organisation for c in members))]
    n = len(members)
    index = {c.member_id: i for i, c in enumerate(members)}
    repeat: dict[int, float] = {}
    for pair, ago in recent.items():
        ids = sorted(index[m] for m in pair if m in index)
        cost = _repeat_cost(ago, weights, repeat_window)
        if len(ids) == 2 and cost:
            repeat[ids[0] * n + ids[1]] = cost
    reciprocal, one_way = weights.reciprocal, weights.one_way
    overlap, cross = weights.tag_overlap, weights.cross_organisation

    def score(i: int, j: int) -> float:
        wi, wj = wants[i], wants[j]
        gets_i, gets_j = wi & offers[j], wj & offers[i]
        s = reciprocal if gets_i and gets_j else one_way if gets_i or gets_j else 0.0
        shared = wi & wj
        if shared:
            s += overlap * shared.bit_count()
        oi, oj = org[i], org[j]
        if oi and oj and oi != oj:
            s += cross
        if repeat:
            s -= repeat.get(i * n + j if i < j else j * n + i, 0.0)
        return s

    return score


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


def _candidate_edges(members, score: Callable[[int, int], float], rng: random.Random) -> list[tuple[int, int]]:
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


def _neighbours(n: int, edges, limit: int) -> list[list[int]]:
    """Each member's best candidate partners, best first (``edges`` is ranked)."""
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for i, j in edges:
        if len(nbrs[i]) < limit:
            nbrs[i].append(j)
        if len(nbrs[j]) < limit:
            nbrs[j].append(i)
    return nbrs


def _rotate_pairs(pairs: list[list[int]], nbrs, score: Callable[[int, int], float], depth: int = _DEPTH) -> None:
    """Improve a matching by rotating partners along short alternating cycles.

    Breaking (a, b), a takes c, c's partner d takes e, ... and the last freed
    member takes b. Like Lin-Kernighan, a chain is followed only while its gain
    so far is positive, which keeps the search small (``depth`` 1 is plain
    2-opt), and only members touched by a change are searched again.
    """
    n = len(nbrs)
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


def _greedy_pairs(n: int, edges, score: Callable[[int, int], float], rng: random.Random) -> list[list[int]]:
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


def _improve(groups: list[list[int]], movable: list[bool], nbrs, score: Callable[[int, int], float], only=None) -> None:
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


def _join_best(extras: list[int], groups: list[list[int]], score: Callable[[int, int], float], size_cap: int) -> None:
    """Put each extra member into the group (below ``size_cap``) they add most to."""
    for m in extras:
        open_groups = [g for g in groups if len(g) < size_cap]
        max(open_groups, key=lambda g: _gain(m, g, score)).append(m)


def _fill(groups, free: list[int], extras: list[int], nbrs, score: Callable[[int, int], float], rng) -> list[int]:
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
    score = _scorer(members, weights, recent or {}, repeat_window)
    edges = _candidate_edges(members, score, rng)
    nbrs = _neighbours(n, edges, _NEIGHBOURS if n <= _COMPLETE_GRAPH_MAX else _NEIGHBOURS_LARGE)
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
        left = _fill(groups, free, visitors, nbrs, score, rng)
        _join_best(left, groups, score, size_cap=4)
        _improve(groups, movable, nbrs, score)
    else:
        pairs = _greedy_pairs(n, edges, score, rng)
        paired = {m for p in pairs for m in p}
        odd = [m for m in range(n) if m not in paired]
        if group_size == 2:
            _rotate_pairs(pairs, nbrs, score, depth=_DEPTH if n > _COMPLETE_GRAPH_MAX else _DEPTH_SMALL)
            _join_best(odd, pairs, score, size_cap=3)
            groups = pairs
            if odd:  # let members swap in and out of the trio
                trio = next(g for g in groups if len(g) == 3)
                _improve(groups, movable, nbrs, score, only=trio)
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
            _fill(groups, [1] * n_groups, extras + odd, nbrs, score, rng)
            _improve(groups, movable, nbrs, score)
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
    if len({_org_key(c.organisation) for c in people} - {None}) > 1:
        reasons.append(("cross_organisation",))
    order = {"reciprocal": 0, "offers": 1, "shared_interest": 2, "cross_organisation": 3, "repeat": 4}
    reasons.sort(key=lambda r: order[r[0]])
    return Group(members=tuple(c.member_id for c in people), host=host, score=total, reasons=tuple(reasons))


def _join(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def explain(group: Group, names: Mapping[int, str]) -> str:
    """Say in plain English why this group was formed, e.g. for the intro message.

    Args:
        group: A group from ``form_groups``.
        names: Member id -> display name; unknown ids read as "member <id>".
    """

    def name(m: int) -> str:
        return names.get(m, f"member {m}")

    parts: list[str] = []
    if group.host is not None:
        visitors = [name(m) for m in group.members if m != group.host]
        parts.append(f"{name(group.host)} hosts {_join(visitors)}")
    shared: dict[tuple[int, ...], list[str]] = defaultdict(list)
    offers: dict[tuple[int, int], list[str]] = defaultdict(list)
    for reason in group.reasons:
        if reason[0] == "shared_interest":
            shared[reason[2]].append(reason[1])
        elif reason[0] == "offers":
            offers[reason[1], reason[2]].append(reason[3])
    for who, tags in shared.items():
        if who == group.members:
            subject = "you both" if len(who) == 2 else "you all"
        else:
            subject = _join([name(m) for m in who]) + (" both" if len(who) == 2 else "")
        parts.append(f"{subject} want to learn about {_join(tags)}")
    for (giver, receiver), tags in offers.items():
        parts.append(f"{name(giver)} offers {_join(tags)}, which {name(receiver)} asked for")
    if ("cross_organisation",) in group.reasons:
        parts.append("you bring views from different organisations")
    for reason in group.reasons:
        if reason[0] == "repeat":
            _, a, b, ago = reason
            when = "last round" if ago == 1 else f"{ago} rounds ago"
            parts.append(f"{name(a)} and {name(b)} met {when}, as no new pairing was possible")
    if len(parts) == (1 if group.host is not None else 0):
        parts.append("a chance to meet someone new in the network")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def suggest_first_question(group: Group) -> str:
    """Offer an opening question so the first conversation starts on learning."""
    if group.host is not None:
        return ("Host: what would you like your visitors to look at, and what question "
                "should they help you answer?")
    for reason in group.reasons:
        if reason[0] == "offers":
            return (f"What made {reason[3]} work where you are, what would you watch out "
                    "for, and who else should we talk to?")
    for reason in group.reasons:
        if reason[0] == "shared_interest":
            return f"What have you each tried on {reason[1]} so far, and what happened?"
    return "What are you working on at the moment that you'd like a fresh pair of eyes on?"
