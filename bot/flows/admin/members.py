"""``/beacon members`` and ``/beacon role``: who is in the network and who may configure it.

A person is named by @username, display name, platform user id or a Slack
mention (``<@U123|name>``), always within the caller's own network: a name
from another network is simply "no such member".
"""

from __future__ import annotations

import csv
import io
import logging

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import UsageError, UserError
from bot.core.members import find_member, is_forgotten
from bot.core.messages import Attachment
from bot.core.numbers import parse_number
from bot.core.router import Router
from bot.store.models import Member, Role, roles_text

__all__ = ["register", "member_status", "members_csv", "members_command", "role_command", "set_roles", "undo_role"]

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
GRANTABLE = {"facilitator": Role.FACILITATOR, "coordinator": Role.COORDINATOR}


def member_status(member: Member, ctx: Context) -> str:
    if member.unreachable:
        return "unreachable"
    if member.is_paused(ctx.now):
        until = member.paused_until.astimezone(ctx.tz_of()).strftime("%d %b")
        return f"paused until {until}"
    if not member.has_private_chat:
        return "not yet started a private chat"
    return "active"


def _listed(ctx: Context) -> list[Member]:
    return [m for m in ctx.members(include_unreachable=True) if not is_forgotten(m)]


def _line(ctx: Context, m: Member) -> str:
    handle = f" (@{markup.literal(m.username)})" if m.username else ""
    extra = [
        " and ".join(_as_list(m.roles)),
        markup.literal(m.organisation or ""),
        f"cohort {markup.literal(m.cohort)}" if m.cohort else "",
    ]
    details = ", ".join(x for x in extra if x)
    return f"• {markup.literal(m.display_name)}{handle}: {member_status(m, ctx)}" + (f"; {details}" if details else "")


def _safe_cell(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; defuse them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def members_csv(ctx: Context, members: list[Member]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "username", "role", "organisation", "cohort", "status", "joined"])
    for m in members:
        row = [m.display_name, m.username or "", " and ".join(_as_list(m.roles)) or "member", m.organisation or "", m.cohort or "",
               member_status(m, ctx), m.created_at.date().isoformat()]  # fmt: skip
        writer.writerow([_safe_cell(str(v)) for v in row])
    return out.getvalue().encode("utf-8")


