"""The digest's indexes on other flows' tables, declared here so the models and
the 0005_digest migration agree (the digest has no tables of its own).

Each makes one of the digest's aggregates an index range scan; most are
covering, so the weekly CASE buckets never read the table itself.
"""

from __future__ import annotations

from sqlalchemy import Index

from bot.store.commitments import Commitment
from bot.store.models import Member
from bot.store.pairing import PairMember
from bot.store.practices import Practice, Steal
from bot.store.reflection import Prompt, Reflection

__all__ = ["INDEXES"]

_SPEC = (
    ("ix_digest_prompt_sent", Prompt, ("network_id", "sent_at", "status", "member_id")),
    ("ix_digest_reflection_started", Reflection, ("network_id", "started_at", "member_id")),
    ("ix_digest_reflection_completed", Reflection, ("network_id", "completed_at")),
    ("ix_digest_reflection_shared", Reflection, ("network_id", "shared_at")),
    ("ix_digest_commitment_created", Commitment, ("network_id", "created_at")),
    ("ix_digest_practice_created", Practice, ("network_id", "created_at")),
    ("ix_digest_steal_created", Steal, ("created_at", "practice_id", "member_id", "mode")),
    ("ix_digest_steal_practice", Steal, ("practice_id", "created_at", "mode")),
    ("ix_digest_steal_outcome", Steal, ("outcome_at",)),
    ("ix_digest_pair_member_answered", PairMember, ("answered_at", "round_id", "member_id", "met", "group_id")),
    ("ix_digest_member_active", Member, ("network_id", "last_active_at")),
    ("ix_digest_member_created", Member, ("network_id", "created_at")),
)

INDEXES = tuple(Index(name, *(model.__table__.c[c] for c in cols)) for name, model, cols in _SPEC)
