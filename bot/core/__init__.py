"""What every other part builds on: the router and its hooks, the handler's context, messages, errors, time."""

# Nothing is imported here; import from the modules (bot.core.context, bot.core.router…).
# The store imports bot.core.messages, and a package that loaded the context (which
# writes to the store's outbox) on the way would have the store import itself.
__all__ = [
    "availability",
    "clock",
    "context",
    "dates",
    "errors",
    "followups",
    "forms",
    "markup",
    "members",
    "messages",
    "router",
]
