"""The words of the pairing flow: introductions, follow-ups and previews.

Pure functions of a group and the members' names, so the flow, the
facilitator's preview and the tests read the same text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core import markup
from bot.core.members import mention
from bot.flows.pairing.matching import Group, explain, suggest_first_question
from bot.store.models import Member

__all__ = ["describe_member", "intro_text", "join_names", "names_of", "followup_text", "as_group"]


def join_names(names: Sequence[str]) -> str:
    names = list(names)
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def names_of(members: Mapping[int, Member]) -> dict[int, str]:
    """Member id -> display name, protected from markup (for ``matching.explain``)."""
    return {mid: markup.literal(m.display_name or "a member") for mid, m in members.items()}


def describe_member(member: Member) -> str:
    """ "Anna (@anna, Riverside Council)": how the others can find them; the
    name is a mention that reaches them even without a @username."""
    extra = []
    if member.username:
        extra.append("@" + markup.literal(member.username.lstrip("@")))
    if member.organisation:
        extra.append(markup.literal(member.organisation))
    name = mention(member)
    return f"{name} ({', '.join(extra)})" if extra else name


def intro_text(group: Group, members: Mapping[int, Member], *, number: int, joined: int | None = None) -> str:
    """The introduction one group receives (a group DM on Slack, one each on Telegram).

    ``joined``: a member added by a re-match, greeted by name.
    """
    members = {m: members[m] for m in group.members if m in members}  # the round's members may be thousands
    names = names_of(members)
    people = [describe_member(members[m]) for m in group.members if m in members]
    lines: list[str] = []
    if joined is not None and joined in members:
        lines.append(f"*{names[joined]} joins you* for round {number}: their partner couldn't be reached.")
    if group.host is not None:
        visitors = [describe_member(members[m]) for m in group.members if m != group.host and m in members]
        lines.append(f"*Visit, round {number}*: {describe_member(members[group.host])} hosts a visit from {join_names(visitors)}.")
    else:
        kind = "pair" if len(group.members) == 2 else "trio"
        lines.append(f"*Learning {kind}, round {number}*: {join_names(people)}, you're matched this round.")
    lines.append(f"*Why you*: {explain(group, names)}")
    if group.host is not None:
        lines.append(
            f"*Host, over to you*: {names.get(group.host, 'the host')}, please set the focus of the visit: "
            "what should your visitors look at, and what question should they help you answer? "
            "The host role rotates, so next time it may be your turn to visit."
        )
    else:
        lines.append(f"*A first question*: {suggest_first_question(group)}")
    lines.append("Find a time that suits you all. Before the next round I'll ask whether you met.")
    return "\n".join(lines)


def followup_text(number: int, others: Sequence[Member]) -> str:
    who = join_names([markup.literal(o.display_name or "a member") for o in others]) or "your group"
    return f"*Learning pairs, round {number}*: did you meet {who}?"


def as_group(members: Sequence[int], host: int | None, score: float, reasons: Sequence) -> Group:
    """Rebuild a ``Group`` from stored JSON (lists back into tuples)."""
    fixed = tuple(tuple(tuple(x) if isinstance(x, list) else x for x in r) for r in reasons or ())
    return Group(members=tuple(sorted(members)), host=host, score=score, reasons=fixed)
