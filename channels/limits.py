"""A rate limit per conversation, for every channel (issue 13).

A limit per client address treats every patient behind one carrier NAT or hospital Wi-Fi as one
client, and every Messenger, Zalo or Telegram webhook call comes from the platform's few
addresses: at a busy hour it throttled whole channels (24 of 100 messages answered for 20
conversations from one address). The limit is now on what it protects, one conversation (the
REST sender, the socket.io session, the Zalo user, the Messenger sender, the Telegram chat): a
token bucket of `HSG_CONVERSATION_BURST` messages (20) refilled at `HSG_CONVERSATION_RATE`
messages a second (2), far above what a person types or taps. Over it, REST answers 429 with
Retry-After; socket.io and the platforms' webhooks drop the message (logged), since a platform
disables a webhook that fails. `HSG_CONVERSATION_RATE=0` switches it off.

Each Rasa replica counts on its own: behind nginx's round robin a conversation may send up to
the burst once per replica before it is throttled. nginx keeps a per-address limit well above
real traffic only as a backstop against one machine flooding with ever new sender ids, and none
on the platforms' signed webhooks (scripts/prod.sh).
"""
import logging
import os
import time
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Optional, Text, Tuple

logger = logging.getLogger(__name__)


class ConversationLimiter:
    """Token buckets per conversation key, the least recently seen forgotten beyond `size`."""

    def __init__(self, rate: float, burst: float, size: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.size, self.clock = rate, burst, size, clock
        self._buckets: "OrderedDict[Tuple[Text, Text], Tuple[float, float]]" = OrderedDict()

    @classmethod
    def from_env(cls) -> "ConversationLimiter":
        return cls(float(os.environ.get("HSG_CONVERSATION_RATE", "2")),
                   float(os.environ.get("HSG_CONVERSATION_BURST", "20")))

    def wait(self, channel: Text, sender: Optional[Text]) -> float:
        """0 if the conversation may send a message now (and counts it), else the seconds to
        wait before it may."""
        if self.rate <= 0 or sender is None:
            return 0.0
        key, now = (channel, str(sender)), self.clock()
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self._buckets[key] = (tokens - 1 if not wait else tokens, now)
        if len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        return wait

    def dropping(self, channel: Text,
                 on_new_message: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
        """`on_new_message` that drops (and logs) the messages of a conversation over its limit."""
        async def limited(message: Any) -> Any:
            if self.wait(channel, message.sender_id):
                logger.warning("%s: a conversation over its rate limit; message dropped", channel)
                return None
            return await on_new_message(message)

        return limited


LIMITER = ConversationLimiter.from_env()
