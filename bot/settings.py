"""Typed settings from the environment (and a ``.env`` file), validated at load.

Secrets only come from here, never from config files, and are kept as
``SecretStr`` so they are masked wherever a settings object is printed.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field("sqlite:///beacon.db", alias="BEACON_DATABASE_URL")
    config: str = Field("config/beacon.yaml", alias="BEACON_CONFIG")
    host: str = Field("127.0.0.1", alias="BEACON_HOST")
    port: int = Field(3000, alias="BEACON_PORT")
    tick_seconds: float = Field(30.0, alias="BEACON_TICK_SECONDS")
    # Where people's calendar apps reach Beacon's HTTP server (e.g. https://beacon.example.org):
    # with it the server runs even with no platform on HTTP, and feed links are absolute.
    public_url: str | None = Field(None, alias="BEACON_PUBLIC_URL")
    log_level: str = Field("INFO", alias="BEACON_LOG_LEVEL")
    lease_seconds: float = Field(30.0, alias="BEACON_LEASE_SECONDS", gt=0)
    outbox_lease_seconds: float = Field(120.0, alias="BEACON_OUTBOX_LEASE_SECONDS", gt=0)

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    slack_client_id: str | None = Field(None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, alias="SLACK_CLIENT_SECRET")

    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: SecretStr | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_webhook_url: str | None = Field(None, alias="TELEGRAM_WEBHOOK_URL")
    telegram_api_url: str = Field("https://api.telegram.org/bot", alias="TELEGRAM_API_URL")

    @field_validator("port")
    @classmethod
    def _port(cls, v: int) -> int:
        if not 0 <= v <= 65535:
            raise ValueError("BEACON_PORT must be between 0 and 65535")
        return v

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token or self.slack_client_id)

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    def secrets(self) -> list[str]:
        """Every secret value, so log filters can mask them."""
        values = [
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.slack_client_secret,
            self.telegram_bot_token,
            self.telegram_webhook_secret,
        ]
        secrets = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        # the database password, as written in the URL and as the driver sees it
        password = urlsplit(self.database_url).password
        if password:
            secrets += sorted({password, unquote(password)})
        return secrets
