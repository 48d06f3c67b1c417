"""``/beacon cohort …``: named groups within a network, so flows can target a subset.

A member is in at most one cohort (:attr:`Member.cohort`); removing a cohort
takes its members out of it, and undo puts them back.
"""

from __future__ import annotations

import logging
import re

from sqlmodel import select

from bot.core import markup
from bot.core.audience import targets_cohort
from bot.core.confirm import CANCEL, confirm_choices, confirmed
from bot.core.context import Context
from bot.core.errors import UsageError, UserError
from bot.core.members import find_member, is_forgotten
from bot.core.numbers import parse_id
from bot.core.router import Router
from bot.store.admin import Cohort
from bot.store.models import AuditEntry, Flow, Member, Role

__all__ = ["register", "cohort_add", "cohort_assign", "cohort_list", "cohort_remove", "undo_cohort"]

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[\w][\w .'-]{0,39}$")
NONE_WORDS = {"none", "no", "-"}


def _cohorts(ctx: Context) -> list[Cohort]:
    return list(ctx.session.exec(select(Cohort).where(Cohort.network_id == ctx.network.id).order_by(Cohort.name)))


def _find(ctx: Context, name: str) -> Cohort | None:
    return next((c for c in _cohorts(ctx) if c.name.lower() == name.strip().lower()), None)


def _need(ctx: Context, name: str) -> Cohort:
    cohort = _find(ctx, name)
    if cohort is None:
        known = ", ".join(f"`{markup.literal(c.name)}`" for c in _cohorts(ctx)) or "none yet"
        raise UserError(f"There is no cohort `{markup.literal(name[:40])}` (cohorts: {known}). Add it with `/beacon cohort add NAME`.")
    return cohort


def _in(ctx: Context, cohort_name: str) -> list[Member]:
    return [m for m in ctx.members(include_unreachable=True) if (m.cohort or "").lower() == cohort_name.lower() and not is_forgotten(m)]


def cohort_add(ctx: Context) -> None:
    name = " ".join(ctx.args).strip()
    if not name:
        raise UsageError("Give the new cohort a name.")
    if not _NAME.match(name):
        raise UsageError("A cohort name is up to 40 letters, digits, spaces, - or _, e.g. `wave 2`.")
    if _find(ctx, name) is not None:
        raise UserError(f"There is already a cohort `{markup.literal(name)}`.")
    ctx.session.add(Cohort(network_id=ctx.network.id, name=name, created_at=ctx.now))
    ctx.audit("cohort.add", f"cohort:{name}", before=None, after={"name": name})
    ctx.reply(f"Added the cohort `{markup.literal(name)}`. Put people in it: `/beacon cohort assign @someone {markup.literal(name)}`.")


def cohort_assign(ctx: Context) -> None:
    if len(ctx.args) < 2:
        raise UsageError("Say who, then which cohort (or `none`).")
    target = ctx.args[-1]
    member = find_member(ctx, " ".join(ctx.args[:-1]))
    new = None if target.lower() in NONE_WORDS else _need(ctx, target).name
    old = member.cohort
    name = markup.literal(member.display_name)
    if old == new:
        ctx.reply(f"{name} is already {'in ' + markup.literal(new) if new else 'in no cohort'}.")
        return
    member.cohort = new
    ctx.session.add(member)
    ctx.audit("cohort.assign", f"member:{member.id}", before={"cohort": old}, after={"cohort": new})
    where = f"in the cohort `{markup.literal(new)}`" if new else "in no cohort"
    ctx.reply(f"{name} is now {where}.")


def cohort_list(ctx: Context) -> None:
    cohorts = _cohorts(ctx)
    if ctx.args:
        raise UsageError("`/beacon cohort list` takes no arguments.")
    if not cohorts:
        ctx.reply('This network has no cohorts yet. Add one: `/beacon cohort add "wave 2"`.')
        return
    lines = ["*Cohorts*"]
    for c in cohorts:
        n = len(_in(ctx, c.name))
        lines.append(f"• `{markup.literal(c.name)}`: {markup.count(n, 'member')}")
    none = sum(1 for m in ctx.members(include_unreachable=True) if not m.cohort and not is_forgotten(m))
    lines.append(f"In no cohort: {none}")
    ctx.reply("\n".join(lines))


REMOVE_ACTION = "cohort.remove"


def _targeting(ctx: Context, name: str) -> list[Flow]:
    """The flows whose audience is this cohort: removed, it would leave them sending to nobody."""
    flows = ctx.session.exec(select(Flow).where(Flow.network_id == ctx.network.id)).all()
    return [f for f in flows if targets_cohort(str((f.settings or {}).get("audience") or ""), name)]


def cohort_remove(ctx: Context) -> None:
    name = " ".join(ctx.args).strip()
    if not name:
        raise UsageError("Say which cohort to remove.")
    cohort = _need(ctx, name)
    targeting = _targeting(ctx, cohort.name)
    if targeting:
        names = ", ".join(f"`{markup.literal(f.name)}` ({f.kind})" for f in targeting)
        ctx.reply(
            f"⚠ {names} {'send' if len(targeting) > 1 else 'sends'} to the cohort `{markup.literal(cohort.name)}`. "
            "Removed, it would reach nobody until its audience changes (e.g. `/beacon reflection audience NAME everyone`). "
            "Remove the cohort anyway?",
            choices=confirm_choices(ctx, REMOVE_ACTION, str(cohort.id), "Remove it anyway"),
        )
        return
    _remove(ctx, cohort)


def _remove_pressed(ctx: Context) -> None:
    if ctx.incoming.value == CANCEL:
        ctx.edit_choice_message("✓ Cancelled. The cohort stays.")
        return
    press = confirmed(ctx, again="/beacon cohort remove NAME")
    number = parse_id(press.subject) if press is not None else None
    cohort = next((c for c in _cohorts(ctx) if c.id == number), None)
    if cohort is None:
        raise UserError("That cohort is already gone.")
    ctx.edit_choice_message(f"✓ Removing the cohort `{markup.literal(cohort.name)}`.")
    _remove(ctx, cohort)


def _remove(ctx: Context, cohort: Cohort) -> None:
    members = _in(ctx, cohort.name)
    for m in members:
        m.cohort = None
        ctx.session.add(m)
    ctx.session.delete(cohort)
    ctx.audit("cohort.remove", f"cohort:{cohort.name}", before={"name": cohort.name, "members": [m.id for m in members]}, after=None)
    moved = f" {len(members)} member{'s are' if len(members) != 1 else ' is'} now in no cohort." if members else ""
    ctx.reply(f"Removed the cohort `{markup.literal(cohort.name)}`.{moved} (`/beacon undo` puts it back.)")


def undo_cohort(ctx: Context, entry: AuditEntry) -> str:
    if entry.action == "cohort.add":
        name = (entry.after or {}).get("name", "")
        cohort = _find(ctx, name)
        if cohort is None:
            raise UserError(f"The cohort `{markup.literal(name)}` is already gone.")
        if _in(ctx, cohort.name):
            raise UserError(f"The cohort `{markup.literal(name)}` has members now; move them out first.")
        ctx.session.delete(cohort)
        return f"removed the cohort `{markup.literal(name)}` again"
    if entry.action == "cohort.remove":
        name = (entry.before or {}).get("name", "")
        if _find(ctx, name) is None:
            ctx.session.add(Cohort(network_id=ctx.network.id, name=name, created_at=ctx.now))
        back = 0
        for member_id in (entry.before or {}).get("members", []):
            m = ctx.session.get(Member, member_id)
            if m is not None and m.network_id == ctx.network.id and not m.cohort and not is_forgotten(m):
                m.cohort = name
                ctx.session.add(m)
                back += 1
        return f"the cohort `{markup.literal(name)}` is back with {markup.count(back, 'member')}"
    if entry.action == "cohort.assign":
        member = ctx.session.get(Member, int(entry.target.split(":", 1)[1]))
        if member is None or member.network_id != ctx.network.id or is_forgotten(member):
            raise UserError("That member has left.")
        old = (entry.before or {}).get("cohort")
        if old is not None and _find(ctx, old) is None:
            raise UserError(f"The cohort `{markup.literal(old)}` no longer exists.")
        member.cohort = old
        ctx.session.add(member)
        return f"{markup.literal(member.display_name)} is {'in ' + markup.literal(old) if old else 'in no cohort'} again"
    raise UserError(f"I don't know how to undo `{entry.action}`.")


def register(router: Router) -> None:
    router.group("cohort", "Groups within the network, so flows can target a subset")
    router.command("cohort add", cohort_add, role=Role.FACILITATOR, usage="NAME",
                   example='/beacon cohort add "wave 2"', help="Create a cohort")  # fmt: skip
    router.command("cohort assign", cohort_assign, role=Role.FACILITATOR, usage="@someone NAME|none",
                   example='/beacon cohort assign @sam "wave 2"', help="Put a member in a cohort (or none)")  # fmt: skip
    router.command("cohort list", cohort_list, role=Role.FACILITATOR,
                   example="/beacon cohort list", help="List cohorts and how many are in each")  # fmt: skip
    router.command("cohort remove", cohort_remove, role=Role.FACILITATOR, usage="NAME",
                   example='/beacon cohort remove "wave 2"', help="Remove a cohort (its members move to no cohort)")  # fmt: skip
    router.undo("cohort", undo_cohort)
    router.action(REMOVE_ACTION, _remove_pressed)
