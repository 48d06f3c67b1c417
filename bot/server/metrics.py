"""Prometheus metrics for one bot process, in its own registry (no globals)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

if TYPE_CHECKING:
    from bot.app import Beacon

__all__ = ["Metrics", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.handled = Counter("beacon_inbound_events", "Inbound events handled", ["platform", "kind", "outcome"], registry=self.registry)
        self.latency = Histogram(
            "beacon_handling_seconds",
            "Time from an event's arrival to its committed effect",
            ["platform"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.outbox_depth = Gauge("beacon_outbox_messages", "Outbox messages by status", ["status"], registry=self.registry)

    def bind(self, beacon: Beacon) -> None:
        """Expose the delivery worker's counters as they stand at scrape time."""
        stats = beacon.delivery.stats

        class _DeliveryCollector:
            def collect(self):
                family = GaugeMetricFamily("beacon_delivery_total", "Delivery outcomes since start", labels=["outcome"])
                for outcome in ("sent", "failed", "retried", "rate_limited", "unreachable"):
                    family.add_metric([outcome], getattr(stats, outcome))
                yield family

        self.registry.register(_DeliveryCollector())

    def render(self) -> bytes:
        return generate_latest(self.registry)
