"""Logging set-up with a filter that masks every configured secret."""

from __future__ import annotations

import logging
import re

__all__ = ["configure_logging", "mask_secrets", "SecretMasker"]

# the password of any URL with one (``postgresql://user:pa55@host/db``): it is
# masked however short it is, where a bare secret is masked only from 6 characters
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")
# any Slack token (bot, user, app-level, refresh), configured or not: a new
# workspace's token arrives in oauth.v2.access's reply, which slack-sdk logs
# whole at DEBUG, before anything could add it to the configured secrets
_SLACK_TOKEN = re.compile(r"\b(xox[a-z]|xapp)[.-][A-Za-z0-9.-]+")


def mask_secrets(text: str, secrets: list[str]) -> str:
    """``text`` with every secret, every URL's password and every Slack token replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return _SLACK_TOKEN.sub(r"\1-***", _URL_PASSWORD.sub(r"\1***@", text))


class SecretMasker(logging.Filter):
    """Replaces secret values in log records, whoever logged them (ours or a library's).

    The message (with its arguments), the exception's traceback and the stack
    are all masked. The traceback is formatted here, once, into the record's
    ``exc_text``, which every ``logging.Formatter`` uses instead of formatting
    the exception again, so no handler prints the unmasked one.
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]
        self.formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info, self.secrets)
        return True


def configure_logging(level: str, secrets: list[str]) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level.upper())
    masker = SecretMasker(secrets)
    for handler in root.handlers:
        handler.addFilter(masker)
    # httpx logs every request URL, and Telegram's URLs carry the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)
