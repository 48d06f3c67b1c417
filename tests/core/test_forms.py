"""Whether a form opens as a modal is the incoming event's to say, not a platform name's."""

from __future__ import annotations

from bot.core.messages import Field, Form

FORM = Form(id="test.form", title="Tell us", fields=(Field(name="what", label="What happened", required=True),))


async def test_a_form_opens_as_a_modal_when_the_event_brings_a_trigger(harness):
    """Any adapter that gives its events a trigger gets the form to open as a modal (the console here)."""
    harness.beacon.router.command("form-test", lambda ctx: ctx.open_form(FORM), help="test only", hidden=True)
    harness.add_member("ann")
    out = await harness.command("ann", "form-test", trigger="T-1")
    assert [(d.outgoing.form, d.outgoing.trigger) for d in out] == [(FORM, "T-1")]


async def test_without_a_trigger_a_form_is_a_guided_chat(harness):
    harness.beacon.router.command("form-test", lambda ctx: ctx.open_form(FORM), help="test only", hidden=True)
    harness.add_member("ann")
    out = await harness.command("ann", "form-test")
    assert [d.outgoing.form for d in out] == [None]
    assert "What happened" in out[0].text and "(1 of 1)" in out[0].text


async def test_a_refused_answer_is_asked_again_and_the_others_are_kept(harness):
    """A handler refusing one field used to leave the chat on the last question, refusing every answer."""
    from bot.core.errors import FormErrors

    form = Form(
        id="test.two", title="Two things", fields=(Field(name="a", label="First", required=True), Field(name="b", label="Second", required=True))
    )
    got = []

    def handler(ctx):
        values = ctx.incoming.form_values
        if values["a"] == "bad":
            raise FormErrors({"a": "First can't be bad."})
        got.append(dict(values))
        ctx.reply("saved")

    harness.beacon.router.command("two-test", lambda ctx: ctx.open_form(form), help="test only", hidden=True)
    harness.beacon.router.form("test.two", handler)
    harness.add_member("ann")
    await harness.command("ann", "two-test")
    await harness.say("ann", "bad")
    out = await harness.say("ann", "kept")
    assert "First can't be bad" in out[0].text and "First" in out[-1].text and "(1 of 2)" in out[-1].text
    await harness.say("ann", "good")
    out = await harness.say("ann", "keep")  # the second answer was kept
    assert out[-1].text == "saved" and got == [{"a": "good", "b": "kept"}]
