"""After the introductions: "Did you meet?", what was learned, and re-matching.

A few days before the next round each member of a group is asked whether
they met (Yes / Not yet / We won't). "Yes" asks for one optional line on
what they learned; the answers feed the digest. A member whose partner
cannot be reached asks for a re-match, and is paired with someone not yet
matched this round or added to a group.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from bot.core import markup
from bot.core.context import Context
from bot.core.dates.zone import zone
from bot.core.errors import UserError
from bot.core.followups import VISIT_DONE
from bot.core.messages import Address, Choice, Outgoing
from bot.core.numbers import parse_id
from bot.core.router import Router
from bot.flows.pairing.matching import Group, pair_score
from bot.flows.pairing.rounds import (
    FOLLOWUP_KIND,
    KIND,
    REMATCH,
    SNOOZE,
    candidate_of,
    exclusion_reason,
    flow_settings,
    intro_outgoing,
    next_round,
    pairing_flow,
    recent_and_excluded,
    weights_of,
)
from bot.flows.pairing.text import as_group, followup_text, join_names
from bot.store.models import Flow, Member
from bot.store.pairing import MetStatus, PairGroup, PairingRound, PairMember, answer_met, latest_round

__all__ = ["register", "rematch"]

logger = logging.getLogger(__name__)

OWNER = "pairing"
ANSWER = "pairing.answer"
SKIP_LEARNED = "pairing.skip_learned"
SHARE_LEARNED = "pairing.share_learned"
LEARNED_MAX = 500
ANSWERS = {
    MetStatus.MET.value: "Yes",
    MetStatus.NOT_YET.value: "Not yet",
    MetStatus.WONT.value: "We won't",
}


# -- the follow-up ------------------------------------------------------------------------


def _choices(row_id: int, group_id: int) -> tuple[Choice, ...]:
    return (
        Choice("Yes", ANSWER, f"{row_id}:met", style="primary"),
        Choice("Not yet", ANSWER, f"{row_id}:not_yet"),
        Choice("We won't", ANSWER, f"{row_id}:wont"),
        Choice("My partner is unreachable", REMATCH, str(group_id)),
    )


def run_followups(ctx: Context) -> None:
    """Hourly: ask every member of each round whose follow-up is due (once per round)."""
    rounds = ctx.session.exec(
        select(PairingRound).where(
            PairingRound.network_id == ctx.network.id,
            PairingRound.followup_sent == False,  # noqa: E712
            col(PairingRound.followup_at) <= ctx.now,
        )
    ).all()
    for rnd in rounds:
        rows = ctx.session.exec(select(PairMember).where(PairMember.round_id == rnd.id)).all()
        ids = {r.member_id for r in rows}
        members = {m.id: m for m in ctx.session.exec(select(Member).where(col(Member.id).in_(ids)))} if ids else {}
        by_group: dict[int, list[PairMember]] = {}
        for r in rows:
            if r.met != MetStatus.REMATCHED.value:
                by_group.setdefault(r.group_id, []).append(r)
        items = []
        for r in rows:
            m = members.get(r.member_id)
            if r.met != MetStatus.PENDING.value or m is None or m.unreachable or m.has_opted_out(KIND):
                continue
            others = [members[o.member_id] for o in by_group.get(r.group_id, []) if o.member_id != m.id]
            items.append((
                f"pairing:followup:{rnd.id}:{m.id}",
                Outgoing(text=followup_text(rnd.number, others), to=Address.member(m.id), choices=_choices(r.id, r.group_id)),
            ))  # fmt: skip
        ctx.send_unprompted(items, keys=(KIND,))  # "did you meet?" keeps each member's quiet hours
        rnd.followup_sent = True
        ctx.session.add(rnd)
        logger.info("pairing round %s: follow-up to %s members", rnd.id, len(items))


def group_status(rows: list[PairMember]) -> str:
    """A group met when anyone says so; "won't" only when everyone who answered says so."""
    said = {r.met for r in rows if r.met != MetStatus.REMATCHED.value}
    for status in (MetStatus.MET, MetStatus.NOT_YET, MetStatus.WONT):
        if status.value in said:
            return status.value
    return MetStatus.PENDING.value


def _own_row(ctx: Context, row_id: str) -> PairMember:
    row = ctx.session.get(PairMember, n) if (n := parse_id(row_id)) else None
    if row is None or row.member_id != ctx.member.id:
        raise UserError("That question was about a pairing round you're not in any more.")
    return row


def _answer(ctx: Context) -> None:
    row_id, _, status = ctx.incoming.value.partition(":")
    if status not in ANSWERS:
        raise UserError("That button no longer does anything.")
    row = _own_row(ctx, row_id)
    if row.met == MetStatus.REMATCHED.value:
        raise UserError("You've been re-matched since; I'll ask about your new group instead.")
    answer_met(ctx.session, row, status, ctx.now)
    ctx.session.flush()
    ctx.edit_choice_message(f"{ctx.incoming.message_text or ''}\n✓ {ANSWERS[status]}".strip())
    group = ctx.session.get(PairGroup, row.group_id)
    group.status = group_status(list(ctx.session.exec(select(PairMember).where(PairMember.group_id == group.id))))
    ctx.session.add(group)
    if status == MetStatus.MET.value:
        ctx.start_conversation(OWNER, {"row": row.id})
        ctx.reply(
            "Glad you met! In one line: what did you learn? (Optional: reply here, or press Skip.)",
            choices=[Choice("Skip", SKIP_LEARNED, str(row.id))],
        )
        rnd = ctx.session.get(PairingRound, row.round_id)
        if rnd is not None and rnd.mode == "visit_trios":  # an after-visit reflection, where one is set up, follows
            ctx.emit(VISIT_DONE, group_id=group.id)
    elif status == MetStatus.NOT_YET.value:
        ctx.reply("Thanks. There's still time before the next round; a short call counts.")
    else:
        ctx.reply("Thanks for letting me know. You'll meet someone new next round.")


def _learned(ctx: Context) -> None:
    conv = ctx.conversation()
    text = ctx.incoming.text.strip()
    ctx.end_conversation()
    row = ctx.session.get(PairMember, int((conv.state if conv else {}).get("row", 0)))
    if row is None or row.member_id != ctx.member.id:
        ctx.reply("That question has closed. Type `/beacon help` to see what you can do.")
        return
    if text.lower() in ("skip", "/skip", "-", "no", "nothing"):
        ctx.reply("No problem. Thanks for meeting!")
        return
    if len(text) > LEARNED_MAX:
        ctx.start_conversation(OWNER, {"row": row.id})
        raise UserError(f"Could you keep it to one line (at most {LEARNED_MAX} characters)? Send it again, or say skip.")
    row.learned, row.learned_shared = text, False
    ctx.session.add(row)
    ctx.reply(
        f"Thanks, noted: _{markup.literal(text)}_\nIt stays between you and your pair unless you say so. Share this with the coordinators?",
        choices=[Choice("Yes, share it", SHARE_LEARNED, f"{row.id}|yes"), Choice("No, keep it private", SHARE_LEARNED, f"{row.id}|no")],
    )


def _share_learned(ctx: Context) -> None:
    """One tap: may the digest by direct message quote what this member learned?"""
    row_id, _, answer = (ctx.incoming.value or "").partition("|")
    number = parse_id(row_id)
    row = ctx.session.get(PairMember, number) if number is not None else None
    if row is None or row.member_id != ctx.member.id or not row.learned:
        raise UserError("That answer is no longer there to share.")
    row.learned_shared = answer == "yes"
    ctx.session.add(row)
    done = "✓ Shared with the coordinators" if row.learned_shared else "✓ Kept private"
    ctx.edit_choice_message(f"{ctx.incoming.message_text or ''}\n{done}".strip())
    ctx.reply("Thanks: the coordinators' digest may quote it (never a channel's)." if row.learned_shared else "Kept between you and your pair.")


def _skip_learned(ctx: Context) -> None:
    conv = ctx.conversation()
    if conv is not None and conv.owner == OWNER:
        ctx.end_conversation()
    ctx.reply("No problem. Thanks for meeting!")


# -- re-match -----------------------------------------------------------------------------


def _merged(members: list[int], host: int | None, rows: list[tuple], score: float) -> Group:
    seen: list = []
    for r in rows:
        if r not in seen:
            seen.append(r)
    return Group(members=tuple(sorted(members)), host=host, score=score, reasons=tuple(seen))


def rematch(ctx: Context, group_id: int | None = None) -> None:
    """Move the member out of their group, into a new pair or another group this round."""
    flow = pairing_flow(ctx.session, ctx.network.id)
    rnd = latest_round(ctx.session, flow.id) if flow else None
    if rnd is None:
        raise UserError("No pairing round has run yet, so there is nobody to re-match you with.")
    mine = ctx.session.exec(select(PairMember).where(PairMember.round_id == rnd.id, PairMember.member_id == ctx.member.id)).all()
    if any(r.met == MetStatus.REMATCHED.value for r in mine):
        raise UserError("You've already been re-matched this round. If that didn't work either, tell your facilitator.")
    row = next(iter(mine), None)
    if row is None:
        raise UserError(f"You're not in round {rnd.number}'s pairs. You'll be included in the next round if you're available.")
    if group_id is not None and row.group_id != group_id:
        raise UserError("That introduction is from an earlier round; re-matching only works for the current one.")
    settings = flow_settings(flow)
    window, weights = int(settings["repeat_window"]), weights_of(settings)
    rows = ctx.session.exec(select(PairMember).where(PairMember.round_id == rnd.id)).all()
    live: dict[int, list[int]] = {}
    for r in rows:
        if r.met != MetStatus.REMATCHED.value:
            live.setdefault(r.group_id, []).append(r.member_id)
    old = {r.member_id for r in rows if r.group_id == row.group_id}  # incl. anyone who already left it
    recent = recent_and_excluded(ctx.session, ctx.network.id, flow, window)
    me = candidate_of(ctx.member)
    today = ctx.now.astimezone(zone(ctx.network.timezone)).date()
    taken = {m for ids in live.values() for m in ids}
    free = [
        m
        for m in ctx.session.exec(select(Member).where(Member.network_id == ctx.network.id).order_by(Member.id))
        if m.id not in taken and exclusion_reason(m, now=ctx.now, today=today, platform=ctx.platform, in_last_round=False) is None
    ]

    def score(other: Member) -> tuple[float, tuple]:
        return pair_score(me, candidate_of(other), weights, recent, window)

    row.met, row.answered_at = MetStatus.REMATCHED.value, ctx.now
    ctx.session.add(row)
    if free:
        partner = max(free, key=lambda m: (score(m)[0], -m.id))
        s, why = score(partner)
        group = _merged([ctx.member.id, partner.id], None, list(why), s)
        target = PairGroup(round_id=rnd.id, host_id=None, score=s, reasons=[list(r) for r in why], created_at=ctx.now)
        ctx.session.add(target)
        ctx.session.flush()
        ctx.session.add_all([PairMember(group_id=target.id, round_id=rnd.id, member_id=m) for m in group.members])
        joined = None
    else:
        cap = 4 if rnd.mode == "visit_trios" else 3
        options = [(gid, ids) for gid, ids in live.items() if gid != row.group_id and len(ids) < cap and not (old & set(ids))]
        if not options:
            raise UserError("Everyone else is already matched this round, so I can't re-match you now. "
                            "You'll be first in line next round.")  # fmt: skip
        people = {m.id: m for m in ctx.session.exec(select(Member).where(col(Member.id).in_(taken)))}

        def fit(option) -> tuple[float, int]:
            gid, ids = option
            return sum(score(people[i])[0] for i in ids if i in people), -len(ids), -gid

        gid, ids = max(options, key=fit)
        target = ctx.session.get(PairGroup, gid)
        extra = [r for i in ids if i in people for r in score(people[i])[1]]
        group = _merged([*ids, ctx.member.id], target.host_id, [*as_group(ids, target.host_id, 0, target.reasons).reasons, *extra],
                        target.score + sum(score(people[i])[0] for i in ids if i in people))  # fmt: skip
        target.score, target.reasons = group.score, [list(r) for r in group.reasons]
        ctx.session.add(target)
        ctx.session.add(PairMember(group_id=gid, round_id=rnd.id, member_id=ctx.member.id))
        joined = ctx.member.id
    ctx.session.flush()
    members = {m.id: m for m in ctx.session.exec(select(Member).where(col(Member.id).in_(group.members)))}
    ctx.send(intro_outgoing(group, members, number=rnd.number, group_id=target.id, joined=joined),
             key=f"pairing:rematch:{rnd.id}:{ctx.member.id}")  # fmt: skip
    for other in sorted(set(live.get(row.group_id, [])) - {ctx.member.id}):
        ctx.dm(other, f"{markup.literal(ctx.member.display_name)} has been re-matched for round {rnd.number}. "
               "If you'd like a new match too, press the button or type `/beacon pairing rematch`.",
               choices=[Choice("Re-match me", REMATCH, str(row.group_id))], key=f"pairing:left:{rnd.id}:{ctx.member.id}:{other}")  # fmt: skip
    if ctx.incoming is not None and ctx.incoming.kind == "command":
        names = join_names([markup.literal(members[m].display_name) for m in group.members if m != ctx.member.id])
        ctx.reply(f"Done: you're now matched with {names}. I've sent you all an introduction.")
    logger.info("member %s re-matched in round %s", ctx.member.id, rnd.id)


def _rematch_command(ctx: Context) -> None:
    if ctx.args:
        raise UserError("`/beacon pairing rematch` takes no arguments.")
    rematch(ctx)


def _rematch_pressed(ctx: Context) -> None:
    value = ctx.incoming.value
    rematch(ctx, parse_id(value))


def _snooze(ctx: Context) -> None:
    """ "Skip next round" on an introduction: a pairing-only pause until the day after the next round."""
    number = parse_id(ctx.incoming.value)
    group = ctx.session.get(PairGroup, number) if number is not None else None
    rnd = ctx.session.get(PairingRound, group.round_id) if group is not None else None
    flow = ctx.session.get(Flow, rnd.flow_id) if rnd is not None else pairing_flow(ctx.session, ctx.network.id)
    if flow is None:
        raise UserError("There is no pairing in this network any more.")
    nxt = next_round(flow, ctx.network, ctx.now).astimezone(ctx.tz_of())
    ctx.member.availability = f"paused:{(nxt.date() + timedelta(days=1)).isoformat()}"
    ctx.session.add(ctx.member)
    ctx.keep_choices()
    ctx.reply(f"You'll sit out the next round ({nxt:%a} {nxt.day} {nxt:%b}) and be paired again after it. "
              "`/beacon profile set availability every` takes it back.")  # fmt: skip


def register(router: Router) -> None:
    router.schedule(FOLLOWUP_KIND, run_followups)
    router.action(SNOOZE, _snooze)
    router.action(ANSWER, _answer)
    router.action(SKIP_LEARNED, _skip_learned)
    router.action(SHARE_LEARNED, _share_learned)
    router.action(REMATCH, _rematch_pressed)
    router.conversation(OWNER, _learned)
    router.command(
        "pairing rematch",
        _rematch_command,
        help="Your partner can't be reached? Get matched with someone else this round",
        example="/beacon pairing rematch",
    )
