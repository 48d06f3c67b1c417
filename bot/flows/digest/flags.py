""" "What to look at": a few plain-language flags a coordinator can act on.

Pure rules over a :class:`~bot.flows.digest.data.Digest`; thresholds are deliberately
coarse so the list stays short and never cries wolf over one quiet week.
"""

from __future__ import annotations

from bot.flows.digest.data import Digest

__all__ = ["REFERENCE", "REFERENCE_LINE", "TREND_RULE", "before", "look_at", "pct", "span", "trend"]

# The Beacon survey: of those who changed practice, 63% adapted an idea,
# 29% accelerated one they had, 8% based it closely on the source.
REFERENCE = {"adapted": 63, "accelerated": 29, "closely_based": 8}
REFERENCE_LINE = ("How Beacon Scheme members who changed practice after a visit did it: "
                  "63% adapted an idea, 29% sped up an idea they already had, 8% copied the source closely")  # fmt: skip
MIN_SENT = 5  # below this, a rate is noise
TREND_POINTS = 0.10  # a change of at least 10 percentage points
TREND_RULE = ("An arrow (↑ ↓) marks a change of the answer rate of at least 10 percentage points against the periods before, "
              f"when both have at least {MIN_SENT} prompts; smaller changes or fewer prompts get no arrow.")  # fmt: skip
RATE_DROP = 0.15
MAX_FLAGS = 5


def pct(x: float | None) -> str:
    return "–" if x is None else f"{round(x * 100)}%"


def span(d: Digest) -> str:
    """``this week``, or the period's real length."""
    return "this week" if d.period.days == 7 else f"in these {d.period.days} days"


def before(n: int, days: int) -> str:
    """``the 4 weeks before``, only as many as the network existed for."""
    unit = "week" if days == 7 else f"period of {days} days"
    if n == 1:
        return f"the {unit} before"
    return f"the {n} {unit.replace('period', 'periods') if days != 7 else 'weeks'} before"


def trend(now: float | None, then: float | None, sent: int, then_sent: int) -> str:
    """An arrow only for a change that means something (see :data:`TREND_RULE`)."""
    if now is None or then is None or sent < MIN_SENT or then_sent < MIN_SENT or abs(now - then) < TREND_POINTS:
        return ""
    return " ↑" if now > then else " ↓"


def look_at(d: Digest, *, quiet_weeks: int = 3, titles: bool = True) -> list[str]:
    """Up to ``MAX_FLAGS`` sentences, most important first."""
    flags: list[str] = []
    p = d.participation
    if p.rate is not None and p.baseline_rate is not None and p.sent >= MIN_SENT and p.baseline_sent >= MIN_SENT:
        if p.baseline_rate - p.rate >= RATE_DROP:
            flags.append(f"The answer rate fell from {pct(p.baseline_rate)} to {pct(p.rate)}.")
        elif p.rate - p.baseline_rate >= RATE_DROP:
            flags.append(f"The answer rate rose from {pct(p.baseline_rate)} to {pct(p.rate)}.")
    if p.baseline_periods and p.baseline_active >= 4 and p.active <= p.baseline_active * 0.6:
        flags.append(
            f"{p.active} members were active {span(d)}, against {p.baseline_active:.0f} on average in {before(p.baseline_periods, d.period.days)}."
        )
    if p.quiet.count and p.members and p.quiet.count >= max(3, p.members // 5):
        flags.append(f"{p.quiet.count} of {p.members} members have been quiet for {quiet_weeks}+ weeks.")
    for title, n in d.practices.most_stolen[:1]:
        if n >= 3:
            flags.append(f"{n} steals of the same practice {span(d)}: “{title}”." if titles else f"{n} steals of the same practice {span(d)}.")
    mix = d.practices.mix
    if sum(mix.values()) >= 5:
        close = mix.get("closely_based", 0) / sum(mix.values())
        if close >= 0.3:
            flags.append(f"{pct(close)} of steals were closely based on the source (the survey: {REFERENCE['closely_based']}%): "
                         "worth asking what adapting would take.")  # fmt: skip
    c = d.commitments
    if c.overdue >= 5 and c.overdue > c.done:
        flags.append(f"{c.overdue} commitments are overdue; {c.done} were done {span(d)}.")
    pr = d.pairs
    if pr.answered >= 4 and pr.met_rate is not None and pr.met_rate < 0.5:
        flags.append(f"Only {pr.met} of {pr.answered} pairs that answered have met.")
    return flags[:MAX_FLAGS]
