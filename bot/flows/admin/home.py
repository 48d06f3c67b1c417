"""The network at a glance, on a facilitator's Home: how many members, how many Beacon
can reach, how many are paused, and the members' list a tap away."""

from __future__ import annotations

from sqlalchemy import case, func
from sqlmodel import select

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.home import item
from bot.core.messages import Choice, HomeSection
from bot.core.router import Router
from bot.flows.admin.members import members_command
from bot.store.models import Member, Role

__all__ = ["register"]

MEMBERS = "admin.home_members"  # the Members button: the first page of `/beacon members`


def _home(ctx: Context) -> HomeSection:
    total, reachable, paused = ctx.session.exec(
        select(
            func.count(),
            func.sum(case((Member.unreachable == False, 1), else_=0)),  # noqa: E712
            func.sum(case((Member.paused_until > ctx.now, 1), else_=0)),
        ).where(Member.network_id == ctx.network.id)
    ).one()
    text = f"{markup.count(total, 'member')}; Beacon can reach {reachable or 0}, {paused or 0} paused."
    return HomeSection(name="admin.network", title=f"{ctx.network.name} at a glance", items=(item(text, Choice("Members", MEMBERS)),))


def _members_pressed(ctx: Context) -> None:
    if not ctx.may(Role.FACILITATOR):
        raise UserError("Only facilitators can list the members.")
    ctx.keep_choices()
    ctx.args = []
    members_command(ctx)


def register(router: Router) -> None:
    router.home_section("admin.network", _home, order=200, role=Role.FACILITATOR)
    router.action(MEMBERS, _members_pressed)
