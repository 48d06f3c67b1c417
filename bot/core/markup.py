"""Light markup that flows write once and each platform renders its own way.

Flows write Slack-like text: ``*bold*``, ``_italic_``, ```code```, links as
``<https://example.org|label>``, people as ``<@user-id|name>`` (see
:func:`person`) and ``> `` quotes. User-written text (names of people and
networks included) is wrapped with :func:`literal` first so its asterisks stay
asterisks and its ``<https://…|Tap here>`` stays text.
"""

from __future__ import annotations

import html
import re

from rich.markup import escape as rich_escape

__all__ = ["count", "parse_channel", "literal", "person", "to_slack", "to_telegram_html", "to_plain", "to_markdown", "to_rich", "truncate"]

_TOKEN = re.compile(
    r"(?P<link><(?P<url>https?://[^|>\s]+)(?:\|(?P<label>[^>]+))?>)"
    r"|(?P<person><@(?P<uid>[^|>\s]+)\|(?P<who>(?:\u2063>|[^>])+)>)"
    r"|(?P<code>`[^`\n]+`)"
    r"|(?P<bold>(?<![\w*])\*(?=\S)[^*\n]+(?<=\S)\*(?![\w*]))"
    r"|(?P<italic>(?<![\w_])_(?=\S)[^_\n]+(?<=\S)_(?![\w_]))"
)
_ESCAPED = "\u2063"  # invisible separator marks user text that must not be styled


def literal(text: str) -> str:
    """Protect user text so markup characters inside it are shown as typed."""
    return re.sub(r"([*_`<])", _ESCAPED + r"\1", text)


def person(user_id: str, name: str) -> str:
    """A person, by their platform id and name: a mention that reaches them
    where the platform has one (Slack ``<@U…>``, Telegram's text mention, which
    needs no @username), else their name as text."""
    shown = literal(name).replace(">", _ESCAPED + ">") or "a member"
    return f"<@{user_id}|{shown}>"


def _unprotect(text: str) -> str:
    return text.replace(_ESCAPED, "")


def _render(text: str, *, link, code, bold, italic, escape, mention=None) -> str:
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        start = m.start()
        if start > 0 and text[start - 1] == _ESCAPED:
            continue
        out.append(escape(_unprotect(text[pos:start])))
        if m.group("link"):
            out.append(link(m.group("url"), _unprotect(m.group("label") or m.group("url"))))
        elif m.group("person"):
            who = _unprotect(m.group("who"))
            out.append(mention(m.group("uid"), who) if mention else escape(who))
        elif m.group("code"):
            out.append(code(_unprotect(m.group("code")[1:-1])))
        elif m.group("bold"):
            out.append(bold(_unprotect(m.group("bold")[1:-1])))
        else:
            out.append(italic(_unprotect(m.group("italic")[1:-1])))
        pos = m.end()
    out.append(escape(_unprotect(text[pos:])))
    return "".join(out)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_slack(text: str) -> str:
    """Slack mrkdwn: same syntax, with ``& < >`` escaped as Slack requires."""

    def escape(s: str) -> str:
        # keep "> " quote markers at line starts, escape every other angle bracket
        lines = s.split("\n")
        return "\n".join(("> " + _slack_escape(ln[2:])) if ln.startswith("> ") else _slack_escape(ln) for ln in lines)

    return _render(
        text,
        link=lambda url, label: f"<{url}|{_slack_escape(label)}>",
        code=lambda s: f"`{_slack_escape(s)}`",
        bold=lambda s: f"*{_slack_escape(s)}*",
        italic=lambda s: f"_{_slack_escape(s)}_",
        escape=escape,
        mention=lambda uid, who: f"<@{uid}>" if re.fullmatch(r"[UW][A-Z0-9]+", uid) else _slack_escape(who),
    )


def to_telegram_html(text: str) -> str:
    """Telegram's HTML parse mode, every user character escaped."""
    esc = lambda s: html.escape(s, quote=False)  # noqa: E731
    rendered = _render(
        text,
        link=lambda url, label: f'<a href="{html.escape(url)}">{esc(label)}</a>',
        code=lambda s: f"<code>{esc(s)}</code>",
        bold=lambda s: f"<b>{esc(s)}</b>",
        italic=lambda s: f"<i>{esc(s)}</i>",
        escape=esc,
        mention=lambda uid, who: f'<a href="tg://user?id={uid}">{esc(who)}</a>' if uid.isascii() and uid.isdigit() else esc(who),
    )
    return re.sub(r"(?m)^&gt; (.*)$", r"<blockquote>\1</blockquote>", rendered)


def to_plain(text: str) -> str:
    """Text with the markup removed, for logs, previews and plain terminals."""
    return _render(
        text,
        link=lambda url, label: label if label == url else f"{label} ({url})",
        code=lambda s: s,
        bold=lambda s: s,
        italic=lambda s: s,
        escape=lambda s: s,
    )


def to_markdown(text: str) -> str:
    """Markdown (for exported reports): ``**bold**``, ``_italic_``, links as ``[label](url)``."""
    md = lambda s: re.sub(r"([\\`*_\[\]<>#])", r"\\\1", s)  # noqa: E731
    return _render(
        text,
        link=lambda url, label: f"[{md(label)}]({url})",
        code=lambda s: f"`{s}`",
        bold=lambda s: f"**{md(s)}**",
        italic=lambda s: f"_{md(s)}_",
        escape=lambda s: "\n".join(("> " + md(ln[2:])) if ln.startswith("> ") else md(ln) for ln in s.split("\n")),
    )


def to_rich(text: str) -> str:
    """Rich console markup, user text escaped so ``[brackets]`` survive."""
    return _render(
        text,
        link=lambda url, label: f"[link={url}]{rich_escape(label)}[/link]",
        code=lambda s: f"[cyan]{rich_escape(s)}[/cyan]",
        bold=lambda s: f"[bold]{rich_escape(s)}[/bold]",
        italic=lambda s: f"[italic]{rich_escape(s)}[/italic]",
        escape=rich_escape,
    )


_SLACK_CHANNEL = re.compile(r"^<#([A-Z0-9]+)(?:\|[^>]*)?>$")


def parse_channel(text: str) -> str | None:
    """A channel as people type it: ``#name``, ``name`` or Slack's ``<#C123|name>`` link
    (whose id is what the Slack API needs); ``None`` for nothing at all."""
    value = text.strip()
    m = _SLACK_CHANNEL.match(value)
    if m:
        return m.group(1)
    return value.lstrip("#").strip()[:100] or None


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 member``, ``2 members``: every count in a message agrees in number through here."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def truncate(text: str, limit: int, marker: str = "… (cut: too long)") -> str:
    """Cut ``text`` to ``limit`` characters with a visible marker, never silently."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))].rstrip() + marker
