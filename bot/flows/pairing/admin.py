"""``/beacon pairing …``: facilitators set the pairing rhythm and mode, preview
a round, run one now and read the history.

Every change is audited with its before and after, so ``/beacon undo`` can
take it back; ``preview`` stores and sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import fields
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.core import markup
from bot.core.availability import held_back
from bot.core.confirm import confirm_choices, confirmed
from bot.core.context import Context
from bot.core.dates.zone import zone
from bot.core.errors import UsageError, UserError
from bot.core.home import item
from bot.core.members import find_member
from bot.core.messages import Choice, HomeSection
from bot.core.numbers import parse_number
from bot.core.router import Router
from bot.flows.pairing.matching import Weights, explain
from bot.flows.pairing.rounds import KIND, ensure_flow, flow_settings, followup_due, next_round, pairing_flow, plan_round, run_round
from bot.flows.pairing.text import join_names, names_of
from bot.scheduling.parse import parse_facilitator_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.models import AuditEntry, Flow, Member, Role
from bot.store.pairing import MetStatus, PairExclude, PairGroup, PairingRound, PairMember, latest_round

__all__ = ["register"]

logger = logging.getLogger(__name__)

MODES = {"pairs": "pairs", "pair": "pairs", "visit_trios": "visit_trios", "visits": "visit_trios",
         "visit": "visit_trios", "trios": "visit_trios", "visit-trios": "visit_trios"}  # fmt: skip
WEIGHT_NAMES = tuple(f.name for f in fields(Weights))
PREVIEW_GROUPS = 25
HISTORY_ROUNDS = 6
RUN_NOW = "pairing.run_now"  # the confirm button of run-now; value "<round number>|<minute asked>" or "cancel"


def _snapshot(flow: Flow) -> dict[str, Any]:
    return {"name": flow.name, "schedule": flow.schedule, "enabled": flow.enabled, "settings": dict(flow.settings or {})}


def _change(ctx: Context, flow: Flow, action: str, before: dict[str, Any]) -> None:
    flow.updated_at = ctx.now
    ctx.session.add(flow)
    ctx.session.flush()
    ctx.audit(f"pairing.{action}", f"flow:{flow.id}", before=before, after=_snapshot(flow))
    logger.info("pairing flow %s: %s by member %s", flow.id, action, ctx.member.id)


def _set(flow: Flow, **changes: Any) -> None:
    flow.settings = {**(flow.settings or {}), **changes}


def _when(ctx: Context, moment) -> str:
    return moment.astimezone(zone(ctx.network.timezone)).strftime("%a %d %b %Y %H:%M")


# -- rhythm and mode ------------------------------------------------------------------------


def schedule_command(ctx: Context) -> None:
    flow = ensure_flow(ctx)
    text = ctx.arg_text.strip()
    if not text:
        now = f"`{flow.schedule}`" if flow.schedule else "not scheduled (rounds run only with `run-now`)"
        raise UsageError(f"Say when rounds run. Pairing is currently {now}.")
    before = _snapshot(flow)
    if text.lower() in ("off", "none", "stop"):
        flow.schedule = None
        _change(ctx, flow, "schedule", before)
        ctx.reply("Pairing rounds are off the schedule now. `/beacon pairing run-now` still runs one.")
        return
    try:
        schedule = parse_facilitator_schedule(text)
    except ScheduleError as exc:
        raise UsageError(str(exc)) from None
    flow.schedule, flow.enabled = schedule.text, True
    flow.checked_until = max(flow.checked_until or ctx.now, ctx.now)  # no catch-up burst of old rounds
    _change(ctx, flow, "schedule", before)
    nxt = schedule.next_after(ctx.now, ctx.network.timezone)
    extra = ""
    if nxt is not None:
        extra = (f" The next round is on {_when(ctx, nxt)} ({ctx.network.timezone}); members are asked whether they met "
                 f"about {flow_settings(flow)['followup_days_before_next']} days before each next round.")  # fmt: skip
        extra += _quiet_warning(ctx, nxt)
    ctx.reply(f"Pairing rounds run {schedule.describe()}.{extra}")


def _quiet_warning(ctx: Context, nxt) -> str:
    """How many who may be paired are in their quiet time when the round runs (their introductions wait)."""
    members = [m for m in ctx.members() if KIND not in (m.opted_out or [])]
    n, when = held_back(members, ctx.network, lambda _tz: nxt)
    if not n:
        return ""
    return (
        f"\n⚠ {n} of {markup.count(len(members), 'member')} are in their quiet hours or weekend then: "
        f"an introduction waits until everyone in its group may be messaged (most on {when}, their time)."
    )


def mode_command(ctx: Context) -> None:
    if len(ctx.args) != 1 or ctx.args[0].lower() not in MODES:
        raise UsageError("Say `pairs` (learning pairs) or `visit_trios` (one host, two visitors).")
    flow = ensure_flow(ctx)
    before = _snapshot(flow)
    mode = MODES[ctx.args[0].lower()]
    _set(flow, mode=mode)
    _change(ctx, flow, "mode", before)
    if mode == "visit_trios":
        ctx.reply("Rounds now make visit trios: one host and two visitors; the host role rotates over rounds.")
    else:
        size = flow_settings(flow)["group_size"]
        ctx.reply(f"Rounds now make learning {'pairs' if size == 2 else 'trios'}.")


def size_command(ctx: Context) -> None:
    if len(ctx.args) != 1 or ctx.args[0] not in ("2", "3"):
        raise UsageError("Say 2 (pairs; an odd member out makes one trio) or 3 (trios).")
    flow = ensure_flow(ctx)
    before = _snapshot(flow)
    _set(flow, group_size=int(ctx.args[0]))
    _change(ctx, flow, "size", before)
    note = " (visit trios are always three; this applies in `pairs` mode)" if flow_settings(flow)["mode"] == "visit_trios" else ""
    ctx.reply(f"Learning groups are now of {ctx.args[0]}{note}.")


def weights_command(ctx: Context) -> None:
    flow = ensure_flow(ctx)
    current = {**{n: getattr(Weights(), n) for n in WEIGHT_NAMES}, **flow_settings(flow)["weights"]}
    if not ctx.args:
        shown = ", ".join(f"{k}={v:g}" for k, v in current.items())
        ctx.reply(f"Pairing weights: {shown}. Change one with `/beacon pairing weights reciprocal=4`, "
                  "or `/beacon pairing weights reset`.")  # fmt: skip
        return
    before = _snapshot(flow)
    if [a.lower() for a in ctx.args] == ["reset"]:
        _set(flow, weights={})
        _change(ctx, flow, "weights", before)
        ctx.reply("Pairing weights are back to the defaults.")
        return
    changes: dict[str, float] = {}
    for arg in ctx.args:
        name, eq, value = arg.partition("=")
        name = name.strip().lower()
        if not eq or name not in WEIGHT_NAMES:
            raise UsageError(f"`{markup.literal(arg)}` is not a weight; use name=value with one of {', '.join(WEIGHT_NAMES)}.")
        try:
            number = float(value)
        except ValueError:
            raise UsageError(f"`{markup.literal(value)}` is not a number for {name}.") from None
        if not 0 <= number <= 1000:
            raise UsageError(f"{name} must be between 0 and 1000.")
        changes[name] = number
    merged = {**current, **changes}
    if merged["reciprocal"] <= merged["one_way"]:
        raise UsageError("reciprocal must stay above one_way, so two-way learning wins over one-way.")
    _set(flow, weights={**flow_settings(flow)["weights"], **changes})
    _change(ctx, flow, "weights", before)
    ctx.reply("Pairing weights now: " + ", ".join(f"{k}={v:g}" for k, v in merged.items()) + ".")


# -- excludes --------------------------------------------------------------------------------


def _exclude_row(ctx: Context, a: Member, b: Member) -> PairExclude | None:
    lo, hi = sorted((a.id, b.id))
    return ctx.session.exec(
        select(PairExclude).where(PairExclude.network_id == ctx.network.id, PairExclude.member_a == lo, PairExclude.member_b == hi)
    ).first()


def exclude_command(ctx: Context) -> None:
    args = list(ctx.args)
    remove = bool(args) and args[0].lower() in ("remove", "undo", "delete")
    args = args[1:] if remove else args
    if not args:
        rows = ctx.session.exec(select(PairExclude).where(PairExclude.network_id == ctx.network.id)).all()
        if not rows:
            ctx.reply("No pairs are excluded. Add one: `/beacon pairing exclude @sam @alex`.")
            return
        people = {m.id: m for m in ctx.members(include_unreachable=True)}
        lines = [f"• {markup.literal(people[r.member_a].display_name)} and {markup.literal(people[r.member_b].display_name)}"
                 for r in rows if r.member_a in people and r.member_b in people]  # fmt: skip
        ctx.reply("*Never paired together*\n" + "\n".join(lines))
        return
    if len(args) != 2:
        raise UsageError("Name exactly two members.")
    a, b = find_member(ctx, args[0]), find_member(ctx, args[1])
    if a.id == b.id:
        raise UsageError("Name two different members.")
    names = f"{markup.literal(a.display_name)} and {markup.literal(b.display_name)}"
    row = _exclude_row(ctx, a, b)
    pair = {"member_a": min(a.id, b.id), "member_b": max(a.id, b.id)}
    if remove:
        if row is None:
            raise UserError(f"{names} are not excluded.")
        ctx.session.delete(row)
        ctx.audit("pairing.exclude.remove", "pairing", before=pair, after=None)
        ctx.reply(f"{names} can be paired again.")
        return
    if row is not None:
        ctx.reply(f"{names} are already never paired together.")
        return
    ctx.session.add(PairExclude(network_id=ctx.network.id, created_at=ctx.now, **pair))
    ctx.audit("pairing.exclude", "pairing", before=None, after=pair)
    ctx.reply(f"{names} will not be paired together. `/beacon undo` takes this back.")


def undo_exclude(ctx: Context, entry: AuditEntry) -> str:
    pair = entry.after if entry.action == "pairing.exclude" else entry.before
    if not pair:
        raise UserError("That change can't be undone.")
    row = ctx.session.exec(
        select(PairExclude).where(
            PairExclude.network_id == ctx.network.id, PairExclude.member_a == pair["member_a"], PairExclude.member_b == pair["member_b"]
        )  # fmt: skip
    ).first()
    if entry.action == "pairing.exclude":
        if row is not None:
            ctx.session.delete(row)
        return "the two members can be paired again"
    if row is None:
        ctx.session.add(PairExclude(network_id=ctx.network.id, created_at=ctx.now, **pair))
    return "the two members are excluded from pairing together again"


# -- preview, run, history ----------------------------------------------------------------------


def preview_command(ctx: Context) -> None:
    flow = ensure_flow(ctx)
    plan = plan_round(ctx.session, ctx.network, flow, now=ctx.now)
    if not plan.groups:
        ctx.reply(f"Round {plan.number} would make no groups: {len(plan.members)} member(s) available.")
        return
    names = names_of(plan.members)
    total = sum(g.score for g in plan.groups)
    head = (f"*Preview of round {plan.number}* ({plan.mode.replace('_', ' ')}): {markup.count(len(plan.groups), 'group')} from "
            f"{markup.count(len(plan.members), 'member')}, total score {total:.1f}. Nothing is sent or stored.")  # fmt: skip
    if plan.excluded:
        head += "\nSitting out: " + ", ".join(f"{n} {why}" for why, n in sorted(plan.excluded.items()))
    lines = [head]
    for g in plan.groups[:PREVIEW_GROUPS]:
        who = join_names([names[m] + (" (host)" if m == g.host else "") for m in g.members])
        lines.append(f"• {who}, score {g.score:.1f}: {explain(g, names)}")
    if len(plan.groups) > PREVIEW_GROUPS:
        lines.append(f"…and {len(plan.groups) - PREVIEW_GROUPS} more groups.")
    ctx.reply("\n".join(lines))


def run_now_command(ctx: Context) -> None:
    """Say how many members the round would pair, and run it only when the facilitator presses the button."""
    flow = ensure_flow(ctx)
    number = _next_number(ctx, flow)
    plan = plan_round(ctx.session, ctx.network, flow, now=ctx.now, number=number)
    if not plan.groups:
        raise UserError(f"Round {number} would make no groups: {markup.count(len(plan.members), 'member')} available. Nothing was sent.")
    members = markup.count(sum(len(g.members) for g in plan.groups), "member")
    ctx.reply(
        f"Round {number} would pair {members} into {markup.count(len(plan.groups), 'group')} ({plan.mode.replace('_', ' ')}), "
        f"and each group gets its introduction at once. `/beacon pairing preview` shows who with whom. Run it?",
        choices=confirm_choices(ctx, RUN_NOW, str(number), f"Run round {number}: pair {members}"),
    )


def _next_number(ctx: Context, flow: Flow) -> int:
    """The round run-now would run: the one asked for, or the next (refused while the last one's pairs still meet)."""
    last = latest_round(ctx.session, flow.id)
    if ctx.args:
        number = parse_number(ctx.args[0], low=1) if len(ctx.args) == 1 else None
        if number is None:
            raise UsageError("Give the round number to run, or nothing for the next round.")
        if last is not None and number > last.number + 1:
            raise UsageError(f"The next round is {last.number + 1}; rounds can't be skipped.")
        if (
            last is not None
            and number <= last.number
            and ctx.session.exec(select(PairingRound.id).where(PairingRound.flow_id == flow.id, PairingRound.number == number)).first()
        ):
            raise UserError(f"Round {number} has already run; nothing was sent again. `/beacon pairing history` shows it.")
    else:
        number = last.number + 1 if last else 1
        if last is not None and ctx.now - last.ran_at < followup_due(flow, ctx.network, last.ran_at) - last.ran_at:
            raise UserError(
                f"Round {last.number} ran on {_when(ctx, last.ran_at)} and its members are still meeting. "
                f"To start round {number} anyway: `/beacon pairing run-now {number}`."
            )
    return number


def _run_now_pressed(ctx: Context) -> None:
    press = confirmed(ctx, again="/beacon pairing run-now")
    if press is None:
        return
    flow = ensure_flow(ctx)
    number = parse_number(press.subject, low=1)
    last = latest_round(ctx.session, flow.id)
    if number is None or (last is not None and number > last.number + 1):
        raise UserError("That button no longer does anything. Type `/beacon pairing run-now` to start again.")
    rnd = run_round(ctx, flow, number=number)
    if rnd is None:
        raise UserError(f"Round {number} has already run; nothing was sent again. `/beacon pairing history` shows it.")
    groups = ctx.session.exec(select(func.count()).select_from(PairGroup).where(PairGroup.round_id == rnd.id)).one()
    ctx.audit("pairing.run", f"flow:{flow.id}", before=None, after={"round": rnd.number, "groups": groups})
    ctx.edit_choice_message(f"✓ Round {rnd.number} is done: {markup.count(groups, 'group')} introduced from "
                            f"{markup.count(rnd.candidates, 'member')}. I'll ask whether they met on {_when(ctx, rnd.followup_at)}.")  # fmt: skip


def undo_run(ctx: Context, entry: AuditEntry) -> str:
    raise UserError("A round that has run can't be undone: its introductions have gone out.")


def history_command(ctx: Context) -> None:
    flow = pairing_flow(ctx.session, ctx.network.id)
    rounds = []
    if flow is not None:
        rounds = ctx.session.exec(
            select(PairingRound).where(PairingRound.flow_id == flow.id).order_by(col(PairingRound.number).desc()).limit(HISTORY_ROUNDS)
        ).all()
    if not rounds:
        ctx.reply("No pairing rounds have run yet. `/beacon pairing preview` shows what the first would be.")
        return
    lines = ["*Pairing history* (latest first)"]
    for rnd in rounds:
        rows = ctx.session.exec(select(PairMember).where(PairMember.round_id == rnd.id)).all()
        groups = len({r.group_id for r in rows})
        said = {s: sum(1 for r in rows if r.met == s.value) for s in MetStatus}
        learned = sum(1 for r in rows if r.learned)
        lines.append(
            f"• Round {rnd.number}, {_when(ctx, rnd.ran_at)}: {markup.count(groups, 'group')}, {markup.count(rnd.candidates, 'member')} ({rnd.mode.replace('_', ' ')}); "
            f"met {said[MetStatus.MET]}, not yet {said[MetStatus.NOT_YET]}, won't {said[MetStatus.WONT]}, "
            f"re-matched {said[MetStatus.REMATCHED]}; {learned} learning notes"
        )
    ctx.reply("\n".join(lines))


# -- the facilitator's Home -----------------------------------------------------------------

HOME_PREVIEW = "pairing.home_preview"
HOME_RUN_NOW = "pairing.home_run_now"  # answers with run-now's confirmation


def _home(ctx: Context) -> HomeSection | None:
    """The next round, with its preview and run-now a tap away."""
    flow = pairing_flow(ctx.session, ctx.network.id)
    if flow is None:
        return None
    last = latest_round(ctx.session, flow.id)
    if flow.enabled and flow.schedule:
        nxt = next_round(flow, ctx.network, ctx.now).astimezone(ctx.tz_of())
        when = f"Next round: {nxt:%a} {nxt.day} {nxt:%b %H:%M} (your time)."
    else:
        when = "No round scheduled (`/beacon pairing schedule`)."
    done = f" Last: round {last.number}, {_when(ctx, last.ran_at)}." if last else ""
    return HomeSection(
        name="pairing.rounds",
        title="Pairing rounds",
        items=(item(f"{when}{done}", Choice("Preview", HOME_PREVIEW), Choice("Run now…", HOME_RUN_NOW)),),
    )


def _facilitator_pressed(ctx: Context) -> None:
    if not ctx.may(Role.FACILITATOR):
        raise UserError("Only facilitators can do that.")
    ctx.keep_choices()
    ctx.args = []


def _home_preview(ctx: Context) -> None:
    _facilitator_pressed(ctx)
    preview_command(ctx)


def _home_run_now(ctx: Context) -> None:
    _facilitator_pressed(ctx)
    run_now_command(ctx)


def register(router: Router) -> None:
    router.home_section("pairing.rounds", _home, order=220, role=Role.FACILITATOR)
    router.action(HOME_PREVIEW, _home_preview)
    router.action(HOME_RUN_NOW, _home_run_now)
    router.undo("pairing.exclude", undo_exclude)
    router.undo("pairing.run", undo_run)
    facilitator = {"role": Role.FACILITATOR}
    router.command(
        "pairing schedule",
        schedule_command,
        help="Set when pairing rounds run (or `off`)",
        usage="<schedule>|off",
        example='/beacon pairing schedule "every 2 weeks on monday 09:00"',
        **facilitator,
    )
    router.command(
        "pairing mode",
        mode_command,
        help="Learning pairs, or visit trios (one host, two visitors)",
        usage="pairs|visit_trios",
        example="/beacon pairing mode visit_trios",
        **facilitator,
    )
    router.command(
        "pairing size", size_command, help="Groups of 2 (pairs) or 3 (trios)", usage="2|3", example="/beacon pairing size 3", **facilitator
    )
    router.command("pairing weights", weights_command, help="Show or change how matches are scored",
                   usage="[name=value …|reset]", example="/beacon pairing weights reciprocal=4 cross_organisation=2",
                   details=f"Weights: {', '.join(WEIGHT_NAMES)}. Defaults: " + ", ".join(f"{n}={getattr(Weights(), n):g}" for n in WEIGHT_NAMES),
                   **facilitator)  # fmt: skip
    router.command(
        "pairing exclude",
        exclude_command,
        help="Never pair two members (or list, or `remove`)",
        usage="[remove] <member> <member>",
        example="/beacon pairing exclude @sam @alex",
        **facilitator,
    )
    router.command(
        "pairing preview",
        preview_command,
        help="Show the groups the next round would make, with scores",
        example="/beacon pairing preview",
        **facilitator,
    )
    router.command(
        "pairing run-now",
        run_now_command,
        help="Run the next pairing round now, once you confirm",
        usage="[round number]",
        example="/beacon pairing run-now",
        **facilitator,
    )
    router.action(RUN_NOW, _run_now_pressed)
    router.command(
        "pairing history", history_command, help="Past rounds: groups, who met, learning notes", example="/beacon pairing history", **facilitator
    )
