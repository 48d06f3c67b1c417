"""The fake Slack Web API refuses what real Slack refuses (../shared/PLATFORMS.md).

Each test drives the real slack_sdk client against the fake, one behaviour of
real Slack each, so a Beacon test that passes against the fake would pass
against Slack for that behaviour too.
"""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import FakeSlack
from tests.fakes.slack_api import POST_BURST, TOKEN_ERRORS

TOKEN = "xoxb-test-token"


@pytest.fixture
def now():
    return [1000.0]


@pytest.fixture
async def slack(now):
    async with FakeSlack(clock=lambda: now[0]) as fake:
        yield fake


@pytest.fixture
async def web(slack):
    client = AsyncWebClient(token=TOKEN, base_url=slack.api_url)
    yield client
    if client.session is not None:
        await client.session.close()


async def refused(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value


# -- people ------------------------------------------------------------------


async def test_a_deactivated_users_dm_still_takes_posts_while_users_info_says_deleted(slack, web):
    slack.add_user("U0ALICE01", name="alice")
    slack.deactivate("U0ALICE01")

    posted = await web.chat_postMessage(channel="U0ALICE01", text="still accepted")
    assert posted["ok"] and [m["text"] for m in slack.messages(slack.dm_channel("U0ALICE01"))] == ["still accepted"]
    assert (await web.users_info(user="U0ALICE01"))["user"]["deleted"] is True
    listed = {u["id"]: u["deleted"] for u in (await web.users_list())["members"]}
    assert listed["U0ALICE01"] is True


async def test_users_list_pages_through_everyone(slack, web):
    for i in range(5):
        slack.add_user(f"U0PAGE{i:03d}")
    seen, cursor = [], None
    while True:
        page = await web.users_list(limit=2, cursor=cursor)
        seen += [u["id"] for u in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(slack.users)


async def test_user_change_events_carry_the_new_zone_and_deleted(slack, web):
    slack.add_user("U0ALICE01", tz="Europe/London")
    moved = slack.change_user("U0ALICE01", tz="America/New_York", tz_offset=-18000)
    assert moved["type"] == "event_callback" and moved["team_id"] == slack.team_id
    event = moved["event"]
    assert event["type"] == "user_change" and event["user"]["tz"] == "America/New_York" and event["user"]["deleted"] is False
    assert (await web.users_info(user="U0ALICE01"))["user"]["tz"] == "America/New_York"

    gone = slack.deactivate("U0ALICE01")["event"]
    assert gone["user"]["deleted"] is True and gone["user"]["updated"] > event["user"]["updated"]
    back = slack.change_user("U0ALICE01", deleted=False)["event"]
    assert back["user"]["deleted"] is False


# -- the workspace's token -----------------------------------------------------


@pytest.mark.parametrize("error", sorted(TOKEN_ERRORS - {"not_authed"}))
async def test_token_errors_are_answered_for_the_workspace_whoever_is_addressed(slack, web, error):
    slack.revoke(error)
    for call in (
        web.chat_postMessage(channel="U0ALICE01", text="x"),
        web.chat_postMessage(channel="C0LEARN01", text="x"),
        web.users_info(user="U0BOB0001"),
    ):
        assert (await refused(call)).response["error"] == error
    slack.restore()
    assert (await web.chat_postMessage(channel="U0ALICE01", text="x"))["ok"]


async def test_a_call_without_a_token_is_not_authed(slack):
    error = await refused(AsyncWebClient(base_url=slack.api_url).users_info(user="U0ALICE01"))
    assert error.response["error"] == "not_authed"


async def test_token_errors_cannot_be_pinned_on_one_addressee(slack):
    for error in TOKEN_ERRORS:
        with pytest.raises(ValueError, match="workspace"):
            slack.fail_for("U0ALICE01", error=error)


async def test_uninstalling_and_revoking_send_their_events_and_stop_the_token(slack, web):
    uninstalled = slack.uninstall()
    assert uninstalled["event"]["type"] == "app_uninstalled"
    assert (await refused(web.chat_postMessage(channel="C1", text="x"))).response["error"] == "account_inactive"
    slack.restore()
    revoked = slack.revoke_tokens()
    assert revoked["event"]["type"] == "tokens_revoked" and revoked["event"]["tokens"]["bot"] == [slack.bot_user_id]
    assert (await refused(web.auth_test())).response["error"] == "token_revoked"


async def test_a_revoked_token_leaves_a_new_installs_token_working(slack):
    slack.revoke("token_revoked", token="xoxb-old")
    old = AsyncWebClient(token="xoxb-old", base_url=slack.api_url)
    new = AsyncWebClient(token="xoxb-new", base_url=slack.api_url)
    assert (await refused(old.auth_test())).response["error"] == "token_revoked"
    assert (await new.auth_test())["ok"]


# -- Block Kit limits ------------------------------------------------------------


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, value: str = "v") -> dict:
    return {"type": "actions", "elements": [{"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": text}, "value": value}]}


def modal(title: str, blocks: list) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks}


@pytest.mark.parametrize(
    "blocks",
    [
        pytest.param([section("x")] * 51, id="51 blocks"),
        pytest.param([section("x" * 3001)], id="section text over 3000"),
        pytest.param([button("b" * 76)], id="button text over 75"),
        pytest.param([button("ok", "v" * 2001)], id="button value over 2000"),
    ],
)
async def test_a_message_past_block_kit_limits_is_invalid_blocks(slack, web, blocks):
    error = await refused(web.chat_postMessage(channel="C0LEARN01", text="x", blocks=blocks))
    assert error.response["error"] == "invalid_blocks" and error.response["response_metadata"]["messages"]
    assert slack.messages("C0LEARN01") == []


