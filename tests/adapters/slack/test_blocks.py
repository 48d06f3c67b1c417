"""The pure Slack modules: Block Kit rendering within Slack's limits, and
payload normalisation into Incoming."""

from __future__ import annotations

import json

from bot.adapters.slack.blocks import (
    CUT_MARKER,
    HOME_ITEMS,
    MAX_BLOCKS,
    MAX_SECTION,
    decode_action_id,
    render_home,
    render_message,
    render_modal,
    split_mrkdwn,
)
from bot.adapters.slack.events import normalise
from bot.core.markup import literal
from bot.core.messages import Address, Choice, Field, Form, HomeItem, HomeSection, Outgoing
from tests.fakes import (
    slack_app_mention,
    slack_block_actions,
    slack_message_im,
    slack_selected,
    slack_slash_command,
    slack_view_submission,
)
from tests.fakes.slack_api import SURFACE_BLOCKS, block_problems, view_problems

TO = Address.member(1)


def sections(blocks):
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


# -- rendering -------------------------------------------------------------------


def test_short_message_is_one_section_with_header_and_buttons():
    out = Outgoing(
        text="What did you *try*?",
        to=TO,
        header="Reflection",
        choices=(Choice("Answer", "reflect.answer", "7", style="primary"), Choice("Skip", "reflect.skip", "7")),
    )
    text, blocks = render_message(out)
    assert [b["type"] for b in blocks] == ["header", "section", "actions"]
    assert blocks[0]["text"]["text"] == "Reflection"
    assert sections(blocks) == ["What did you *try*?"]
    buttons = blocks[2]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Answer", "Skip"]
    assert buttons[0]["style"] == "primary" and "style" not in buttons[1]
    assert len({b["action_id"] for b in buttons}) == 2
    assert [decode_action_id(b["action_id"]) for b in buttons] == ["reflect.answer", "reflect.skip"]
    assert "Reflection" in text and "What did you *try*?" in text


def test_buttons_sharing_an_action_get_unique_ids_that_decode_back():
    choices = tuple(Choice(f"Option {i}", "pick", str(i)) for i in range(30))
    _, blocks = render_message(Outgoing(text="Pick", to=TO, choices=choices))
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5]  # at most 25 per actions block
    ids = [e["action_id"] for a in actions for e in a["elements"]]
    assert len(set(ids)) == 30 and {decode_action_id(i) for i in ids} == {"pick"}
    assert len({a["block_id"] for a in actions}) == 2


def test_decode_leaves_plain_action_ids_alone():
    assert decode_action_id("practice.steal") == "practice.steal"
    assert decode_action_id("a|b") == "a|b"
    assert decode_action_id("a|b|3") == "a|b"


def test_user_text_is_escaped_for_mrkdwn():
    _, blocks = render_message(Outgoing(text="From " + literal("<b> & *me*"), to=TO))
    assert sections(blocks) == ["From &lt;b&gt; &amp; *me*"]


def test_long_text_is_split_on_paragraphs_within_the_section_limit():
    paragraphs = [f"Paragraph {i}: " + "word " * 150 for i in range(12)]  # ~760 chars each
    _, blocks = render_message(Outgoing(text="\n\n".join(paragraphs), to=TO))
    texts = sections(blocks)
    assert len(texts) > 1 and all(len(t) <= MAX_SECTION for t in texts)
    assert all(t.startswith("Paragraph") for t in texts)  # every break is at a paragraph
    assert "\n\n".join(texts) == "\n\n".join(paragraphs).replace("&", "&amp;")


def test_a_paragraph_longer_than_a_section_breaks_at_lines_then_words():
    line = "x" * 100
    chunks = split_mrkdwn("\n".join([line] * 70), 3000)
    assert all(len(c) <= 3000 for c in chunks) and len(chunks) == 3
    assert all(set(c) <= {"x", "\n"} and not c.startswith("\n") for c in chunks)
    words = split_mrkdwn("word " * 2000, 3000)
    assert all(len(c) <= 3000 for c in words) and all(c.split(" ")[0] == "word" for c in words)
    blob = split_mrkdwn("y" * 7000, 3000)
    assert [len(c) for c in blob] == [3000, 3000, 1000]


