"""How we put a group's reasons into words: the "why you" of an introduction
and a first question to ask each other.

The reasons are structured (see :data:`~bot.flows.pairing.matching.score.Reason`)
so a group reads the same in its introduction and in the facilitator's
preview.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from bot.flows.pairing.matching.score import Group

__all__ = ["explain", "suggest_first_question"]


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
        return "Host: what would you like your visitors to look at, and what question should they help you answer?"
    for reason in group.reasons:
        if reason[0] == "offers":
            return f"What made {reason[3]} work where you are, what would you watch out for, and who else should we talk to?"
    for reason in group.reasons:
        if reason[0] == "shared_interest":
            return f"What have you each tried on {reason[1]} so far, and what happened?"
    return "What are you working on at the moment that you'd like a fresh pair of eyes on?"
