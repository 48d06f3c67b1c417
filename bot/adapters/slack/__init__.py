"""Slack through slack-bolt: Events API over HTTP or Socket Mode, one workspace or many by OAuth."""

from bot.adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
