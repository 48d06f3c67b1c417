"""``/beacon help``: built from the router's registry, so it is never out of date
and shows each person only what their role lets them do.

The top level is one line per group (flow) with a few examples, so it fits
in one chat message (Telegram cuts at 4096 characters); ``/beacon help
<group>`` lists the group's commands with an example each and ``/beacon help
<command>`` gives one command's detail. Top-level commands that a flow
registers outside its group (``/beacon share``, ``/beacon pause``) are filed
under the group whose commands live in the same module.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.errors import UsageError
from bot.core.markup import literal
from bot.core.router import Command, Router
from bot.store.models import Role, roles_text

__all__ = ["register", "sections", "overview", "section_text"]

# Commands no group claims fall into one of these, by the role they need.
YOU = "you"
NETWORK = "network"
EXTRA = {
    YOU: "Getting started, and your data",
    NETWORK: "Running the network: setup, members and roles, retention",
}
HOME = {"commitments": "reflection"}  # modules whose name matches no group
PER_LINE = 3
LONG_EXAMPLE = 48


def _section_of(router: Router, cmd: Command, module_groups: dict[str, str]) -> str:
    if cmd.group in router.groups:
        return cmd.group
    module = cmd.handler.__module__
    if module in module_groups:
        return module_groups[module]
    base = module.rsplit(".", 1)[-1]
    if base in HOME:
        return HOME[base]
    for group in router.groups:
        if base.startswith(group):
            return group
    return YOU if cmd.for_members else NETWORK


def sections(router: Router, commands: list[Command]) -> dict[str, list[Command]]:
    """``commands`` grouped by flow, each group in registration order (the flows register their main commands first)."""
    module_groups: dict[str, str] = {}
    for c in router.commands.values():
        if c.group in router.groups:
            module_groups.setdefault(c.handler.__module__, c.group)
    order = {path: i for i, path in enumerate(router.commands)}
    out: dict[str, list[Command]] = {}
    for c in sorted(commands, key=lambda c: order[c.path]):
        out.setdefault(_section_of(router, c, module_groups), []).append(c)
    return out


def _description(router: Router, name: str) -> str:
    return router.groups.get(name) or EXTRA.get(name, "")


def _short_example(c: Command) -> str:
    return c.example if c.example and len(c.example) <= LONG_EXAMPLE else f"/beacon {c.name}"


def overview(router: Router, roles: frozenset[Role], platform: str | None, network_name: str) -> str:
    """The compact top level: one line per group, its description and a few examples."""
    groups = sections(router, router.visible_to(roles, platform))
    ordered = sorted(groups, key=lambda g: (g == NETWORK, g != YOU, g))
    lines = [f"*Beacon* for {literal(network_name)}. You are {roles_text(roles)}. Commands:"]
    for name in ordered:
        cmds = [c for c in groups[name] if c.path != ("help",)]
        if not cmds:
            continue
        # a flow's line shows its few main commands; the loose ones (setup, my-data…) are few and each its own thing
        top = cmds if name in EXTRA else sorted(cmds, key=lambda c: (len(c.path) > 1, not c.for_members))[:PER_LINE]
        more = f" (+{len(cmds) - len(top)})" if len(cmds) > len(top) else ""
        examples = " · ".join(f"`{_short_example(c)}`" for c in top)
        lines.append(f"• *{name}*: {_description(router, name)}. {examples}{more}")
    lines.append("\n`/beacon help [group]` lists a group's commands with examples (e.g. `/beacon help practice`); "
                 "`/beacon help [command]` tells more about one.")  # fmt: skip
    return "\n".join(lines)


def section_text(router: Router, name: str, cmds: list[Command]) -> str:
    """One group's commands, each with what it does and an example."""
    lines = [f"*{name}*: {_description(router, name)}"]
    for c in cmds:
        lines.append(f"• `{c.synopsis()}`: {c.help}" + (f" _(for {c.for_whom()})_" if not c.for_members else ""))
        if c.name == name and c.details:
            lines.append(f"  {c.details}")
        if c.example and c.example != c.synopsis():
            lines.append(f"  e.g. `{c.example}`")
    lines.append("`/beacon help <command>` tells more about one.")
    return "\n".join(lines)


def _command_text(cmd: Command) -> str:
    lines = [f"*{cmd.synopsis()}*", cmd.help]
    if cmd.details:
        lines.append(cmd.details)
    if cmd.example:
        lines.append(f"Example: `{cmd.example}`")
    if not cmd.for_members:
        lines.append(f"_For {cmd.for_whom()}._")
    return "\n".join(lines)


def _help(ctx: Context) -> None:
    router = ctx.router
    if not ctx.args:
        ctx.reply(overview(router, ctx.roles, ctx.platform, ctx.network.name))
        return
    words = [w.lower().lstrip("/") for w in ctx.args]
    if words and words[0] == "beacon":
        words = words[1:] or ["help"]
    if len(words) == 1:
        groups = sections(router, router.visible_to(ctx.roles, ctx.platform))
        if words[0] in groups:
            ctx.reply(section_text(router, words[0], groups[words[0]]))
            return
    cmd, rest = router.resolve(words)
    if cmd is not None and not rest and not cmd.hidden:
        if not ctx.may(cmd.roles):
            ctx.reply(f"`/beacon {cmd.name}` is for {cmd.for_whom()}.")
            return
        ctx.reply(_command_text(cmd))
        return
    if len(words) == 1 and (words[0] in router.groups or words[0] in EXTRA):
        ctx.reply(f"The *{words[0]}* commands are for facilitators and coordinators.")
        return
    raise UsageError(f"There is no command or group `{' '.join(ctx.args)}`. `/beacon help` lists them.")


def register(router: Router) -> None:
    router.command(
        "help",
        _help,
        help="What you can do here",
        usage="[group | command]",
        example="/beacon help practice",
        details="Without a word it lists the groups; with a group, that group's commands; with a command, its detail.",
    )
    router.alias("help", "help")
