"""The dispatcher's promises: help, clear errors, roles, de-duplication, bounds."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import select

from bot.core.errors import UsageError
from bot.core.messages import Field, Form, Incoming
from bot.dispatch import identify
from bot.store.models import InboundEvent, Member, Role


async def test_help_lists_commands_for_the_callers_role(harness):
    harness.beacon.router.command("secret", lambda ctx: ctx.reply("s"), help="facilitators only", role=Role.FACILITATOR)
    harness.add_member("fay", role=Role.FACILITATOR)
    harness.add_member("max")
    fay = (await harness.command("fay", "help"))[-1].text
    max_ = (await harness.command("max", "help"))[-1].text
    assert "/beacon secret" in fay and "/beacon help" in fay
    assert "/beacon secret" not in max_ and "/beacon help" in max_


async def test_empty_command_shows_help(harness):
    out = await harness.command("ann", "")
    assert "Commands:" in out[-1].text


async def test_unknown_command_gets_one_line_and_a_suggestion(harness):
    out = await harness.command("ann", "hlep")
    assert len(out) == 1
    assert "I don't know the command `/beacon hlep`" in out[0].text
    assert "`/beacon help`" in out[0].text


async def test_member_is_refused_a_facilitator_command_and_told_who_can(harness):
    harness.beacon.router.command("reset", lambda ctx: ctx.reply("done"), help="x", role=Role.FACILITATOR)
    harness.add_member("fay", role=Role.FACILITATOR, display_name="Fay")
    harness.add_member("max")
    harness.add_member("cora", role=Role.COORDINATOR, display_name="Cora")
    out = await harness.command("max", "reset")
    assert "Only facilitators can use `/beacon reset`" in out[0].text
    assert "Ask Fay" in out[0].text and "Cora" not in out[0].text
    # a coordinator reads digests; configuring the network is not theirs to do
    out = await harness.command("cora", "reset")
    assert "Only facilitators can use `/beacon reset`. Ask Fay." in out[0].text
    assert (await harness.command("fay", "reset"))[0].text == "done"


async def test_usage_error_shows_usage_and_example(harness):
    def needs_two(ctx):
        if len(ctx.args) != 2:
            raise UsageError("I need two words.")
        ctx.reply("ok")

    harness.beacon.router.command("two", needs_two, help="x", usage="A B", example="/beacon two a b")
    out = await harness.command("ann", "two a")
    assert out[0].text == "I need two words.\nUsage: `/beacon two A B`\nExample: `/beacon two a b`"


async def test_duplicate_event_is_handled_once(harness):
    calls = []
    harness.beacon.router.command("count", lambda ctx: (calls.append(1), ctx.reply("counted")), help="x")
    first = await harness.command("ann", "count", event_id="E1")
    again = await harness.command("ann", "count", event_id="E1")
    assert len(first) == 1 and again == []
    assert len(calls) == 1
    with harness.store.session() as s:
        assert len(s.exec(select(InboundEvent).where(InboundEvent.event_id == "E1")).all()) == 1


async def test_first_contact_creates_member_and_first_member_facilitates(harness):
    await harness.command("first", "help")
    await harness.command("second", "help")
    assert harness.member("first").roles == {Role.FACILITATOR}
    assert harness.member("second").roles == frozenset()


async def test_over_long_text_is_refused_and_nothing_is_stored(harness):
    stored = []
    harness.beacon.router.command("note", lambda ctx: stored.append(ctx.arg_text), help="x")
    out = await harness.command("ann", "note " + "x" * 5000)
    assert "longer than I can keep" in out[0].text
    assert stored == []


async def test_plain_message_with_no_open_question_points_to_help(harness):
    out = await harness.say("ann", "hello?")
    assert "`/beacon help`" in out[0].text


async def test_a_handler_bug_gets_an_apology_not_silence_and_changes_nothing(harness):
    def broken(ctx):
        ctx.member.organisation = "changed"
        raise RuntimeError("boom")

    harness.add_member("ann")
    harness.beacon.router.command("broken", broken, help="x")
    out = await harness.command("ann", "broken")
    assert "something went wrong" in out[0].text
    assert harness.member("ann").organisation is None


async def test_button_press_replaces_the_buttons_with_the_choice(harness):
    from bot.core.messages import Choice

    harness.beacon.router.command("ask", lambda ctx: ctx.reply("Tea?", choices=[Choice("Yes", "t.yes")]), help="x")
    harness.beacon.router.action("t.yes", lambda ctx: ctx.reply("Kettle on."))
    await harness.command("ann", "ask")
    out = await harness.press("ann", "Yes")
    texts = [d.text for d in out]
    assert "Kettle on." in texts
    edit = [d for d in out if d.outgoing.edit]
    assert edit and edit[0].text == "Tea?\n✓ Yes" and edit[0].outgoing.choices == ()


async def test_unknown_button_gets_an_explanation(harness):
    out = await harness.send(Incoming(kind="action", platform="console", network_key="net", user_id="ann", action_id="gone.away", event_id="a1"))
    assert "no longer does anything" in out[0].text


async def test_guided_form_collects_answers_with_back_skip_and_cancel(harness):
    got = {}
    form = Form(
        id="t.form",
        title="Tell me",
        fields=(
            Field(name="title", label="Title", required=True, max_length=10),
            Field(name="note", label="Note"),
            Field(name="end", label="End", required=True),
        ),
    )
    harness.beacon.router.command("form", lambda ctx: ctx.open_form(form), help="x")
    harness.beacon.router.form("t.form", lambda ctx: (got.update(ctx.incoming.form_values), ctx.reply("saved")))
    out = await harness.command("ann", "form")
    assert "Title" in out[-1].text
    assert "can't be skipped" in (await harness.say("ann", "skip"))[0].text
    assert "too long" in (await harness.say("ann", "x" * 11))[0].text
    await harness.say("ann", "Short")
    await harness.say("ann", "back")
    await harness.say("ann", "Better")
    await harness.press("ann", "Skip")
    out = await harness.say("ann", "fin")
    assert got == {"title": "Better", "end": "fin"}
    assert out[-1].text == "saved"
    # cancel leaves nothing behind
    got.clear()
    await harness.command("ann", "form")
    out = await harness.say("ann", "cancel")
    assert "Nothing was saved" in out[0].text and got == {}
    assert "`/beacon help`" in (await harness.say("ann", "hello"))[0].text


async def test_private_chat_without_network_key_finds_the_members_network(harness):
    harness.add_member("ann")
    out = await harness.send(Incoming(kind="command", platform="console", network_key=None, user_id="ann", text="help", event_id="p1"))
    assert "Test Network" in out[0].text


async def test_stranger_in_private_chat_is_told_how_to_join(harness):
    result = await harness.beacon.handle(Incoming(kind="message", platform="console", network_key=None, user_id="nobody", text="hi", event_id="p2"))
    assert result.immediate and "not in a network" in result.immediate[0]
    with harness.store.session() as s:
        assert s.exec(select(Member).where(Member.platform_user_id == "nobody")).first() is None


async def test_a_collision_with_another_process_retries_instead_of_dropping_the_event(harness, monkeypatch):
    """Two processes meet a new member at once and the loser's insert collides on
    the unique key: its event is handled on a second try, not dropped as a duplicate."""
    from sqlalchemy.exc import IntegrityError

    calls = []
    harness.beacon.router.command("hi", lambda ctx: (calls.append(ctx.member.id), ctx.reply("hello")), help="x")
    real_member = identify.member_of
    collided = []

    def collide_once(session, network, incoming, now, member=None):
        if not collided:
            collided.append(True)
            raise IntegrityError("INSERT INTO member …", {}, Exception("UNIQUE constraint failed: member"))
        return real_member(session, network, incoming, now, member)

    monkeypatch.setattr(identify, "member_of", collide_once)
    out = await harness.command("zed", "hi", event_id="race-1")
    assert collided and [d.text for d in out] == ["hello"] and len(calls) == 1
    assert await harness.command("zed", "hi", event_id="race-1") == []  # a real duplicate is still one


async def test_an_answer_in_an_open_conversation_reads_it_once(harness):
    """The route reads the member's conversation to choose the handler; the handler is handed
    that row instead of reading it again (every plain message paid for two identical SELECTs)."""
    h = harness
    h.add_member("ana", timezone="Europe/London")
    await h.command("ana", "reflect")
    reads: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM conversation" in statement:
            reads.append(statement)

    event.listen(h.store.engine, "before_cursor_execute", count)
    try:
        out = await h.say("ana", "a first answer")
    finally:
        event.remove(h.store.engine, "before_cursor_execute", count)
    assert "*2/4*" in out[-1].text  # the answer was taken and the next question asked
    assert len(reads) == 1, reads
