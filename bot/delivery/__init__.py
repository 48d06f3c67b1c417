"""Getting queued messages out: the outbox worker, retries, and pacing to each platform's limits."""

from bot.delivery.pacing import Pacer
from bot.delivery.worker import DeliveryWorker

__all__ = ["DeliveryWorker", "Pacer"]
