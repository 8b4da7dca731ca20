"""components/http_client.py: the action-server call answers, fails and times out as Rasa's
`EndpointConfig.request` (aiohttp) does, against a real loopback server whose replies are
written byte by byte here (lengths, chunks, closes, hangs, errors)."""
import asyncio
import json
import re
import socket

import aiohttp
import pytest
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from components import http_client, speedups

RASA_REQUEST = EndpointConfig.request  # the tests never install the speedups


def reply(body, status="200 OK", content_type="application/json", extra=""):
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    body = body.encode("utf-8") if isinstance(body, str) else body
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}\r\n").encode("latin-1") + body


def chunked(body):
    data = json.dumps(body).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (data[:7], data[7:]))
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")


CLOSE = object()  # reply, then close the connection
HANG = object()  # never reply
DROP = object()  # close without a reply


class CannedServer:
    """Loopback HTTP server: each request gets `answer(body)` (bytes, a list of bytes written
    apart, bytes and CLOSE, HANG or DROP); counts connections and keeps the requests."""

    def __init__(self, answer):
        self.answer = answer
        self.connections = 0
        self.requests = []

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        return self

    async def __aexit__(self, *exc_info):
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader, writer):
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
                body = await reader.readexactly(length)
                self.requests.append((head, body))
                answer = self.answer(json.loads(body))
                if answer is HANG:
                    await asyncio.sleep(3600)
                if answer is DROP:
                    break
                close = isinstance(answer, tuple)
                for part in (answer if isinstance(answer, list) else [answer[0] if close else answer]):
                    writer.write(part)  # a list: separate writes, as separate TCP segments
                    await writer.drain()
                    await asyncio.sleep(0.05 if isinstance(answer, list) else 0)
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def outcome(call):
    """What a call gives: ("ok", value) or ("error", class, status, text)."""
    try:
        return ("ok", await call)
    except ClientResponseError as error:
        return ("error", ClientResponseError, error.status, error.text)


PAYLOAD = {"next_action": "action_answer_topic", "sender_id": "a",
           "tracker": {"latest_message": {"text": "chụp HSG có đau không? 1/2"}, "n": 10 ** 20}}

REPLIES = {
    "json": lambda body: reply({"events": [], "responses": [{"text": body["tracker"]["latest_message"]["text"]}]}),
    "chunked": lambda body: chunked({"events": [{"event": "slot", "value": 1.5e-07}]}),
    "json with charset": lambda body: reply({"responses": [{"text": "chào"}]},
                                            content_type="application/json; charset=utf-8"),
    "vendor json": lambda body: reply({"a": 1}, content_type="application/vnd.api+json"),
    "not json": lambda body: reply("<html>hello</html>", content_type="text/html"),
    "empty json": lambda body: reply("", content_type="application/json"),
    "length until close": lambda body: (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                        b"Connection: close\r\n\r\n" + json.dumps({"x": [1, 2]}).encode(), CLOSE),
    "connection close": lambda body: (reply({"y": "z"}, extra="Connection: close\r\n"), CLOSE),
    "rejected (400)": lambda body: reply({"action_name": "action_answer_topic", "error": "no"},
                                         status="400 Bad Request"),
    "not found (404)": lambda body: reply("Not Found", status="404 Not Found", content_type="text/plain"),
    "server error (500)": lambda body: reply({"error": "boom"}, status="500 Internal Server Error"),
    "unknown charset": lambda body: reply({"a": "é"}, content_type="application/json; charset=x-hsg"),
    "no content (204)": lambda body: b"HTTP/1.1 204 No Content\r\n\r\n",
    "interim reply first (103)": lambda body: (b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                                              + reply({"after": "hints"})),
    "interim reply, then the reply apart": lambda body: [
        b"HTTP/1.1 100 Continue\r\n\r\n", reply({"after": "continue"})],
    "chunked, in capitals": lambda body: chunked({"b": 1}).replace(b"chunked", b"Chunked"),
}


@pytest.mark.parametrize("kind", sorted(REPLIES))
async def test_each_reply_gives_what_rasas_request_gives(kind):
    async with CannedServer(REPLIES[kind]) as server:
        endpoint = EndpointConfig(server.url)
        assert http_client.lean_applies(endpoint, "post", None, "application/json", False,
                                        {"json": PAYLOAD, "timeout": 5})
        expected = await outcome(RASA_REQUEST(endpoint, json=PAYLOAD, method="post", timeout=5))
        for _ in range(2):  # and again on a kept connection (or a new one after a close)
            assert await outcome(http_client.post_json(endpoint, PAYLOAD, 5)) == expected
        # the server read the same JSON from both
        assert [json.loads(body) for _, body in server.requests] == [PAYLOAD] * 3