async def test_a_message_at_block_kit_limits_is_accepted(slack, web):
    blocks = [section("x" * 3000)] * 49 + [button("b" * 75, "v" * 2000)]
    assert (await web.chat_postMessage(channel="C0LEARN01", text="x", blocks=blocks))["ok"]


async def test_edits_are_held_to_the_same_limits(slack, web):
    posted = await web.chat_postMessage(channel="C0LEARN01", text="x")
    error = await refused(web.chat_update(channel=posted["channel"], ts=posted["ts"], text="y", blocks=[section("x" * 3001)]))
    assert error.response["error"] == "invalid_blocks"


async def test_modals_and_home_allow_100_blocks_and_a_24_character_title(slack, web):
    assert (await web.views_open(trigger_id="1.2.3", view=modal("t" * 24, [section("x")] * 100)))["ok"]
    assert (await refused(web.views_open(trigger_id="1.2.3", view=modal("t" * 24, [section("x")] * 101)))).response["error"] == "invalid_blocks"
    assert (await refused(web.views_open(trigger_id="1.2.3", view=modal("t" * 25, [section("x")])))).response["error"] == "invalid_blocks"
    home = {"type": "home", "blocks": [section("x")] * 101}
    assert (await refused(web.views_publish(user_id="U0ALICE01", view=home))).response["error"] == "invalid_blocks"


# -- posting rate --------------------------------------------------------------


async def test_posting_to_one_channel_past_a_burst_is_429_with_retry_after(slack, web, now):
    for i in range(POST_BURST):
        await web.chat_postMessage(channel="C0LEARN01", text=f"burst {i}")
    error = await refused(web.chat_postMessage(channel="C0LEARN01", text="one too many"))
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "1" and error.response["error"] == "ratelimited"
    assert (await web.chat_postMessage(channel="C0OTHER01", text="another channel"))["ok"]  # the limit is per channel
    now[0] += 1
    assert (await web.chat_postMessage(channel="C0LEARN01", text="a second later"))["ok"]
    assert (await refused(web.chat_postMessage(channel="C0LEARN01", text="again too soon"))).response.status_code == 429
    assert slack.rate_limited_count == 2


async def test_a_test_that_needs_no_posting_limit_asks_for_it(now):
    async with FakeSlack(clock=lambda: now[0], rate_limits=False) as slack:
        web = AsyncWebClient(token=TOKEN, base_url=slack.api_url)
        for i in range(POST_BURST * 2):
            await web.chat_postMessage(channel="C0LEARN01", text=f"{i}")
        await web.session.close() if web.session else None
    assert len(slack.messages("C0LEARN01")) == POST_BURST * 2


# -- files -------------------------------------------------------------------


async def test_files_upload_is_retired(slack, web):
    error = await refused(web.api_call("files.upload", data={"channels": "C0LEARN01", "content": "x"}))
    assert error.response["error"] == "method_deprecated"


async def test_files_upload_v2_records_the_alt_text(slack, web):
    result = await web.files_upload_v2(channel="C0LEARN01", content=b"\x89PNG", filename="chart.png", alt_txt="Answers per week, rising")
    stored = slack.files[result["file"]["id"]]
    assert stored["alt_txt"] == "Answers per week, rising" and stored["channels"] == ["C0LEARN01"]
    assert [c.method for c in slack.calls if c.method.startswith("files.")] == ["files.getUploadURLExternal", "files.completeUploadExternal"]


async def test_a_method_the_fake_does_not_model_is_unknown_not_quietly_ok(slack, web):
    error = await refused(web.api_call("conversations.kick", data={"channel": "C1", "user": "U1"}))
    assert error.response["error"] == "unknown_method"


# -- the Home tab (views.publish) ------------------------------------------------


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


async def test_a_home_view_at_its_limits_is_published_and_kept_for_the_user(slack, web):
    blocks = [header("h" * 150)] + [section("x" * 3000)] * 98 + [button("b" * 75, "v" * 2000)]
    assert (await web.views_publish(user_id="U0ALICE01", view={"type": "home", "blocks": blocks}))["ok"]
    assert len(slack.homes["U0ALICE01"]["blocks"]) == 100


@pytest.mark.parametrize(
    "blocks",
    [
        [section("x")] * 101,
        [section("x" * 3001)],
        [header("h" * 151)],
        [button("b" * 76)],
        [{"type": "actions", "elements": button("b")["elements"] * 26}],
        [{**section("a"), "block_id": "same"}, {**section("b"), "block_id": "same"}],
    ],
    ids=["101 blocks", "section text", "header", "button text", "26 buttons", "duplicate block_id"],
)
async def test_a_home_view_past_any_limit_is_invalid_blocks(slack, web, blocks):
    error = await refused(web.views_publish(user_id="U0ALICE01", view={"type": "home", "blocks": blocks}))
    assert error.response["error"] == "invalid_blocks"
    assert "U0ALICE01" not in slack.homes


async def test_views_publish_takes_only_a_home_view_for_a_user(slack, web):
    assert (await refused(web.views_publish(user_id="U0ALICE01", view={"type": "modal", "blocks": []}))).response["error"] == "invalid_arguments"
    assert (await refused(web.views_publish(user_id="", view={"type": "home", "blocks": []}))).response["error"] == "invalid_arguments"


async def test_views_publish_past_100_a_minute_is_429(slack, web, now):
    for _ in range(100):
        await web.views_publish(user_id="U0ALICE01", view={"type": "home", "blocks": [section("x")]})
    error = await refused(web.views_publish(user_id="U0ALICE01", view={"type": "home", "blocks": [section("x")]}))
    assert error.response.status_code == 429 and int(error.response.headers["Retry-After"]) >= 1
    now[0] += 61
    assert (await web.views_publish(user_id="U0ALICE01", view={"type": "home", "blocks": [section("x")]}))["ok"]
