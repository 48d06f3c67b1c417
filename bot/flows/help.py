"""``/beacon help``: built from the router's registry, so it is never out of date
and shows each person only what their role lets them do."""

from __future__ import annotations

from ..context import Context
from ..router import Router, UsageError

__all__ = ["register"]


def _help(ctx: Context) -> None:
    router = ctx.router
    if ctx.args:
        words = [w.lower() for w in ctx.args]
        cmd, rest = router.resolve(words)
        if cmd is not None and not rest:
            if not ctx.role.allows(cmd.role):
                ctx.reply(f"`/beacon {cmd.name}` is for {cmd.role.value}s.")
                return
            lines = [f"*{cmd.synopsis()}*", cmd.help]
            if cmd.details:
                lines.append(cmd.details)
            if cmd.example:
                lines.append(f"Example: `{cmd.example}`")
            if cmd.role.value != "member":
                lines.append(f"_For {cmd.role.value}s._")
            ctx.reply("\n".join(lines))
            return
        group = words[0]
        members = [c for c in router.in_group(group) if ctx.role.allows(c.role)]
        if members:
            lines = [f"*{group}*: {router.groups.get(group, '')}".rstrip(": ")]
            lines += [f"• `{c.synopsis()}`: {c.help}" for c in members]
            ctx.reply("\n".join(lines))
            return
        raise UsageError(f"There is no command `/beacon {' '.join(ctx.args)}`.")
    visible = router.visible_to(ctx.role, ctx.platform)
    by_group: dict[str, list] = {}
    for c in visible:
        by_group.setdefault(c.group if c.group in router.groups else "", []).append(c)
    lines = [f"*Beacon* for {ctx.network.name}. You are a {ctx.role.value}. Commands:"]
    for group in sorted(by_group, key=lambda g: (g != "", g)):
        if group:
            lines.append(f"\n*{group}*: {router.groups[group]}")
        for c in by_group[group]:
            example = f" (e.g. `{c.example}`)" if c.example and c.example != c.synopsis() else ""
            lines.append(f"• `{c.synopsis()}`: {c.help}{example}")
    lines.append("\n`/beacon help <command>` tells more about one.")
    ctx.reply("\n".join(lines))


def register(router: Router) -> None:
    router.command(
        "help",
        _help,
        help="What you can do here",
        usage="[command]",
        example="/beacon help reflect",
    )
    router.alias("help", "help")