def test_too_much_text_is_cut_with_a_visible_marker_never_over_the_limits():
    huge = "\n\n".join("z" * 2900 for _ in range(80))  # 80 sections' worth
    out = Outgoing(text=huge, to=TO, header="Digest", choices=(Choice("OK", "ok"),))
    text, blocks = render_message(out)
    assert len(blocks) == MAX_BLOCKS
    assert blocks[0]["type"] == "header" and blocks[-1]["type"] == "actions"
    texts = sections(blocks)
    assert all(len(t) <= MAX_SECTION for t in texts)
    assert texts[-1].endswith(CUT_MARKER)
    assert len(text) <= 40_000 and text.endswith(CUT_MARKER)


def test_long_header_and_button_label_are_shortened():
    out = Outgoing(text="x", to=TO, header="H" * 400, choices=(Choice("L" * 200, "a"),))
    _, blocks = render_message(out)
    assert len(blocks[0]["text"]["text"]) <= 150
    assert len(blocks[-1]["elements"][0]["text"]["text"]) <= 75


def test_empty_text_with_buttons_still_renders():
    text, blocks = render_message(Outgoing(text="", to=TO, choices=(Choice("Go", "go"),)))
    assert text and [b["type"] for b in blocks] == ["actions"]


def test_modal_has_one_input_per_field_and_carries_form_and_context():
    form = Form(
        id="reflection.answer",
        title="Your weekly reflection, please",
        context="flow=3;occ=9",
        intro="Four short questions",
        fields=(
            Field(name="tried", label="What did you try?", required=True, max_length=800, multiline=True, hint="A sentence is fine"),
            Field(name="mode", label="How?", options=("adapted", "accelerated", "closely_based"), initial="adapted"),
            Field(name="note", label="Anything else", max_length=10_000, initial="hi"),
        ),
    )
    view = render_modal(form)
    assert view["type"] == "modal" and view["callback_id"] == "reflection.answer"
    assert len(view["title"]["text"]) <= 24
    assert json.loads(view["private_metadata"]) == {"form": "reflection.answer", "context": "flow=3;occ=9"}
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["tried", "mode", "note"]
    tried, mode, note = inputs
    assert tried["optional"] is False and tried["element"]["multiline"] is True
    assert tried["element"]["max_length"] == 800 and tried["hint"]["text"] == "A sentence is fine"
    assert mode["optional"] is True and mode["element"]["type"] == "static_select"
    assert [o["value"] for o in mode["element"]["options"]] == ["adapted", "accelerated", "closely_based"]
    assert mode["element"]["initial_option"]["value"] == "adapted"
    assert note["element"]["max_length"] == 3000 and note["element"]["initial_value"] == "hi"


# -- normalisation -----------------------------------------------------------------


def test_slash_command_in_a_dm_and_in_a_channel():
    body = slack_slash_command("help reflect", user_id="U1", team_id="T1", trigger_id="111.222.abc")
    inc = normalise(body)
    assert (inc.kind, inc.text, inc.user_id, inc.network_key) == ("command", "help reflect", "U1", "T1")
    assert inc.is_private and inc.trigger == "111.222.abc" and inc.event_id == "cmd:111.222.abc"
    inc = normalise(slack_slash_command("share", channel_id="C0LEARN01", channel_name="learning"))
    assert not inc.is_private and inc.conversation == "C0LEARN01"


def test_dm_message_and_ignored_messages():
    inc = normalise(slack_message_im("my answer", user="U1", channel="D0U1", event_id="Ev123"))
    assert (inc.kind, inc.text, inc.is_private, inc.event_id) == ("message", "my answer", True, "Ev123")
    assert normalise(slack_message_im("from a bot", bot_id="B1")) is None
    edited = slack_message_im("x")
    edited["event"]["subtype"] = "message_changed"
    assert normalise(edited) is None
    assert normalise(slack_message_im("me", user="UBOT0001"), "UBOT0001") is None


