"""Renderings of the digest: within each platform's limits, private text nowhere,
a PNG of the promised size, and exports with the right columns."""

from __future__ import annotations

import csv
import io
import json
import struct
from dataclasses import replace

from sqlmodel import select

from bot.adapters.slack.blocks import MAX_BLOCKS, MAX_SECTION, render_message
from bot.adapters.telegram.render import MAX_TEXT, split_markup
from bot.core.markup import to_telegram_html
from bot.core.messages import Address
from bot.flows.digest.chart import HEIGHT, WIDTH, render_chart
from bot.flows.digest.data import build_digest
from bot.flows.digest.export import COLUMNS, export
from bot.flows.digest.participation import Quiet
from bot.flows.digest.period import period_between, period_ending
from bot.flows.digest.render import build_doc, to_html, to_markdown, to_outgoing, to_text
from bot.flows.digest.sections import Excerpt
from bot.store.models import Network
from tests.support.digest import END_DAY, SECRET, TZ, build


def _digest(store):
    with store.session() as session:
        build(session)
    with store.session() as session:
        net = session.exec(select(Network).where(Network.platform_key == "tokyo")).one()
        return build_digest(session, net, period_ending(END_DAY, TZ))


def _huge(d):
    """The same digest with everything at its caps, and long user text full of markup."""
    long = ("*Really* long_text <with> & markup " * 20)[:280]
    p = replace(d.participation, quiet=Quiet(weeks=3, count=400, names=tuple(f"Person_{i} *{'x' * 80}*" for i in range(20))))
    r = replace(d.reflections, excerpts=tuple(Excerpt(who="a member", text=long) for _ in range(5)))
    return replace(d, participation=p, reflections=r, pairs=replace(d.pairs, learned=(long,) * 5))


def test_names_only_for_coordinators(sqlite_store):
    d = _digest(sqlite_store)
    named, counts = to_text(build_doc(d, names=True)), to_text(build_doc(d, names=False))
    assert "m10, m8" in named
    assert "Gone quiet (3+ weeks without a sign of life): *2*" in counts and "m10" not in counts and "m8" not in counts


def test_private_text_never_rendered(sqlite_store):
    d = _digest(sqlite_store)
    for names in (True, False):
        doc = build_doc(d, names=names)
        for text in (to_text(doc), to_markdown(doc), to_html(doc)):
            assert SECRET not in text and "NOT MARKED" not in text
            assert "peer review of case notes" in text.lower()


def test_sections_only_when_they_have_something_to_say(sqlite_store):
    d = _digest(sqlite_store)
    titles = [s.title for s in build_doc(d, names=True).sections]
    assert titles == ["Participation", "Reflections", "Commitments", "Learning pairs", "Steal with pride", "What to look at"]
    empty = replace(d, pairs=replace(d.pairs, formed=0, answered=0), commitments=replace(d.commitments, made=0, done=0, overdue=0))
    assert "Learning pairs" not in [s.title for s in build_doc(empty, names=True).sections]
    text = to_text(build_doc(d, names=True))
    assert "Steal mix this period: adapted 50% · accelerated 25% · closely based 25%" in text
    assert "How Beacon Scheme members who changed practice after a visit did it: 63% adapted an idea" in text


def test_slack_limits(sqlite_store):
    for d in (_digest(sqlite_store),):
        for digest in (d, _huge(d)):
            out = to_outgoing(build_doc(digest, names=True), Address.member(1))
            _text, blocks = render_message(out)
            assert len(blocks) <= MAX_BLOCKS
            assert blocks[0]["type"] == "header"
            for b in blocks[1:]:
                assert len(b["text"]["text"]) <= MAX_SECTION
            assert not any("(cut: too long" in b["text"]["text"] for b in blocks[1:])


def test_telegram_limits(sqlite_store):
    huge = _huge(_digest(sqlite_store))
    text = to_text(build_doc(huge, names=True))
    parts = split_markup(text)
    assert all(len(to_telegram_html(p)) <= MAX_TEXT for p in parts)
    assert "&lt;with&gt;" in to_telegram_html(text)  # user text escaped, not taken as HTML


def test_chart_is_a_png_of_the_promised_size(sqlite_store):
    png = render_chart(_digest(sqlite_store))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (WIDTH, HEIGHT) == (1200, 700)


def test_csv_and_json_exports(sqlite_store):
    with sqlite_store.session() as session:
        people = build(session)
        ids = {name: m.id for name, m in people.items()}
        net = session.exec(select(Network).where(Network.platform_key == "tokyo")).one()
        period = period_between(END_DAY.replace(day=2), END_DAY.replace(day=8), TZ)
        rows = list(csv.DictReader(io.StringIO(export(session, net, "csv", period))))
        data = json.loads(export(session, net, "json", period))
        html = export(session, net, "html", period)
    assert tuple(rows[0].keys()) == COLUMNS
    assert len(rows) == 12  # one week, every member who had joined by its end (m11 included)
    by = {int(r["member_id"]): r for r in rows}
    assert by[ids["m1"]]["prompts_sent"] == "11" and by[ids["m1"]]["prompts_answered"] == "5"
    assert by[ids["m2"]]["reflections_shared"] == "1" and by[ids["m2"]]["steals"] == "1"
    assert by[ids["m7"]]["pairs_met"] == "1" and by[ids["m7"]]["active"] == "1"
    assert by[ids["m8"]]["active"] == "0" and by[ids["m11"]]["active"] == "1"
    assert by[ids["coord"]]["practices_posted"] == "2"
    assert [e["who"] for e in data["shared_excerpts"]] == ["m2", "a member"]  # m4 shared, but not that answer
    assert SECRET not in json.dumps(data) and SECRET not in html and "data:image/png;base64," in html


def test_arrows_baselines_and_flags_say_what_is_true(sqlite_store):
    d = _digest(sqlite_store)
    p = d.participation
    text = to_text(build_doc(d, names=True))
    assert "(*45%*; the 4 weeks before: 70%) ↓" in text  # 25 points down, 11 and 20 prompts: an arrow
    small = replace(d, participation=replace(p, answered=7, sent=11, baseline_sent=20, baseline_answered=14))  # 64% vs 70%
    assert "↓" not in to_text(build_doc(small, names=True)) and "↑" not in to_text(build_doc(small, names=True))
    young = replace(d, participation=replace(p, baseline_periods=1))
    young_text = to_text(build_doc(young, names=True))
    assert "the 4 weeks before" not in young_text and "the week before: 70%" in young_text
    ten = replace(d, period=period_between(END_DAY.replace(day=1), END_DAY.replace(day=10), TZ),
                  commitments=replace(d.commitments, overdue=6, done=1))  # fmt: skip
    flags = to_text(build_doc(ten, names=True))
    assert "were done in these 10 days" in flags and "this week" not in flags.split("What to look at")[1]
