"""Telegram: Rasa's connector made safe to run and to test.

Compared with Rasa 3.6's TelegramInput, this one
- checks Telegram's secret token header (`X-Telegram-Bot-Api-Secret-Token`, set with the
  webhook) and answers 403 to a wrong one, 400 to a body that is not an update;
- does not call Telegram at start-up or on every message (Rasa's calls setWebhook when the
  server starts and getMe for each message); `GET /webhooks/telegram/set_webhook` registers it;
- takes the Bot API address from the credentials (tests point it at a local fake).

Credentials (scripts/credentials.py, from the environment):
    channels.telegram.TelegramChannel:
      access_token: ...   # TELEGRAM_ACCESS_TOKEN
      verify: ...         # TELEGRAM_BOT_NAME
      webhook_url: ...    # TELEGRAM_WEBHOOK_URL, https://<host>/webhooks/telegram/webhook
      secret_token: ...   # TELEGRAM_SECRET_TOKEN, any string you choose
      api_base: https://api.telegram.org   # TELEGRAM_API_BASE, optional
"""
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from aiogram.bot.api import TelegramAPIServer
from aiogram.types import Update
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramOutput
from sanic import Blueprint, response

from channels import required
from channels.limits import LIMITER
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramBotOutput(TelegramOutput):
    """Rasa's Telegram output (inline buttons for quick replies) on a configurable Bot API."""

    def __init__(self, access_token: Text, api_base: Text) -> None:
        super(TelegramOutput, self).__init__(
            access_token, server=TelegramAPIServer.from_base(api_base.rstrip("/")))


class TelegramChannel(InputChannel):
    """Receives Telegram updates (text messages and inline-button taps)."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramChannel":
        credentials = required(
            credentials, ("access_token", "verify", "webhook_url", "secret_token"), "Telegram")
        return cls(str(credentials["access_token"]), str(credentials["webhook_url"]),
                   str(credentials["secret_token"]),
                   str(credentials.get("api_base") or "https://api.telegram.org"))

    def __init__(self, access_token: Text, webhook_url: Text, secret_token: Text, api_base: Text) -> None:
        self.access_token = access_token
        self.webhook_url = webhook_url
        self.secret_token = secret_token
        self.api_base = api_base
        self._output: Optional[TelegramBotOutput] = None

    def get_output_channel(self) -> TelegramBotOutput:
        if self._output is None:
            self._output = TelegramBotOutput(self.access_token, self.api_base)
        return self._output

    @staticmethod
    def text_and_chat(update: Dict[Text, Any]) -> Optional[tuple]:
        """(text, chat id) of a text message or an inline-button tap; None for anything else."""
        try:
            parsed = Update(**update)
        except (TypeError, ValueError):
            return None
        if parsed.callback_query and parsed.callback_query.message:
            return parsed.callback_query.data, parsed.callback_query.message.chat.id
        message = parsed.message or parsed.edited_message
        if message and message.text and message.chat and message.chat.id is not None:
            return message.text, message.chat.id
        return "", None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = LIMITER.dropping(self.name(), on_new_message)  # channels/limits.py
        telegram = Blueprint("telegram_webhook", __name__)

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram.route("/set_webhook", methods=["GET"])
        async def set_webhook(_: Request) -> HTTPResponse:
            # aiogram 2.15 predates `secret_token`: call the Bot API method directly
            try:
                ok = await self.get_output_channel().request(
                    "setWebhook", {"url": self.webhook_url, "secret_token": self.secret_token})
            except Exception as error:  # Telegram refused or cannot be reached
                logger.error("setWebhook failed: %s", error)
                ok = False
            return response.json({"ok": bool(ok)}, status=200 if ok else 502)

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            supplied = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(supplied, self.secret_token):
                logger.warning("Telegram webhook without the right secret token: refused")
                return response.json({"error": "invalid secret token"}, status=403)
            try:
                update = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError, RecursionError):
                return response.json({"error": "body is not JSON"}, status=400)
            found = self.text_and_chat(update) if isinstance(update, dict) else None
            if found is None or not isinstance(update.get("update_id"), int):
                return response.json({"error": "not a Telegram update"}, status=400)
            text, chat_id = found
            if chat_id is None:
                return response.json({"status": "ignored"})  # stickers, photos, joins...
            await on_new_message(UserMessage(
                text, self.get_output_channel(), str(chat_id), input_channel=self.name()))
            return response.json({"status": "ok"})

        return telegram
