"""The router's cross-flow hooks: events in the handler's transaction, undo, follow-up sources."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.core.followups import FollowUpSource
from bot.core.router import Router
from bot.store.models import AuditEntry


def _source(rule: str) -> FollowUpSource:
    return FollowUpSource(rule=rule, description="", load=lambda s, w: None, due=lambda d, p, w, n: [],
                          answers=lambda subject: (), apply=lambda ctx, subject, code: "")  # fmt: skip


def test_a_hook_registered_twice_is_refused():
    router = Router()
    router.undo("pairing.run", lambda ctx, entry: "")
    router.follow_up(_source("pair"))
    with pytest.raises(ValueError, match="pairing.run"):
        router.undo("pairing.run", lambda ctx, entry: "")
    with pytest.raises(ValueError, match="pair"):
        router.follow_up(_source("pair"))


async def test_an_event_reaches_its_listeners_inside_the_handlers_transaction(harness):
    """A listener's writes commit with the change that emitted the event, and roll back with it."""
    router = harness.beacon.router
    heard = []

    def listener(ctx, **data):
        heard.append(data)
        ctx.audit("test.heard", str(data["n"]))

    def emitting(ctx):
        ctx.emit("test.happened", n=len(ctx.args))
        if ctx.args == ["fail"]:
            ctx.fail("No.")
        ctx.reply("ok")

    router.on("test.happened", listener)
    router.command("emit-test", emitting, help="test only", hidden=True)
    harness.add_member("ann")
    await harness.command("ann", "emit-test a b")
    await harness.command("ann", "emit-test fail")
    assert heard == [{"n": 2}, {"n": 1}]
    with harness.store.session() as session:
        kept = session.exec(select(AuditEntry.target).where(AuditEntry.action == "test.heard")).all()
    assert kept == ["2"]  # the failed command's listener write went with it
