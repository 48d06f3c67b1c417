"""The record of follow-up answers: upgrading keeps what existing rows already say."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlmodel import select

from bot.store.answers import FollowUpAnswer
from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.db import alembic_config
from bot.store.models import Flow, Member, Network
from bot.store.pairing import PairGroup, PairingRound, PairMember
from bot.store.practices import Practice, Steal

AT = datetime(2026, 11, 5, 10, tzinfo=UTC)


def test_upgrade_backfills_each_rows_latest_answer(any_store):
    """Without the backfill every commitment done, pair met and steal outcome of the past would vanish from past digests."""
    with any_store.session() as s:  # rows as the flows wrote them before the record existed
        net = Network(platform="console", platform_key="b", name="B", timezone="UTC", created_at=AT)
        s.add(net)
        s.flush()
        ann, bob = (Member(network_id=net.id, platform_user_id=n, display_name=n, created_at=AT) for n in ("ann", "bob"))
        s.add_all([ann, bob])
        s.flush()
        s.add_all([Commitment(network_id=net.id, member_id=ann.id, text="a", status=CommitmentStatus.DONE, created_at=AT, updated_at=AT),
                   Commitment(network_id=net.id, member_id=ann.id, text="b", created_at=AT, updated_at=AT)])  # fmt: skip
        flow = Flow(network_id=net.id, kind="pairing", name="p", created_at=AT, updated_at=AT)
        s.add(flow)
        s.flush()
        rnd = PairingRound(network_id=net.id, flow_id=flow.id, number=1, seed="s", ran_at=AT)
        s.add(rnd)
        s.flush()
        g = PairGroup(round_id=rnd.id, created_at=AT)
        s.add(g)
        s.flush()
        s.add_all([PairMember(group_id=g.id, round_id=rnd.id, member_id=ann.id, met="met", answered_at=AT),
                   PairMember(group_id=g.id, round_id=rnd.id, member_id=bob.id, met="rematched", answered_at=AT)])  # fmt: skip
        p = Practice(network_id=net.id, author_id=ann.id, title="t", created_at=AT, updated_at=AT)
        s.add(p)
        s.flush()
        s.add(Steal(practice_id=p.id, member_id=ann.id, mode="adapted", created_at=AT, updated_at=AT, outcome="worked", outcome_at=AT))
    with any_store.engine.begin() as conn:  # back to the schema before this revision (it merges branches, so by hand)
        conn.exec_driver_sql("DROP TABLE follow_up_answer")
        conn.exec_driver_sql("DELETE FROM alembic_version WHERE version_num = '0021_answers'")
    command.upgrade(alembic_config(any_store.engine), "heads")
    with any_store.session() as s:
        got = sorted((a.kind, a.value, a.at) for a in s.exec(select(FollowUpAnswer)).all())
    assert got == [("commitment", "done", AT), ("pair", "met", AT), ("steal", "worked", AT)]
