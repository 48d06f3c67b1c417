"""Pair scores and the reasons behind them.

Two-way learning needs a balance of similarity and diversity, so a pair scores
for reciprocity (each offers what the other wants), for crossing organisations
and for a shared learning interest, and loses heavily for meeting again too
soon. ``pair_score`` is the readable rule with its reasons; ``scorer`` is its
fast numeric twin for the search in :mod:`bot.flows.pairing.matching.search`. The
reasons are kept structured so :mod:`bot.flows.pairing.matching.words` can
turn them into the words of an introduction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from bot.flows.pairing.matching.tags import org_key

__all__ = ["Candidate", "Group", "Reason", "Weights", "pair_score", "recent_pairs", "scorer"]

#: A structured reason, first item the kind:
#: ``("reciprocal", a, b)`` a and b each offer something the other wants;
#: ``("offers", giver, receiver, tag)``; ``("shared_interest", tag, who)`` with
#: ``who`` the members wanting ``tag``; ``("cross_organisation",)``;
#: ``("repeat", a, b, rounds_ago)``.
Reason = tuple


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
    org_a, org_b = org_key(a.organisation), org_key(b.organisation)
    if org_a and org_b and org_a != org_b:
        score += weights.cross_organisation
        reasons.append(("cross_organisation",))
    ago = (recent or {}).get(frozenset((a.member_id, b.member_id)))
    cost = _repeat_cost(ago, weights, repeat_window)
    if cost:
        score -= cost
        reasons.append(("repeat", lo.member_id, hi.member_id, ago))
    return score, tuple(reasons)


def scorer(members, weights: Weights, recent, repeat_window: int) -> Callable[[int, int], float]:
    """Build a fast numeric twin of ``pair_score`` over member indices.

    Tags become bits and organisations small ints, so a score costs a few
    integer operations; this is what makes 10,000-member rounds affordable.
    """
    tags = sorted({t for c in members for t in c.wants | c.offers})
    bit = {t: 1 << k for k, t in enumerate(tags)}
    wants = [sum(bit[t] for t in c.wants) for c in members]
    offers = [sum(bit[t] for t in c.offers) for c in members]
    org_ids: dict[str, int] = {}
    org = [org_ids.setdefault(k, len(org_ids) + 1) if k else 0 for k in map(org_key, (c.organisation for c in members))]
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
