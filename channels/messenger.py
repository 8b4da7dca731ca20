"""Facebook Messenger: Rasa's connector, with a clean 403/400 for bad requests and a
configurable Graph API address (so tests can point it at a local fake).

Rasa 3.6's own FacebookInput answers 200 "not validated" to a wrong signature and fails with a
server error on a body that is not a Messenger event; this one refuses both cleanly.

Credentials (scripts/credentials.py, from the environment):
    channels.messenger.MessengerInput:
      verify: ...             # FACEBOOK_VERIFY_TOKEN, chosen when registering the webhook
      secret: ...             # FACEBOOK_APP_SECRET, signs every webhook (X-Hub-Signature-256)
      page-access-token: ...  # FACEBOOK_PAGE_ACCESS_TOKEN
      graph_url: https://graph.facebook.com/v12.0   # FACEBOOK_GRAPH_URL, optional
Webhook URL: https://<host>/webhooks/facebook/webhook
"""
import hashlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.facebook import FacebookInput, Messenger, MessengerBot
from sanic import Blueprint, response

from channels import required
from channels.limits import LIMITER
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


def hub_signature(secret: Text, body: bytes) -> Text:
    """The `X-Hub-Signature-256` value Facebook sends for a body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class QuickReplyMessengerBot(MessengerBot):
    """Rasa's Messenger output, with more than three buttons sent as quick replies.

    Messenger's button template holds three buttons and Rasa 3.6 drops them all (with a warning)
    when there are more; an answer has up to three topics and the two "did this help?" buttons.
    Quick replies hold thirteen (titles of 20 characters, as the knowledge base's are), and a
    tap comes back as the payload, which Rasa's connector reads like a postback.
    """

    MAX_TEMPLATE_BUTTONS = 3
    MAX_QUICK_REPLIES = 13

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        if len(buttons) <= self.MAX_TEMPLATE_BUTTONS:
            return await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)
        quick_replies = [{"content_type": "text", "title": b["title"][:20], "payload": b["payload"]}
                         for b in buttons[: self.MAX_QUICK_REPLIES]]
        await self.send_quick_replies(recipient_id, text, quick_replies)


class MessengerInput(FacebookInput):
    """Receives Messenger webhooks; replies through the (configurable) Graph API."""

    @classmethod
    def name(cls) -> Text:
        return "facebook"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "MessengerInput":
        credentials = required(credentials, ("verify", "secret", "page-access-token"), "Messenger")
        return cls(credentials["verify"], credentials["secret"], credentials["page-access-token"],
                   credentials.get("graph_url"))

    def __init__(self, fb_verify: Text, fb_secret: Text, fb_access_token: Text,
                 graph_url: Optional[Text] = None) -> None:
        super().__init__(str(fb_verify), str(fb_secret), str(fb_access_token))
        self.graph_url = graph_url

    def verified(self, request: Request) -> bool:
        sha256 = request.headers.get("X-Hub-Signature-256")
        if sha256:
            return hmac.compare_digest(sha256.strip(), hub_signature(self.fb_secret, request.body))
        # older apps still get the SHA-1 header only
        return self.validate_hub_signature(self.fb_secret, request.body,
                                           request.headers.get("X-Hub-Signature") or "")

    @staticmethod
    def well_formed(event: Any) -> bool:
        """A page event whose messaging items all name their sender (what Messenger.handle reads)."""
        if not isinstance(event, dict) or event.get("object") != "page":
            return False
        entries = event.get("entry")
        if not isinstance(entries, list):
            return False
        for entry in entries:
            items = entry.get("messaging") if isinstance(entry, dict) else None
            if not isinstance(items, list):
                return False
            for item in items:
                sender = item.get("sender") if isinstance(item, dict) else None
                if not isinstance(sender, dict) or not isinstance(sender.get("id"), str):
                    return False
                for key in ("message", "postback"):
                    if key in item and not isinstance(item[key], dict):
                        return False
        return True

    def messenger(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Messenger:
        async def with_quick_replies(message: UserMessage) -> Any:
            message.output_channel = QuickReplyMessengerBot(message.output_channel.messenger_client)
            return await on_new_message(message)

        messenger = Messenger(self.fb_access_token, LIMITER.dropping(self.name(), with_quick_replies))
        if self.graph_url:
            messenger.client.graph_url = self.graph_url.rstrip("/")
        return messenger

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        fb = Blueprint("messenger_webhook", __name__)

        @fb.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @fb.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            if request.args.get("hub.verify_token") == self.fb_verify:
                return response.text(request.args.get("hub.challenge") or "")
            return response.text("invalid verify token", status=403)

        @fb.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.verified(request):
                logger.warning("Messenger webhook with a wrong or missing signature: refused")
                return response.json({"error": "invalid signature"}, status=403)
            try:
                event = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError, RecursionError):
                return response.json({"error": "body is not JSON"}, status=400)
            if not self.well_formed(event):
                return response.json({"error": "not a Messenger page event"}, status=400)
            await self.messenger(on_new_message).handle(event, self.get_metadata(request))
            return response.text("success")

        return fb