async def test_a_connection_is_kept_and_one_the_server_closed_is_replaced():
    async with CannedServer(REPLIES["json"]) as server:
        endpoint = EndpointConfig(server.url)
        for _ in range(5):
            await http_client.post_json(endpoint, PAYLOAD, 5)
        assert server.connections == 1
        pool = endpoint.__dict__["_lean_pool"]
        pool.idle[0].transport.close()  # the server's keep-alive timeout, as seen from here
        await asyncio.sleep(0.05)
        assert (await http_client.post_json(endpoint, PAYLOAD, 5))["responses"]
        assert server.connections == 2
        pool.idle[0].idle_since -= http_client.IDLE_SECONDS  # idle too long: not trusted
        await http_client.post_json(endpoint, PAYLOAD, 5)
        assert server.connections == 3


async def test_concurrent_calls_each_get_their_own_reply():
    async with CannedServer(lambda body: reply({"echo": body["sender_id"]})) as server:
        endpoint = EndpointConfig(server.url)
        calls = [http_client.post_json(endpoint, {**PAYLOAD, "sender_id": str(n)}, 5)
                 for n in range(40)]
        replies = await asyncio.gather(*calls)
        assert [r["echo"] for r in replies] == [str(n) for n in range(40)]
        opened = server.connections
        assert 1 <= opened <= 40
        again = await asyncio.gather(*[http_client.post_json(endpoint, PAYLOAD, 5) for _ in range(10)])
        assert len(again) == 10 and server.connections == opened  # the kept ones were used again


async def test_a_server_that_does_not_answer_times_out_and_its_connection_is_dropped():
    answers = iter([HANG, reply({"late": False})])
    async with CannedServer(lambda body: next(answers)) as server:
        endpoint = EndpointConfig(server.url)
        with pytest.raises(asyncio.TimeoutError):
            await http_client.post_json(endpoint, PAYLOAD, 0.2)
        assert endpoint.__dict__["_lean_pool"].idle == []
        assert await http_client.post_json(endpoint, PAYLOAD, 5) == {"late": False}
        assert server.connections == 2


async def test_a_dropped_connection_is_a_connection_error_as_in_rasa():
    async with CannedServer(lambda body: DROP) as server:
        endpoint = EndpointConfig(server.url)
        with pytest.raises(aiohttp.ClientConnectionError):
            await RASA_REQUEST(endpoint, json=PAYLOAD, method="post", timeout=5)
        with pytest.raises(aiohttp.ClientConnectionError):
            await http_client.post_json(endpoint, PAYLOAD, 5)


async def test_a_reply_cut_short_is_an_error_not_a_short_answer():
    truncated = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{}"
    async with CannedServer(lambda body: (truncated, CLOSE)) as server:
        endpoint = EndpointConfig(server.url)
        with pytest.raises(aiohttp.ClientPayloadError):  # not "could not connect": it answered
            await RASA_REQUEST(endpoint, json=PAYLOAD, method="post", timeout=5)
        with pytest.raises(aiohttp.ClientPayloadError):
            await http_client.post_json(endpoint, PAYLOAD, 5)


async def test_a_server_that_closes_at_once_is_a_connection_error_not_a_wait():
    """A port that accepts and closes (a proxy in front of a stopped action server)."""
    import time

    async def close_at_once(reader, writer):
        writer.close()

    server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/webhook")
    try:
        for _ in range(5):
            started = time.monotonic()
            with pytest.raises(aiohttp.ClientConnectionError):
                await http_client.post_json(endpoint, PAYLOAD, 5)
            assert time.monotonic() - started < 2
    finally:
        server.close()
        await server.wait_closed()


async def test_a_connection_closed_before_its_request_fails_at_once():
    """The server closed the new connection before the request went out (the race behind the
    test above): a write to it would vanish, and the call would wait for its whole timeout."""
    async def close_at_once(reader, writer):
        writer.close()

    server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
    loop = asyncio.get_running_loop()
    try:
        _, connection = await loop.create_connection(
            lambda: http_client._Connection(loop), "127.0.0.1", server.sockets[0].getsockname()[1])
        await asyncio.sleep(0.2)  # the close arrives
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await asyncio.wait_for(connection.exchange(b"POST / HTTP/1.1\r\n\r\n"), 2)
    finally:
        server.close()
        await server.wait_closed()


async def test_waiting_for_a_free_connection_counts_in_the_timeout(monkeypatch):
    monkeypatch.setattr(http_client, "MAX_CONNECTIONS", 1)
    answers = iter([HANG, reply({"n": 2})])
    async with CannedServer(lambda body: next(answers)) as server:
        endpoint = EndpointConfig(server.url)
        hanging = asyncio.ensure_future(http_client.post_json(endpoint, PAYLOAD, 30))
        await asyncio.sleep(0.1)
        with pytest.raises(asyncio.TimeoutError):  # the only connection is busy
            await http_client.post_json(endpoint, PAYLOAD, 0.3)
        hanging.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hanging
        assert await http_client.post_json(endpoint, PAYLOAD, 5) == {"n": 2}  # the slot came back


