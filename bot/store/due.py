"""The hourly runs' indexes on the flows' tables, declared here so the models and
the 0018_due migration agree.

Each hourly run (nudges, reflection reminders, follow-ups) asks for what falls
due by now, filtered by time in the query; these make each such question an
index range scan of one network's open rows instead of a scan of the table.
The reminders' open prompts use the status index: a (network, status) index
there would draw the digest's weekly counts away from their covering index.
"""

from __future__ import annotations

from sqlalchemy import Index

from bot.store.commitments import Commitment
from bot.store.nudges import NudgeLog
from bot.store.practices import Steal

__all__ = ["INDEXES"]

_SPEC = (
    ("ix_due_commitment_open", Commitment, ("network_id", "status", "due_date")),  # open commitments due by a date
    ("ix_due_steal_follow_up", Steal, ("follow_up_due", "outcome")),  # steals whose "how did it go?" is due
    ("ix_due_nudge_subject", NudgeLog, ("network_id", "subject")),  # was this subject raised before?
)

INDEXES = tuple(Index(name, *(model.__table__.c[c] for c in cols)) for name, model, cols in _SPEC)
