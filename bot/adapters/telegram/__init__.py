"""Telegram through python-telegram-bot: polling or a webhook on our own server."""

from bot.adapters.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]