def test_app_mention_with_words_is_a_command_and_without_is_a_message():
    inc = normalise(slack_app_mention("help", user="U1", channel="C1"))
    assert (inc.kind, inc.text, inc.is_private, inc.conversation) == ("command", "help", False, "C1")
    inc = normalise(slack_app_mention("", user="U1"))
    assert (inc.kind, inc.text) == ("message", "")


def test_button_press_carries_the_original_action_id_and_the_message():
    body = slack_block_actions(
        "reflect.skip|3", "42", user_id="U1", channel_id="D0U1", message_ts="100.5", message_text="Time to reflect", trigger_id="9.9.9"
    )
    body["actions"][0]["text"]["text"] = "Skip"
    inc = normalise(body)
    assert (inc.kind, inc.action_id, inc.value, inc.action_label) == ("action", "reflect.skip", "42", "Skip")
    assert inc.message_ref == "D0U1:100.5" and inc.message_text == "Time to reflect"
    assert inc.trigger == "9.9.9" and inc.event_id == "act:9.9.9" and inc.is_private


def test_select_choice_and_ephemeral_message_ref():
    body = slack_block_actions("pick", channel_id="C1", response_url="http://127.0.0.1/r/1")
    body["actions"][0] = {"action_id": "pick|0", "block_id": "b", "type": "static_select", **slack_selected("accelerated", "Accelerated")}
    body["container"]["is_ephemeral"] = True
    inc = normalise(body)
    assert (inc.action_id, inc.value, inc.action_label) == ("pick", "accelerated", "Accelerated")
    assert inc.message_ref == "http://127.0.0.1/r/1" and not inc.is_private


def test_view_submission_reads_values_form_and_context():
    meta = json.dumps({"form": "steal.how", "context": "practice=4"})
    body = slack_view_submission(
        "steal.how",
        {
            "how": {"how": "We used it for induction"},
            "mode": {"mode": slack_selected("adapted")},
            "note": {"note": {"type": "plain_text_input", "value": None}},
        },
        private_metadata=meta,
        user_id="U1",
    )
    inc = normalise(body)
    assert (inc.kind, inc.form_id, inc.form_context) == ("form", "steal.how", "practice=4")
    assert inc.form_values == {"how": "We used it for induction", "mode": "adapted", "note": ""}
    assert inc.trigger and inc.event_id.startswith("view:")


# -- the Home tab ------------------------------------------------------------------------


def test_an_empty_home_is_one_valid_block():
    view = render_home([])
    assert view["type"] == "home" and len(view["blocks"]) == 1
    assert block_problems(view["blocks"], SURFACE_BLOCKS) == view_problems(view) == []


def test_a_home_with_long_lists_and_long_texts_stays_within_a_views_limits():
    def section(name: str, n: int) -> HomeSection:
        items = tuple(HomeItem(text="y" * 5000, choices=(Choice("D" * 100, "commitment.done", str(i)), Choice("Change…", "commitment.change", str(i))))
                      for i in range(n))  # fmt: skip
        return HomeSection(name=name, title="T" * 300, text="x" * 4000, items=items, choices=(Choice("Run now…", "x.run"),))

    sections = [section(f"s{i}", 40) for i in range(6)]
    view = render_home(sections)
    assert len(view["blocks"]) <= SURFACE_BLOCKS
    assert block_problems(view["blocks"], SURFACE_BLOCKS) == view_problems(view) == []
    mores = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"].startswith("home.more|")]
    assert [m["value"] for m in mores] == [f"s{i}" for i in range(6)]  # every cut list says so, and which list it is
    # a short list is shown whole
    small = render_home([section("short", 3)])
    assert HOME_ITEMS > 3 and not any("home.more" in json.dumps(b) for b in small["blocks"])
