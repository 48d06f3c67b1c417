"""What a simulation reports: the totals counted from its database, the
weekly progress line and the final digest as the coordinator received it.

Kept apart from the driver so the run loop reads on its own; :class:`Reporting`
is mixed into :class:`~bot.simulation.driver.Simulation` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import select

from bot.core.dates.zone import zone
from bot.flows.digest.period import period_ending
from bot.flows.digest.render import build_doc, to_markdown
from bot.flows.digest.weekly import compose, digest_flow, settings_of
from bot.store.commitments import Commitment
from bot.store.models import Network
from bot.store.nudges import NudgeLog
from bot.store.pairing import PairGroup, PairingRound, PairMember
from bot.store.practices import Practice, Steal
from bot.store.reflection import Prompt, Reflection

__all__ = ["Reporting", "Totals"]


@dataclass
class Totals:
    """What happened, counted from the database at the end."""

    members: int = 0
    organisations: int = 0
    prompts: int = 0
    reflections: int = 0
    commitments: int = 0
    rounds: int = 0
    groups: int = 0
    met: int = 0
    practices: int = 0
    steals: dict[str, int] = field(default_factory=dict)
    nudges: int = 0
    messages: int = 0

    def lines(self) -> list[str]:
        steals = sum(self.steals.values())
        mix = ", ".join(f"{m} {n}" for m, n in sorted(self.steals.items())) or "none"
        return [
            f"Members: {self.members} in {self.organisations} organisations",
            f"Reflection prompts: {self.prompts} sent, {self.reflections} reflections completed, {self.commitments} commitments",
            f"Pairing: {self.rounds} rounds, {self.groups} groups, {self.met} members said they met",
            f"Practices: {self.practices} shared, {steals} steals ({mix})",
            f"Nudges: {self.nudges} items; messages delivered: {self.messages}",
        ]


class Reporting:
    """The read-only end of a :class:`~bot.simulation.driver.Simulation`: progress, digest, totals."""

    def _progress(self, week: int) -> str:
        t = self.totals()
        return (f"week {week}/{self.weeks} ({self.clock.now():%a %d %b}): {t.prompts} prompts, {t.reflections} reflections, "
                f"{t.groups} groups ({t.met} met), {t.practices} practices, {sum(t.steals.values())} steals, "
                f"{t.messages} messages")  # fmt: skip

    def final_digest(self) -> str:
        """The digest of the last full week, as the coordinator received it, in markdown."""
        with self.store.session() as s:
            net = s.get(Network, self.network_id)
            tz = zone(net.timezone)
            quiet = int(settings_of(digest_flow(s, net.id))["quiet_weeks"])
            digest, _ = compose(s, net, period_ending(self.clock.now().astimezone(tz).date(), tz.key), quiet_weeks=quiet, chart=False)
            return to_markdown(build_doc(digest, names=True, quiet_weeks=quiet))

    def totals(self) -> Totals:
        nid = self.network_id

        def count(model, *where) -> int:
            return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

        with self.store.session() as s:
            rounds = [r for (r,) in s.execute(select(PairingRound.id).where(PairingRound.network_id == nid))]
            modes = s.execute(select(Steal.mode, func.count()).join(Practice, Practice.id == Steal.practice_id)
                              .where(Practice.network_id == nid).group_by(Steal.mode)).all()  # fmt: skip
            return Totals(
                members=len(self.people),
                organisations=len({p.organisation for p in self.people.values()}),
                prompts=count(Prompt, Prompt.network_id == nid),
                reflections=count(Reflection, Reflection.network_id == nid, Reflection.completed_at.is_not(None)),
                commitments=count(Commitment, Commitment.network_id == nid),
                rounds=len(rounds),
                groups=count(PairGroup, PairGroup.round_id.in_(rounds)) if rounds else 0,
                met=count(PairMember, PairMember.round_id.in_(rounds), PairMember.met == "met") if rounds else 0,
                practices=count(Practice, Practice.network_id == nid),
                steals={str(getattr(m, "value", m)): n for m, n in modes},
                nudges=count(NudgeLog, NudgeLog.network_id == nid),
                messages=self._messages + len(self.adapter.delivered),
            )
