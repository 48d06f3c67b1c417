"""Pure Telegram rendering: escaping, keyboards, callback data, splitting."""

from __future__ import annotations

from bot.adapters.telegram.render import (
    MAX_CALLBACK_BYTES,
    CallbackCodec,
    keyboard,
    render,
    render_edit,
    split_markup,
)
from bot.core.markup import literal
from bot.core.messages import Address, Attachment, Choice, Outgoing


def _out(text: str, **kw) -> Outgoing:
    return Outgoing(text=text, to=Address.member(1), **kw)


def test_user_text_is_escaped_and_markup_rendered():
    r = render(_out(f"*Your note*: {literal('a < b && c > d *not bold*')}", header="Week <3>"), CallbackCodec())
    assert r.parts == ("<b>Week &lt;3&gt;</b>\n<b>Your note</b>: a &lt; b &amp;&amp; c &gt; d *not bold*",)


def test_short_labels_share_rows_and_long_ones_get_their_own():
    codec = CallbackCodec()
    short = keyboard([Choice("Yes", "a", "1"), Choice("No", "a", "2"), Choice("Later", "a", "3")], codec)
    assert [[b.text for b in row] for row in short.inline_keyboard] == [["Yes", "No"], ["Later"]]
    long = keyboard([Choice("Share with my name", "s", "1"), Choice("No", "s", "2")], codec)
    assert [[b.text for b in row] for row in long.inline_keyboard] == [["Share with my name"], ["No"]]


def test_callback_data_fits_64_bytes_and_round_trips():
    codec = CallbackCodec()
    assert codec.encode("reflection.answer", "12") == "reflection.answer|12"
    assert codec.decode("reflection.answer|12") == ("reflection.answer", "12")
    value = "an option written as a whole sentence, far too long for a button"
    data = codec.encode("form.option", value)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert codec.decode(data) == ("form.option", value)
    assert CallbackCodec().decode(data) is None  # after a restart: unknown, never guessed
    assert codec.decode("garbage") is None and codec.decode(None) is None


def test_split_at_paragraph_boundaries_under_4096():
    paragraphs = [f"Paragraph {i}: " + "x" * 1000 for i in range(10)]
    chunks = split_markup("\n\n".join(paragraphs))
    assert all(len(c) <= 4096 for c in chunks) and len(chunks) == 3  # 4 + 4 + 2 paragraphs
    assert "\n\n".join(chunks) == "\n\n".join(paragraphs)  # nothing lost, cut only between paragraphs


def test_split_counts_escaped_length_and_cuts_a_huge_paragraph_at_words():
    text = "a&b " * 2000  # 8000 characters, 14000 once & is escaped
    parts = render(_out(text), CallbackCodec()).parts
    assert all(len(p) <= 4096 for p in parts) and len(parts) == 4
    assert sum(p.count("a&amp;b") for p in parts) == 2000


def test_unbroken_text_is_still_cut():
    parts = render(_out("y" * 9000), CallbackCodec()).parts
    assert [len(p) for p in parts] == [4096, 4096, 808]


def test_keyboard_only_on_the_last_part_and_photo_caption():
    codec = CallbackCodec()
    r = render(_out("z " * 3000, choices=(Choice("OK", "ok"),)), codec)
    assert len(r.parts) == 2 and r.reply_markup is not None
    photo = render(_out("The *mix*", attachment=Attachment.picture(b"png")), codec)
    assert photo.parts == () and photo.caption == "The <b>mix</b>"
    long_photo = render(_out("c" * 2000, attachment=Attachment.file(b"a,b", "x.csv")), codec)
    assert long_photo.caption is None and long_photo.parts == ("c" * 2000,)


def test_edit_text_is_one_message_with_a_visible_cut():
    text, markup = render_edit(_out("q " * 5000), CallbackCodec())
    assert len(text) <= 4096 and text.endswith("(cut: too long)") and markup is None
