"""From an inbound event to a committed change: de-duplicate, identify, route, in batches under load."""

from bot.dispatch.batch import Batches
from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.results import HandleResult

__all__ = ["Batches", "Dispatcher", "HandleResult"]
