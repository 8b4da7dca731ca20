"""Zalo Official Account connector: Rasa has none, and Zalo is Vietnam's most used messenger.

Receives the OA webhook, checks Zalo's signature, hands each user text to Rasa as one
conversation per Zalo user id, and answers through the OA message API (text, and quick replies
as Zalo buttons). Credentials (credentials.yml, from environment variables):

    channels.zalo.ZaloInput:
      app_id: ...            # the Zalo app that owns the OA webhook
      oa_secret_key: ...     # the OA secret key, for the webhook signature
      access_token: ...      # OA access token, for the message API
      api_base: https://openapi.zalo.me   # configurable: tests point it at a local fake

Webhook URL to register with Zalo: https://<host>/webhooks/zalo/webhook

Signature (Zalo's documented scheme): header `X-ZEvent-Signature: mac=<hex>` where
hex = sha256(app_id + raw request body + timestamp + OA secret key), app_id and timestamp
being the fields of the event itself.
"""
import hashlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response

from channels import required
from channels.limits import LIMITER
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"
TEXT_EVENT = "user_send_text"
MAX_TEXT = 2000  # Zalo's limit for a text message
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100


def signature_for(app_id: Text, raw_body: bytes, timestamp: Text, secret: Text) -> Text:
    """The `mac=` value Zalo sends for a webhook body."""
    digest = hashlib.sha256(
        app_id.encode("utf-8") + raw_body + str(timestamp).encode("utf-8") + secret.encode("utf-8")
    ).hexdigest()
    return f"mac={digest}"


class ZaloOutput(OutputChannel):
    """Sends the bot's messages through the Zalo OA message API (customer-service messages)."""

    @classmethod
    def name(cls) -> Text:
        return "zalo"

    def __init__(self, api_base: Text, access_token: Text, session: aiohttp.ClientSession) -> None:
        self.url = f"{api_base.rstrip('/')}/v3.0/oa/message/cs"
        self.access_token = access_token
        self.session = session

    async def _send(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        body = {"recipient": {"user_id": recipient_id}, "message": message}
        async with self.session.post(
            self.url, json=body, headers={"access_token": self.access_token},
            timeout=aiohttp.ClientTimeout(total=15),
        ) as reply:
            result = await reply.json(content_type=None)
        if reply.status != 200 or (isinstance(result, dict) and result.get("error", 0) != 0):
            logger.error("Zalo API refused a message to %s: %s %s", recipient_id, reply.status, result)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for start in range(0, len(text), MAX_TEXT):
            await self._send(recipient_id, {"text": text[start:start + MAX_TEXT]})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        zalo_buttons = [
            # "oa.query.hide": a tap sends the payload back as the user's text, not shown in chat
            {"title": b["title"][:MAX_BUTTON_TITLE], "type": "oa.query.hide", "payload": b["payload"]}
            for b in buttons[:MAX_BUTTONS]
        ]
        await self._send(recipient_id, {
            "text": text[:MAX_TEXT],
            "attachment": {"type": "template", "payload": {"buttons": zalo_buttons}},
        })


class ZaloInput(InputChannel):
    """Receives Zalo OA webhook events."""

    @classmethod
    def name(cls) -> Text:
        return "zalo"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ZaloInput":
        credentials = required(credentials, ("app_id", "oa_secret_key", "access_token"), "Zalo")
        return cls(
            str(credentials["app_id"]),
            str(credentials["oa_secret_key"]),
            str(credentials["access_token"]),
            str(credentials.get("api_base") or "https://openapi.zalo.me"),
        )

    def __init__(self, app_id: Text, secret: Text, access_token: Text, api_base: Text) -> None:
        self.app_id = app_id
        self.secret = secret
        self.access_token = access_token
        self.api_base = api_base
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def get_output_channel(self) -> OutputChannel:
        return ZaloOutput(self.api_base, self.access_token, self._client())

    def verified(self, request: Request, event: Dict[Text, Any]) -> bool:
        supplied = request.headers.get(SIGNATURE_HEADER, "")
        if str(event.get("app_id", "")) != self.app_id or "timestamp" not in event:
            return False
        expected = signature_for(self.app_id, request.body, str(event["timestamp"]), self.secret)
        return hmac.compare_digest(supplied.strip().lower(), expected)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = LIMITER.dropping(self.name(), on_new_message)  # channels/limits.py
        zalo = Blueprint("zalo_webhook", __name__)

        @zalo.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @zalo.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            try:
                event = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError, RecursionError):
                return response.json({"error": "body is not JSON"}, status=400)
            if not isinstance(event, dict):
                return response.json({"error": "body is not a Zalo event"}, status=400)
            if not self.verified(request, event):
                logger.warning("Zalo webhook with a wrong or missing signature: refused")
                return response.json({"error": "invalid signature"}, status=403)
            if event.get("event_name") != TEXT_EVENT:
                return response.json({"status": "ignored"})  # follows, images, stickers...
            sender = (event.get("sender") or {}).get("id")
            text = (event.get("message") or {}).get("text")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "user_send_text needs sender.id and message.text"},
                                     status=400)
            await on_new_message(UserMessage(
                text, self.get_output_channel(), sender, input_channel=self.name(),
                metadata={"zalo_msg_id": (event.get("message") or {}).get("msg_id")},
            ))
            return response.json({"status": "ok"})

        return zalo
