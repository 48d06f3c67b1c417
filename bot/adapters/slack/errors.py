"""Slack's Web API errors as the delivery worker's three kinds of failure (pure).

Rate limits and server trouble are worth retrying (after ``Retry-After`` when
Slack gives one); a person Slack will not let us reach is unreachable, so the
member is marked and not retried; a message Slack refuses for good is parked.
Token errors are about the workspace, never the addressee (Slack answers
``account_inactive`` when the *app* was uninstalled): the message is held for
the installation to come back, and nobody is marked.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.adapters.base import DeliveryError, Envelope, Held, PermanentFailure, RetryLater, Unreachable

__all__ = ["PERMANENT", "REVOKED", "TRANSIENT", "UNREACHABLE", "classify", "describe", "error_of"]

REVOKED = {"account_inactive", "token_revoked", "invalid_auth", "not_authed", "token_expired", "team_access_not_granted"}
"""The bot's token or workspace is gone (uninstalled, revoked): hold, don't blame anyone."""
UNREACHABLE = {"user_not_found", "cannot_dm_bot", "user_disabled", "not_in_channel", "user_is_restricted", "cannot_find_user"}
PERMANENT = {
    "channel_not_found",
    "invalid_blocks",
    "msg_too_long",
    "invalid_arguments",
    "no_text",
    "message_not_found",
    "cant_update_message",
    "expired_trigger_id",
    "invalid_trigger_id",
    "is_archived",
    "missing_scope",
    "restricted_action",
    "view_too_large",
    "invalid_blocks_format",
}
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


def _header(exc: SlackApiError, name: str) -> str | None:
    headers = getattr(exc.response, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else value
    return None


def error_of(exc: SlackApiError) -> str:
    """Slack's error name (``invalid_auth``…), or "" when the answer had none."""
    return str((exc.response.data or {}).get("error", "")) if isinstance(exc.response.data, dict) else ""


def classify(exc: SlackApiError, envelope: Envelope) -> DeliveryError:
    """Slack's answer as one of the delivery worker's kinds of failure."""
    status = getattr(exc.response, "status_code", 200)
    error = error_of(exc)
    if error in REVOKED:
        return Held(f"Slack installation revoked ({error})")
    if status == 429 or error == "ratelimited":
        try:
            retry_after = float(_header(exc, "Retry-After") or 1)
        except ValueError:
            retry_after = 1.0
        return RetryLater(f"rate limited ({error or status})", retry_after=retry_after)
    if status >= 500 or error in TRANSIENT:
        return RetryLater(f"slack error {error or status}")
    out = envelope.outgoing
    direct = not out.to.channel and len(envelope.recipients) == 1
    if error in UNREACHABLE and direct:
        return Unreachable(error, member_id=envelope.recipients[0].member_id)
    if error in UNREACHABLE and not out.to.channel:
        return Unreachable(error)  # a group DM with someone gone: nobody in particular to mark
    if error in PERMANENT or error in UNREACHABLE:
        return PermanentFailure(error)
    return RetryLater(f"slack error {error or status}")


def describe(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return str(data.get("error") or getattr(exc.response, "status_code", "error"))
    return f"{type(exc).__name__}: {exc}"
