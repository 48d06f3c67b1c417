"""Logging set-up with a filter that masks every configured secret."""

from __future__ import annotations

import logging

__all__ = ["configure_logging", "SecretMasker"]


class SecretMasker(logging.Filter):
    """Replaces secret values in log records, whoever logged them (ours or a library's)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
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
