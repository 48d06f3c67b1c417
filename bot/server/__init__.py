"""The one HTTP server (platform endpoints, /healthz, /metrics) and the process's logging."""

from bot.server.http import build_http_app, http_server
from bot.server.logs import SecretMasker, configure_logging, mask_secrets
from bot.server.metrics import Metrics

__all__ = ["Metrics", "SecretMasker", "build_http_app", "configure_logging", "http_server", "mask_secrets"]
