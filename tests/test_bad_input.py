"""Bad input, generated: at least 1,000 requests to REST and socket.io. No 5xx, no crash; a polite
reply or a clean 400; and the server answers normally afterwards."""
import json
import random
import time

import pytest
import requests

from tests.live import HOTLINE, MODEL, socketio_ask, socketio_client

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: make train")

WEIRD_TEXTS = ["", " ", "\t\n", "x" * 100_000, "\u0000\u0001\u0002", "\u202e\u200b\u200d", "😀" * 50,
               "🩸🤒", "<script>alert(1)</script>", "' OR 1=1; --", "/", "/nonexistent_intent",
               "/hsg_pain{\"broken\": ", "/hsg_pain{\"language\": \"xx\"}", "/restart", "/session_start",
               "%s%s%n", "{{7*7}}", "\\u0000", "a" * 5001, "chụp" * 2000, "NULL", "undefined", "1900 232 389"]
WEIRD_VALUES = [None, 0, -1, 1.5, True, [], {}, [1, 2], {"a": 1}, "", " ", "x" * 300]


def generated_bodies(n: int):
    """`n` request bodies, bytes, from a fixed seed: raw garbage, wrong JSON types, odd texts."""
    rng = random.Random(20261126)
    raw = [b"", b" ", b"null", b"[]", b"[1,2,3]", b"\"text\"", b"42", b"{", b"{\"sender\":", b"\xff\xfe\xfd",
           b"\xc3\x28", b"{\"sender\": \"a\", \"message\": \"\xed\xa0\x80\"}", b"[" * 5000 + b"]" * 5000,
           json.dumps({"sender": "a", "message": "hi", "metadata": {"k": "v" * 10_000}}).encode(),
           json.dumps({"sender": "a", "message": "hi", "metadata": {"language": ["en"]}}).encode()]
    bodies = list(raw)
    while len(bodies) < n:
        body = {}
        if rng.random() < 0.9:
            body["sender"] = rng.choice(WEIRD_VALUES + [f"fuzz-{rng.randrange(40)}"] * 6)
        if rng.random() < 0.9:
            body["message"] = rng.choice(WEIRD_TEXTS + WEIRD_VALUES + ["does it hurt", "chup hsg co dau ko"])
        if rng.random() < 0.4:
            body["metadata"] = rng.choice(WEIRD_VALUES + [{"language": rng.choice(["en", "vi", "fr", 3, None])}])
        if rng.random() < 0.1:
            body[rng.choice(["extra", "sender_id", "text"])] = rng.choice(WEIRD_TEXTS[:8])
        bodies.append(json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8"))
    return bodies[:n]


def test_a_thousand_bad_rest_requests(servers, kb):
    url = f"http://127.0.0.1:{servers.rasa_port}/webhooks/rest/webhook"
    codes = {}
    for body in generated_bodies(1000):
        reply = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
        codes[reply.status_code] = codes.get(reply.status_code, 0) + 1
        assert reply.status_code in (200, 400), (body[:200], reply.status_code, reply.text[:200])
        if reply.status_code == 200:
            messages = reply.json()
            assert messages and all(isinstance(m.get("text", ""), str) for m in messages), body[:200]
    print(f"\nREST bad input: 1000 requests, status codes {codes}, no 5xx")
    assert servers.rasa.poll() is None  # still running
    assert kb.topics["hsg_pain"].answer["en"] in " ".join(
        m.get("text", "") for m in servers.say("after-fuzz", "does the hsg hurt"))


def test_bad_socketio_events_do_not_break_the_server(servers, kb):
    client = socketio_client(servers, "sio-fuzz")
    payloads = [None, "text", 42, [], {}, {"message": None}, {"message": 42, "session_id": "sio-fuzz"},
                {"session_id": "sio-fuzz"}, {"message": "x" * 100_000, "session_id": "sio-fuzz"},
                {"message": "\u0000\ud7ff", "session_id": "sio-fuzz"}, {"message": "hi", "session_id": None},
                {"message": "hi", "session_id": ["a"]}, {"message": "hi", "session_id": "sio-fuzz", "metadata": "x"},
                {"message": "😀", "session_id": "sio-fuzz", "metadata": {"language": 5}}]
    for payload in payloads * 8:  # 112 events
        if client.connected:  # the server may drop a client that floods it: that is allowed
            client.emit("user_uttered", payload)
    time.sleep(2)
    client.disconnect()
    # a patient connecting afterwards is served as usual
    socketio_ask(servers, "sio-after-fuzz", "does hsg hurt", kb.topics["hsg_pain"].answer["en"])
    assert servers.rasa.poll() is None
    reply = servers.say("after-sio-fuzz", "how much is it")
    assert any(HOTLINE in m.get("text", "") for m in reply)
