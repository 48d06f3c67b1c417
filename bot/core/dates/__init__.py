"""Dates and times as people write them ("next Tuesday 3pm"), read in the right time zone."""

# Nothing is imported here, as in bot.core: import from the modules.
__all__ = ["friendly", "rules", "zone"]
