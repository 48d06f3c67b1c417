"""Local fake Slack Web API and Telegram Bot API servers, and inbound payload factories.

Use them from end-to-end tests::

    async with FakeSlack() as slack, FakeTelegram() as telegram:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        ...

See ``slack_api``, ``telegram_api`` and ``factories`` for the details.
"""

from tests.fakes.factories import (
    form_body,
    load_payload,
    post_signed,
    post_update,
    signed_headers,
    slack_app_mention,
    slack_block_actions,
    slack_event_callback,
    slack_interactive_body,
    slack_message_im,
    slack_selected,
    slack_slash_command,
    slack_url_verification,
    slack_view_submission,
    tg_callback_query,
    tg_command,
    tg_edited_message,
    tg_my_chat_member,
    tg_text,
    tg_user,
)
from tests.fakes.slack_api import FakeSlack, SlackFailure
from tests.fakes.telegram_api import FakeTelegram, TelegramFailure, make_png

__all__ = [
    "FakeSlack",
    "SlackFailure",
    "FakeTelegram",
    "TelegramFailure",
    "make_png",
    "form_body",
    "load_payload",
    "post_signed",
    "post_update",
    "signed_headers",
    "slack_app_mention",
    "slack_block_actions",
    "slack_event_callback",
    "slack_interactive_body",
    "slack_message_im",
    "slack_selected",
    "slack_slash_command",
    "slack_url_verification",
    "slack_view_submission",
    "tg_callback_query",
    "tg_command",
    "tg_edited_message",
    "tg_my_chat_member",
    "tg_text",
    "tg_user",
]