def members_command(ctx: Context) -> None:
    members = _listed(ctx)
    arg = ctx.args[0].lower() if ctx.args else "1"
    page = parse_number(arg, low=0, high=10**6)
    if len(ctx.args) > 1 or not (page is not None or arg == "csv"):
        raise UsageError("Give a page number or `csv`.")
    counts = {s: 0 for s in ("active", "paused", "unreachable", "not yet started a private chat")}
    for m in members:
        counts[member_status(m, ctx).split(" until")[0]] += 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    if arg == "csv":
        ctx.reply(
            f"{markup.count(len(members), 'member')} ({summary}). The list is attached as members.csv.",
            attachment=Attachment.file(members_csv(ctx, members), "members.csv", "text/csv"),
        )
        return
    pages = max(1, -(-len(members) // PAGE_SIZE))
    if not 1 <= page <= pages:
        raise UsageError(f"There {'is' if pages == 1 else 'are'} {markup.count(pages, 'page')} of members.")
    shown = members[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    lines = [f"*Members of {markup.literal(ctx.network.name)}*: {len(members)} ({summary or 'none yet'})"]
    lines += [_line(ctx, m) for m in shown]
    if pages > 1:
        more = f" Next: `/beacon members {page + 1}`." if page < pages else ""
        lines.append(f"Page {page} of {pages}.{more}")
    lines += _not_started(ctx, members)
    lines.append("`/beacon members csv` gives the whole list as a file.")
    ctx.reply("\n".join(lines))


NAMED = 30
"""Names listed under "not started yet", at most (the count is always whole)."""


def _not_started(ctx: Context, members: list[Member]) -> list[str]:
    """Who I know from the group but can't write to: they never opened a private chat."""
    waiting = [m for m in members if member_status(m, ctx) == "not yet started a private chat"]
    if not waiting:
        return []
    names = ", ".join(markup.literal(m.display_name) for m in waiting[:NAMED]) + (f" and {len(waiting) - NAMED} more" if len(waiting) > NAMED else "")
    line = f"*Not started a private chat with me yet* ({len(waiting)} of {len(members)}): {names}. I can't send them prompts until they do."
    if ctx.platform == "telegram":
        line += " `/beacon members invite` posts a start button in the group."
    return [line]


# -- roles ------------------------------------------------------------------------------


def _facilitators_besides(ctx: Context, member: Member) -> int:
    return sum(1 for m in _listed(ctx) if m.id != member.id and m.is_facilitator)


def _as_list(roles) -> list[str]:
    return [r.value for r in Role if r in roles]


def set_roles(ctx: Context, member: Member, roles: frozenset[Role], *, action: str) -> frozenset[Role]:
    """Give ``member`` exactly ``roles``, keeping at least one member who can configure the network."""
    old = member.roles
    if old == roles:
        return old
    if member.is_facilitator and Role.FACILITATOR not in roles and _facilitators_besides(ctx, member) == 0:
        raise UserError(
            f"{markup.literal(member.display_name)} is the last facilitator of this network, and a network needs one to change its set-up. "
            "Grant someone else the facilitator role first."
        )
    member.is_facilitator, member.is_coordinator = Role.FACILITATOR in roles, Role.COORDINATOR in roles
    ctx.session.add(member)
    ctx.audit(action, f"member:{member.id}", before={"roles": _as_list(old)}, after={"roles": _as_list(roles)})
    logger.info("member %s roles %s -> %s by %s", member.id, _as_list(old), _as_list(roles), ctx.member.id)
    return old


def role_command(ctx: Context) -> None:
    if len(ctx.args) < 3 or ctx.args[0].lower() not in ("grant", "revoke"):
        raise UsageError("Say grant or revoke, who, and which role.")
    verb, role_name = ctx.args[0].lower(), ctx.args[-1].lower()
    role = GRANTABLE.get(role_name)
    if role is None:
        raise UsageError(f"`{markup.literal(ctx.args[-1][:40])}` is not a role: use facilitator or coordinator.")
    member = find_member(ctx, " ".join(ctx.args[1:-1]))
    name = markup.literal(member.display_name)
    if verb == "grant":
        if member.id == ctx.member.id:
            raise UserError(f"You can't grant yourself a role. Ask another facilitator to make you a {role.value}.")
        if role in member.roles:
            ctx.reply(f"{name} is already a {role.value}.")
            return
        set_roles(ctx, member, member.roles | {role}, action="role.grant")
        ctx.reply(f"{name} is now a {role.value}. (`/beacon undo` takes it back.)")
        ctx.dm(
            member,
            f"{markup.literal(ctx.member.display_name)} made you a {role.value} of {markup.literal(ctx.network.name)}. `/beacon help` shows what you can now do.",
        )
        return
    if role not in member.roles:
        raise UserError(f"{name} is not a {role.value} (they are {roles_text(member.roles)}).")
    set_roles(ctx, member, member.roles - {role}, action="role.revoke")
    ctx.reply(f"{name} is no longer a {role.value}. (`/beacon undo` takes it back.)")


# an audit entry written before roles were a set holds one rank; a coordinator then could do what a facilitator could
_RANKS = {"member": frozenset(), "facilitator": frozenset({Role.FACILITATOR}), "coordinator": frozenset({Role.FACILITATOR, Role.COORDINATOR})}


def _before(entry) -> frozenset[Role]:
    before = entry.before or {}
    if "roles" in before:
        return frozenset(Role(r) for r in before["roles"])
    return _RANKS.get(before.get("role", "member"), frozenset())


def undo_role(ctx: Context, entry) -> str:
    member = ctx.session.get(Member, int(entry.target.split(":", 1)[1]))
    if member is None or member.network_id != ctx.network.id or is_forgotten(member):
        raise UserError("That member has left, so their role can't be put back.")
    old = _before(entry)
    if member.is_facilitator and Role.FACILITATOR not in old and _facilitators_besides(ctx, member) == 0:
        raise UserError("Undoing that would leave the network without a facilitator.")
    member.is_facilitator, member.is_coordinator = Role.FACILITATOR in old, Role.COORDINATOR in old
    ctx.session.add(member)
    return f"{markup.literal(member.display_name)} is {roles_text(old)} again"


def register(router: Router) -> None:
    router.command(
        "members", members_command, role=Role.FACILITATOR, usage="[page | csv]", example="/beacon members 2",
        help="List members with their status (active, paused, unreachable, no private chat yet), role and cohort",
    )  # fmt: skip
    router.command(
        "role", role_command, role=Role.FACILITATOR, usage="grant|revoke @someone facilitator|coordinator",
        example="/beacon role grant @sam coordinator",
        help="Give or take away the facilitator or coordinator role",
        details="Name people by @username, display name in quotes, or a Slack mention. The last facilitator can't be removed.",
    )  # fmt: skip
    router.undo("role", undo_role)
