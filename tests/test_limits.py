"""The per-conversation rate limit (channels/limits.py), on a clock the test moves."""
import asyncio

from channels.limits import ConversationLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_conversation_gets_its_burst_then_the_refill_rate():
    clock = Clock()
    limiter = ConversationLimiter(rate=2, burst=5, clock=clock)
    assert [limiter.wait("rest", "a") for _ in range(5)] == [0.0] * 5
    assert limiter.wait("rest", "a") == 0.5  # empty: one message every half second
    clock.now += 0.5
    assert limiter.wait("rest", "a") == 0.0
    assert limiter.wait("rest", "a") > 0
    clock.now += 10  # refilled up to the burst, no more
    assert [limiter.wait("rest", "a") for _ in range(6)].count(0.0) == 5


def test_conversations_are_counted_apart_per_channel_and_sender():
    limiter = ConversationLimiter(rate=1, burst=2, clock=Clock())
    for _ in range(3):
        limiter.wait("rest", "flood")
    assert limiter.wait("rest", "flood") > 0
    assert limiter.wait("rest", "calm") == 0.0
    assert limiter.wait("facebook", "flood") == 0.0  # same id, another channel


def test_switched_off_and_bounded_memory():
    off = ConversationLimiter(rate=0, burst=1, clock=Clock())
    assert all(off.wait("rest", "a") == 0.0 for _ in range(100))
    small = ConversationLimiter(rate=1, burst=1, size=3, clock=Clock())
    for sender in "abcdef":
        small.wait("rest", sender)
    assert len(small._buckets) == 3


def test_dropping_wrapper_passes_messages_until_the_limit():
    class Message:
        sender_id = "fb-user"

    handled = []

    async def on_new_message(message):
        handled.append(message)

    limited = ConversationLimiter(rate=1, burst=3, clock=Clock()).dropping("facebook", on_new_message)

    async def run():
        for _ in range(10):
            await limited(Message())

    asyncio.run(run())
    assert len(handled) == 3
