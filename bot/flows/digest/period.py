"""The digest's time windows: buckets that start at the network's local midnights.

A week in London starts at midnight in London, not at midnight UTC, and a
week with a clock change is 167 or 169 hours long; so every boundary is a
local date turned into an instant, never "start + n × 24 h".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["BUCKETS", "BASELINE", "PERIOD_RULE", "Period", "period_ending", "period_between", "local_midnight"]

BUCKETS = 12  # the chart's weeks
BASELINE = 4  # the periods the current one is compared with
# what every figure obeys, said in the digest's help and the README
PERIOD_RULE = ("Each figure counts what happened in the period as it stood when the period ended, so a period's figures never change "
               "afterwards: a prompt counts in the period it was sent, and as answered only if the answer came before that period ended "
               "(a later answer counts among the next period's completed reflections); each follow-up answer (a commitment done, "
               "a pair that met, how a steal went) counts in the period it was given, and a practice in the period it was shared.")  # fmt: skip


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """``days`` local days ending (exclusive) at the local midnight starting ``end_day``.

    ``bounds`` holds ``BUCKETS + 1`` UTC instants, oldest first: bucket ``i``
    is ``[bounds[i], bounds[i + 1])``; the last bucket is the period itself,
    the ``BASELINE`` before it are what it is compared with.
    """

    end_day: date
    days: int
    zone: str
    bounds: tuple[datetime, ...]

    @property
    def start(self) -> datetime:
        return self.bounds[-2]

    @property
    def end(self) -> datetime:
        return self.bounds[-1]

    @property
    def first_day(self) -> date:
        return self.end_day - timedelta(days=self.days)

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def baseline_start(self) -> datetime:
        return self.bounds[-2 - BASELINE]

    @property
    def current(self) -> int:
        return BUCKETS - 1

    @property
    def baseline(self) -> range:
        return range(BUCKETS - 1 - BASELINE, BUCKETS - 1)

    def bucket_days(self) -> list[date]:
        """The first local day of each bucket (chart labels)."""
        return [self.end_day - timedelta(days=self.days * (BUCKETS - i)) for i in range(BUCKETS)]

    def label(self) -> str:
        a, b = self.first_day, self.last_day
        if a.year != b.year:
            return f"{a:%-d %b %Y} – {b:%-d %b %Y}"
        return f"{a:%-d %b} – {b:%-d %b %Y}"


def period_ending(end_day: date, zone: str, days: int = 7) -> Period:
    """The ``days`` local days before ``end_day`` (a Monday digest: the week just gone)."""
    tz = ZoneInfo(zone)
    bounds = tuple(local_midnight(end_day - timedelta(days=days * k), tz) for k in range(BUCKETS, -1, -1))
    return Period(end_day=end_day, days=days, zone=zone, bounds=bounds)


def period_between(first: date, last: date, zone: str) -> Period:
    """From ``first`` to ``last`` inclusive (the command line's --from/--to)."""
    if last < first:
        raise ValueError("the end date is before the start date")
    return period_ending(last + timedelta(days=1), zone, (last - first).days + 1)
