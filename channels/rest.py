"""The REST channel with its input checked: a clean 400 instead of a server error, and a reply
with the hotline instead of silence when a message cannot be processed.

Rasa 3.6's RestInput answers 500 to a JSON body that is not an object and an empty list (the
patient sees nothing) when processing fails. Registered in credentials.yml as
`channels.rest.GuardedRestInput`; the URL stays /webhooks/rest/webhook.
"""
import json
import logging
import math
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.hospital import hospital
from channels.limits import LIMITER
from components.language import detect_language

logger = logging.getLogger(__name__)

MAX_TEXT = 5000  # characters kept of one message (a patient's question is far shorter)
MAX_SENDER = 128  # sender ids are stored in a VARCHAR(255) column
MAX_METADATA = 4096  # bytes of JSON
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
UNAVAILABLE_TEXTS = {
    "en": "Sorry, I can't answer right now. Please call our hotline {hotline}.",
    "vi": "Xin lỗi chị, hệ thống đang tạm thời gián đoạn. Chị vui lòng gọi hotline "
          "{hotline} để được hỗ trợ.",
}
# with data/hospital.yml's hotline, checked when the channel is loaded
UNAVAILABLE = {language: hospital().fill(text, language) for language, text in UNAVAILABLE_TEXTS.items()}


def _bad(reason: Text) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


class GuardedRestInput(InputChannel):
    """`POST /webhooks/rest/webhook` with {"sender": str, "message": str, "metadata": {...}}."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @staticmethod
    def parse(body: bytes) -> Any:
        """(sender, text, metadata) of a valid request, or the reason it is not one."""
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return "body is not UTF-8 JSON"
        if not isinstance(data, dict):
            return "body must be a JSON object"
        sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
        if isinstance(sender, int) and not isinstance(sender, bool):
            sender = str(sender)
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER:
            return f"'sender' must be a non-empty string of at most {MAX_SENDER} characters"
        if not isinstance(text, str):
            return "'message' must be a string"
        if metadata is not None and not isinstance(metadata, dict):
            return "'metadata' must be an object"
        if metadata and len(json.dumps(metadata)) > MAX_METADATA:
            return f"'metadata' must be at most {MAX_METADATA} bytes"
        text = _CONTROL.sub(" ", text)[:MAX_TEXT]
        return sender, text, metadata or {}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("guarded_rest_webhook", __name__)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            parsed = self.parse(request.body or b"")
            if isinstance(parsed, str):
                return _bad(parsed)
            sender, text, metadata = parsed
            wait = LIMITER.wait(self.name(), sender)
            if wait:  # one conversation flooding; the others, from any address, go on
                return response.json({"error": "too many messages in this conversation: wait a moment"},
                                     status=429, headers={"Retry-After": str(math.ceil(wait))})
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                                 metadata=metadata))
            except Exception:  # noqa: BLE001 - the patient must get an answer whatever failed
                logger.exception("Could not process a message from %s", sender)
                collector.messages = []
            if not collector.messages:
                language = (metadata.get("language") if isinstance(metadata.get("language"), str)
                            else None) or detect_language(text) or "vi"
                text_out = UNAVAILABLE["en" if language.startswith("en") else "vi"]
                collector.messages = [{"recipient_id": sender, "text": text_out}]
            return response.json(collector.messages)

        return rest
