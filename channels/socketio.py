"""Rasa's socket.io channel (the web chat widget's) with origins, tokens and input checked.

Rasa 3.6's SocketIOInput accepts connections from any web origin (it switches the origin check
off), accepts a JWT without an expiry, and lets a malformed event (not an object, a message that
is not a string, metadata that is not an object) raise inside the handler. This subclass:

- accepts browser connections only from `cors_allowed_origins` (credentials; scripts/credentials.py
  fills it from HSG_ALLOWED_ORIGINS). Without it only the server's own origin is accepted. Clients
  that send no Origin header (apps, servers) are not concerned: for them the token is the check;
- with `jwt_key` set (SOCKETIO_JWT_KEY), refuses a connection without a valid token that also
  carries an expiry (`exp`): the hospital's site issues short-lived tokens (README, "Security");
- cleans each message as the REST channel does (control characters, length, metadata) and drops
  events that are not a message object.

Registered in credentials.yml as `channels.socketio.GuardedSocketIOInput`; the name stays
"socketio", the path /socket.io.
"""
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Union

import jwt
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from channels.limits import LIMITER
from channels.rest import _CONTROL, MAX_METADATA, MAX_SENDER, MAX_TEXT

logger = logging.getLogger(__name__)


def origins(value: Union[None, Text, List[Text]]) -> Optional[List[Text]]:
    """The allowed origins from a list or a comma-separated string; None: same origin only."""
    if value is None or value == "":
        return None
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip().rstrip("/") for item in items if item and item.strip()]


class GuardedSocketIOInput(SocketIOInput):
    """socket.io with allowed origins, expiring tokens and checked messages."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "GuardedSocketIOInput":
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.allowed_origins = origins(credentials.get("cors_allowed_origins"))
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_origins: Optional[List[Text]] = None

    def token_is_valid(self, auth: Any) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            return False
        try:
            jwt.decode(token, self.jwt_key, algorithms=[self.jwt_algorithm],
                       options={"require": ["exp"]})
            return True
        except jwt.PyJWTError as error:
            logger.info("socket.io connection refused: %s", error)
            return False

    @staticmethod
    def clean(data: Any) -> Optional[Dict[Text, Any]]:
        """The event with its text and metadata checked, or None to drop it."""
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            return None
        metadata = data.get("metadata")
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except (ValueError, RecursionError):
                metadata = None
        if not isinstance(metadata, dict) or len(json.dumps(metadata)) > MAX_METADATA:
            metadata = {}
        session_id = data.get("session_id")
        if not isinstance(session_id, str) or len(session_id) > MAX_SENDER:
            session_id = None
        return {**data, "message": _CONTROL.sub(" ", data["message"])[:MAX_TEXT],
                "metadata": metadata, "session_id": session_id}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        # [] (Rasa's value) switches the origin check off; None means "same origin only"
        self.sio.eio.cors_allowed_origins = self.allowed_origins
        namespace = self.namespace or "/"
        handlers = self.sio.handlers[namespace]
        receive, request_session = handlers[self.user_message_evt], handlers["session_request"]

        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            return not self.jwt_key or self.token_is_valid(auth)

        async def guarded_receive(sid: Text, data: Any = None) -> None:
            cleaned = self.clean(data)
            if cleaned is None:
                logger.info("socket.io: dropped a malformed message event from %s", sid)
                return
            if LIMITER.wait(self.name(), cleaned.get("session_id") or sid):
                logger.warning("socket.io: a conversation over its rate limit; message dropped")
                return
            await receive(sid, cleaned)

        async def guarded_session_request(sid: Text, data: Any = None) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            valid = isinstance(session_id, str) and 0 < len(session_id) <= MAX_SENDER
            await request_session(sid, {"session_id": session_id if valid else None})

        handlers["connect"] = connect
        handlers["session_request"] = guarded_session_request
        handlers[self.user_message_evt] = guarded_receive
        return blueprint