async def test_no_server_is_a_connection_error_as_in_rasa():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/webhook"
    endpoint = EndpointConfig(url)
    with pytest.raises(aiohttp.ClientConnectionError):
        await RASA_REQUEST(endpoint, json=PAYLOAD, method="post", timeout=5)
    with pytest.raises(aiohttp.ClientConnectionError):
        await http_client.post_json(endpoint, PAYLOAD, 5)


async def test_a_malformed_reply_is_an_aiohttp_error_not_a_hang():
    async with CannedServer(lambda body: b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n{}") as server:
        with pytest.raises(aiohttp.ClientError):
            await http_client.post_json(EndpointConfig(server.url), PAYLOAD, 5)


async def test_the_request_carries_the_endpoints_headers_and_path():
    async with CannedServer(REPLIES["json"]) as server:
        endpoint = EndpointConfig(server.url.replace("/webhook", "/hsg/webhook"),
                                  headers={"X-Hospital": "hsg"})
        await http_client.post_json(endpoint, PAYLOAD, 5)
        head = server.requests[0][0].decode("latin-1")
        assert head.startswith("POST /hsg/webhook HTTP/1.1\r\n")
        assert f"\r\nHost: 127.0.0.1:{server.port}\r\n" in head
        assert "\r\nX-Hospital: hsg\r\n" in head and "\r\nContent-Type: application/json\r\n" in head


@pytest.mark.parametrize("endpoint, call", [
    (EndpointConfig("https://actions.example/webhook"), {}),
    (EndpointConfig("http://user:secret@actions.example/webhook"), {}),
    (EndpointConfig("http://actions.example/hsg webhook"), {}),
    (EndpointConfig("http://actions.example/hỏi"), {}),
    (EndpointConfig("http://actions.example:port/webhook"), {}),
    (EndpointConfig("http:///webhook"), {}),
    (EndpointConfig("http://a/webhook", token="t"), {}),
    (EndpointConfig("http://a/webhook", params={"k": "v"}), {}),
    (EndpointConfig("http://a/webhook", basic_auth={"username": "u", "password": "p"}), {}),
    (EndpointConfig("http://a/webhook", cafile="ca.pem"), {}),
    (EndpointConfig("http://a/webhook", headers={"X-Bad": "a\r\nInjected: 1"}), {}),
    (EndpointConfig("http://a/webhook", headers={"X-Name": "Bệnh viện"}), {}),
    (EndpointConfig("http://a/webhook", headers={"Accept-Encoding": "gzip"}), {}),
    (EndpointConfig("http://a/webhook", headers={"Expect": "100-continue"}), {}),
    (EndpointConfig("http://a/webhook", headers={"Content-Type": "application/x+json"}), {}),
    (EndpointConfig("http://a/webhook"), {"compress": True}),
    (EndpointConfig("http://a/webhook"), {"method": "get"}),
    (EndpointConfig("http://a/webhook"), {"subpath": "x"}),
    (EndpointConfig("http://a/webhook"), {"headers": {"X": "1"}}),
    (EndpointConfig("http://a/webhook"), {"json": None, "data": b"x"}),
])
def test_anything_but_a_plain_json_post_goes_through_aiohttp(endpoint, call):
    arguments = {"method": "post", "subpath": None, "content_type": "application/json",
                 "compress": False, "json": {"a": 1}, "timeout": 5, **call}
    kwargs = {k: v for k, v in arguments.items()
              if k not in ("method", "subpath", "content_type", "compress")}
    assert not http_client.lean_applies(endpoint, arguments["method"], arguments["subpath"],
                                        arguments["content_type"], arguments["compress"], kwargs)


async def test_the_installed_request_takes_the_lean_path_only_when_it_applies(monkeypatch):
    lean = []

    async def spy(endpoint, payload, timeout):
        lean.append(timeout)
        return {"lean": True}

    monkeypatch.setattr(http_client, "post_json", spy)
    request = speedups.lean_json_posts(RASA_REQUEST)
    async with CannedServer(REPLIES["json"]) as server:
        endpoint = EndpointConfig(server.url)
        assert await request(endpoint, json=PAYLOAD, method="post", timeout=7) == {"lean": True}
        aiohttp_reply = await request(endpoint, json=PAYLOAD, method="post", timeout=7,
                                      params={"q": "1"})
        assert aiohttp_reply["responses"][0]["text"] == PAYLOAD["tracker"]["latest_message"]["text"]
    assert lean == [7]
    assert server.requests[0][0].startswith(b"POST /webhook?q=1 HTTP/1.1")


def test_json_bytes_are_json_and_fall_back_for_what_ujson_refuses():
    value = {"text": "chụp HSG 😀 a/b \ud800", "n": 2 ** 70, "f": 0.1 + 0.2}
    assert json.loads(http_client.json_bytes(value)) == value
    assert json.loads(http_client.json_bytes(PAYLOAD)) == PAYLOAD
    with pytest.raises(TypeError):
        http_client.json_bytes({"x": object()})
