"""Setup, members, roles and cohorts, driven through the harness (console platform)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.store.admin import Cohort
from bot.store.models import AuditEntry, Flow, Member, Network, Role


def _network(h) -> Network:
    with h.store.session() as s:
        return s.get(Network, h.network_id)


def _flows(h) -> dict[str, Flow]:
    with h.store.session() as s:
        return {f.kind: f for f in s.exec(select(Flow).where(Flow.network_id == h.network_id))}


def _audit(h) -> list[AuditEntry]:
    with h.store.session() as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.network_id == h.network_id).order_by(AuditEntry.id)))


async def test_setup_guided_through_chat(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    out = await h.command("fac", "setup")
    assert "six short questions" in out[0].text
    assert "Network name" in h.last("fac").text
    await h.say("fac", "North Housing Network")
    out = await h.say("fac", "Europe/Berlin")
    assert "Practice channel" in h.last("fac").text
    await h.say("fac", "#practices")
    assert "Reflection" in h.last("fac").text
    await h.say("fac", "keep")  # the default, every friday 16:00
    await h.say("fac", "every 2 weeks on tuesday 10:00")
    out = await h.say("fac", "off")  # no digest
    text = h.last("fac").text
    assert "is set up" in text and "How members join" in text and "/beacon join" in text
    net = _network(h)
    assert (net.name, net.timezone, net.practice_channel) == ("North Housing Network", "Europe/Berlin", "practices")
    flows = _flows(h)
    assert flows["reflection"].schedule == "every friday at 16:00" and flows["reflection"].enabled
    assert flows["pairing"].schedule == "every 2 weeks on tuesday at 10:00"
    assert "digest" not in flows  # turned off and never existed
    [entry] = _audit(h)
    assert entry.action == "network.setup" and entry.before["network"]["name"] == "Test Network"


async def test_setup_form_refuses_bad_time_zone_and_schedule(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    values = {"name": "X", "timezone": "Mars/Olympus", "practice_channel": "", "reflection": "sometimes", "pairing": "off", "digest": "off"}
    await h.submit("fac", "admin.setup", values)
    text = h.last("fac").text
    assert "Mars/Olympus" in text and "Europe/London" in text  # says what is wrong and gives examples
    assert "every friday 16:00" in text or "schedule" in text.lower()
    assert _network(h).name == "Test Network" and _flows(h) == {} and _audit(h) == []


async def test_setup_defaults_and_undo(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    values = {
        "name": "Renamed",
        "timezone": "America/New_York",
        "practice_channel": "<#C0PRACT|practices>",
        "reflection": "every friday 16:00",
        "pairing": "every 2 weeks on monday 10:00",
        "digest": "every monday 09:00",
    }
    await h.submit("fac", "admin.setup", values)
    flows = _flows(h)
    assert set(flows) == {"reflection", "pairing", "digest"}
    assert _network(h).practice_channel == "C0PRACT"
    out = await h.command("fac", "undo")
    assert "Undone" in out[-1].text
    assert _flows(h) == {}
    net = _network(h)
    assert (net.name, net.timezone, net.practice_channel) == ("Test Network", "Europe/London", None)


async def test_members_lists_status_role_cohort_and_pages(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR, display_name="Fay Facil")
    h.add_member("pia", display_name="Pia Paused", paused_until=h.clock.now() + timedelta(days=10), organisation="Leeds CC")
    h.add_member("ulf", display_name="Ulf Unreach", unreachable=True)
    h.add_member("nia", display_name="Nia Nochat", has_private_chat=False, cohort="wave 1")
    out = await h.command("fac", "members")
    text = out[-1].text
    assert "Pia Paused: paused until 12 Nov; Leeds CC" in text
    assert "Ulf Unreach: unreachable" in text
    assert "Nia Nochat: not yet started a private chat; cohort wave 1" in text
    assert "Fac: active; facilitator" in text  # the platform name wins
    for i in range(30):
        h.add_member(f"m{i:02d}", display_name=f"Member {i:02d}")
    first = (await h.command("fac", "members"))[-1].text
    assert "Page 1 of 2" in first and "/beacon members 2" in first and "Member 29" not in first
    second = (await h.command("fac", "members 2"))[-1].text
    assert "Member 29" in second and "Page 2 of 2" in second
    bad = (await h.command("fac", "members 3"))[-1].text
    assert "2 pages" in bad


async def test_members_csv_is_a_file_with_formula_cells_defused(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("eve", display_name="=HYPERLINK(evil)")
    out = await h.command("fac", "members csv")
    msg = out[-1].outgoing
    assert (msg.attachment.kind, msg.attachment.name, msg.attachment.mime_type) == ("file", "members.csv", "text/csv")
    body = msg.attachment.content.decode()
    assert body.splitlines()[0] == "name,username,role,organisation,cohort,status,joined"
    assert "'=HYPERLINK(evil)" in body and "Fac" in body


async def test_role_grant_by_username_name_and_slack_mention(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("U0SAM", display_name="Sam Jones", username="sam")
    h.add_member("U0KIM", display_name="Kim Lee")
    await h.command("fac", "role grant @sam coordinator")
    assert h.member("U0SAM").roles == {Role.COORDINATOR}
    assert "made you a coordinator" in h.last("U0SAM").text
    await h.command("fac", 'role grant "Kim Lee" facilitator')
    assert h.member("U0KIM").roles == {Role.FACILITATOR}
    await h.command("fac", "role revoke <@U0KIM|kim> facilitator")
    assert h.member("U0KIM").roles == frozenset()
    await h.command("fac", "role revoke <@U0SAM> coordinator")
    assert h.member("U0SAM").roles == frozenset()
    out = await h.command("fac", "role grant @nobody facilitator")
    assert "no such member" in out[-1].text
    out = await h.command("fac", "role grant @sam boss")
    assert "not a role" in out[-1].text and "Usage" in out[-1].text
    actions = [(e.action, e.before, e.after) for e in _audit(h)]
    assert actions[0] == ("role.grant", {"roles": []}, {"roles": ["coordinator"]})
    assert len(actions) == 4


async def test_last_facilitator_cannot_be_removed(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR, username="fac")
    h.add_member("bob", username="bob")
    out = await h.command("fac", "role revoke @fac facilitator")
    assert "last facilitator" in out[-1].text
    assert h.member("fac").roles == {Role.FACILITATOR}
    await h.command("fac", "role grant @bob facilitator")
    await h.command("fac", "role revoke @fac facilitator")
    assert h.member("fac").roles == frozenset()


async def test_role_undo(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("bob", username="bob")
    await h.command("fac", "role grant @bob coordinator")
    out = await h.command("fac", "undo")
    assert "Bob is a member again" in out[-1].text
    assert h.member("bob").roles == frozenset()


async def test_cohorts_add_assign_list_remove_and_undo(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("bob", username="bob")
    h.add_member("ann", username="ann")
    await h.command("fac", 'cohort add "wave 2"')
    out = await h.command("fac", 'cohort add "Wave 2"')
    assert "already a cohort" in out[-1].text
    out = await h.command("fac", "cohort assign @bob wave3")
    assert "no cohort `wave3`" in out[-1].text
    await h.command("fac", 'cohort assign @bob "wave 2"')
    await h.command("fac", 'cohort assign @ann "WAVE 2"')
    assert h.member("bob").cohort == "wave 2" and h.member("ann").cohort == "wave 2"
    out = await h.command("fac", "cohort list")
    assert "`wave 2`: 2 members" in out[-1].text and "In no cohort: 1" in out[-1].text
    await h.command("fac", 'cohort remove "wave 2"')
    assert h.member("bob").cohort is None
    with h.store.session() as s:
        assert s.exec(select(Cohort)).all() == []
    out = await h.command("fac", "undo")
    assert "back with 2 members" in out[-1].text
    assert h.member("bob").cohort == "wave 2" and h.member("ann").cohort == "wave 2"
    await h.command("fac", "undo")  # the assignment of ann
    assert h.member("ann").cohort is None
    assert [e.action for e in _audit(h)].count("undo") == 2


async def test_removing_a_cohort_a_flow_targets_warns_and_asks(harness):
    """Removing it used to leave the flow sending to nobody, without a word."""
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("bob", username="bob")
    await h.command("fac", 'cohort add "wave 2"')
    await h.command("fac", 'cohort assign @bob "wave 2"')
    await h.command("fac", "reflection add weekly weekly every friday 16:00")
    await h.command("fac", 'reflection audience weekly cohort "wave 2"')
    out = await h.command("fac", 'cohort remove "wave 2"')
    assert "`weekly` (reflection) sends to the cohort `wave 2`" in out[-1].text
    assert out[-1].labels == ["Remove it anyway", "Cancel"]
    assert h.member("bob").cohort == "wave 2"  # nothing removed yet
    await h.press("fac", "Cancel", message=out[-1])
    assert "The cohort stays" in h.last("fac").text and h.member("bob").cohort == "wave 2"
    out = await h.command("fac", 'cohort remove "wave 2"')
    await h.press("bob", "Remove it anyway", message=out[-1])  # only a facilitator may confirm
    assert h.member("bob").cohort == "wave 2"
    await h.press("fac", "Remove it anyway", message=out[-1])
    assert h.member("bob").cohort is None
    with h.store.session() as s:
        assert s.exec(select(Cohort)).all() == []
    out = await h.command("fac", "undo")
    assert "back with 1 member" in out[-1].text


async def test_help_shows_admin_commands_only_to_facilitators(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("bob")
    fac = (await h.command("fac", "help"))[-1].text
    bob = (await h.command("bob", "help"))[-1].text
    for name in ("/beacon setup", "/beacon members", "/beacon role", "/beacon cohort add", "/beacon audit", "/beacon undo"):
        assert name in fac and name not in bob
    assert "/beacon my-data" in bob and "/beacon forget-me" in bob
    with h.store.session() as s:
        assert s.exec(select(Member).where(Member.platform_user_id == "bob")).one().roles == frozenset()


async def test_setup_checks_each_answer_as_given_and_keeps_the_others(harness):
    """A bad time zone used to be found only after the last question, and the wizard then refused every answer."""
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    await h.command("fac", "setup")
    await h.say("fac", "North Housing Network")
    out = await h.say("fac", "Mars/Olympus")
    assert "Mars/Olympus" in out[-1].text and "time zone" in out[-1].text  # asked again, at once
    await h.say("fac", "Europe/Berlin")
    assert "Practice channel" in h.last("fac").text
    await h.say("fac", "skip")
    out = await h.say("fac", "sometimes")
    assert "Reflection" in h.last("fac").text and "sometimes" in out[-1].text.lower()  # asked again
    await h.say("fac", "keep")
    await h.say("fac", "off")
    out = await h.say("fac", "every 5 minutes")
    assert "digest" in h.last("fac").text.lower() and "is set up" not in h.last("fac").text
    out = await h.say("fac", "every monday 09:00")
    assert "is set up" in h.last("fac").text
    net = _network(h)
    assert (net.name, net.timezone) == ("North Housing Network", "Europe/Berlin")
    assert set(_flows(h)) == {"reflection", "digest"}


async def test_setup_can_be_left_at_any_step(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    for steps in range(6):
        await h.command("fac", "setup")
        for _ in range(steps):
            await h.say("fac", "keep")
        out = await h.say("fac", "stop" if steps % 2 else "cancel")
        assert "Cancelled" in out[-1].text, steps
        out = await h.say("fac", "hello")
        assert "don't have a question open" in out[-1].text
    assert _audit(h) == []


async def test_a_command_typed_while_a_form_is_open_runs_and_the_form_waits(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    await h.command("fac", "setup")
    await h.say("fac", "North")
    # typed as text (an alias the platform does not know, or the console): a command, not the time zone
    out = await h.say("fac", "/beacon help")
    assert "Commands:" in out[0].text or "/beacon" in out[0].text
    assert "still open" in out[-1].text and "Set up Beacon" in out[-1].text
    out = await h.say("fac", "/settings")
    assert "still open" in out[-1].text
    out = await h.command("fac", "members")
    assert "still open" in out[-1].text
    out = await h.say("fac", "Europe/Berlin")  # the form took up where it was
    assert "Practice channel" in out[-1].text
    assert _network(h).timezone == "Europe/London"  # nothing taken as an answer


async def test_an_answer_that_only_looks_like_a_command_is_still_the_answer(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    await h.command("fac", "setup")
    out = await h.say("fac", '/ "North Network')  # not a command: an odd name, with an open quote
    assert "Time zone" in out[-1].text
    assert "still open" not in out[-1].text
