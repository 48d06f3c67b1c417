"""The message model: what an attachment is, and outbox rows stored before it said so."""

from __future__ import annotations

import base64

from bot.core.messages import Address, Attachment, Outgoing


def test_an_attachment_says_whether_it_is_a_picture_or_a_file():
    chart = Attachment.picture(b"png")
    csv = Attachment.file(b"a,b\n", "members.csv")
    assert (chart.kind, chart.name, chart.mime_type, chart.is_picture) == ("picture", "chart.png", "image/png", True)
    assert (csv.kind, csv.name, csv.mime_type, csv.is_picture) == ("file", "members.csv", "text/csv", False)
    assert Attachment.file(b"?", "notes.unknownext").mime_type == "application/octet-stream"


def test_an_attachment_survives_the_outbox():
    out = Outgoing(text="data", to=Address.member(3), attachment=Attachment.file(b"{}", "my-data.json", "application/json"))
    assert Outgoing.from_dict(out.to_dict()) == out


def test_rows_stored_in_the_old_image_shape_still_read():
    old = {"text": "t", "to": Address.member(1).to_dict(), "image": base64.b64encode(b"a,b").decode(), "image_name": "members.csv"}
    assert Outgoing.from_dict(old).attachment == Attachment(kind="file", name="members.csv", mime_type="text/csv", content=b"a,b")
    old |= {"image": base64.b64encode(b"\x89PNG").decode(), "image_name": "digest.png"}
    assert Outgoing.from_dict(old).attachment.kind == "picture"
    del old["image_name"]
    assert Outgoing.from_dict(old).attachment.name == "chart.png"
    assert Outgoing.from_dict({"text": "t", "to": Address.member(1).to_dict(), "image": None, "image_name": "chart.png"}).attachment is None
