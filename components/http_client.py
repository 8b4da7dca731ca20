"""Rasa's calls to the action server, without aiohttp's per-request machinery.

Each patient message makes one JSON POST to the action server. Through aiohttp
(`EndpointConfig.request`) that POST costs Rasa about 0.4 ms of CPU (request and payload
objects, header multidicts, a cookie and auth pass, a content-type regex, an encoding guess):
in the profile of issue 5 the largest share of a turn after the NLU model. `post_json` sends the
same request over a kept-alive connection of its own and parses the reply with httptools (the
C parser Sanic itself uses), and behaves as `EndpointConfig.request` does:

- the reply's JSON, or None when the reply is not JSON (`ContentTypeError` in Rasa) or empty;
- `rasa.utils.endpoints.ClientResponseError(status, reason, body)` for a status of 400 or more
  (Rasa reads an action's rejection from a 400's body);
- `aiohttp.ClientConnectionError` when it cannot connect or the server drops the connection
  (`ServerDisconnectedError`), so Rasa logs "Is the server running?" as before;
- `asyncio.TimeoutError` after `timeout` seconds, as aiohttp's total timeout.

Only a call like the action server's takes this path (an NLG server's would too): a POST of
JSON to a plain `http://` URL (ASCII, no user or password in it) with no query parameters, token,
basic auth, CA file, compression or per-call headers. Anything else (an `https://` action
server, an endpoint with a token...) goes through aiohttp as before. Idle connections are dropped after 4 s, before Sanic (5 s) could close them under a
request; at most 100 are open at once per endpoint, aiohttp's default limit.
"""
import asyncio
import codecs
import functools
import json
import re
import time
from typing import Any, Dict, List, Optional, Text, Tuple
from urllib.parse import urlsplit

import aiohttp
import httptools
import ujson  # Sanic's dependency
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

IDLE_SECONDS = 4.0
MAX_CONNECTIONS = 100
# aiohttp's test for a JSON reply (client_reqrep.json_re): application/json, application/x+json
JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+?\+)?json")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: one request at a time, the reply parsed as it comes."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: Optional[asyncio.Transport] = None
        self.closed = False
        self.idle_since = 0.0
        self._reply: Optional[asyncio.Future] = None
        self._parser: Any = None
        self._start_reply()

    def _start_reply(self) -> None:
        self._status = 0
        self._reason = b""
        self._headers: Dict[bytes, bytes] = {}
        self._body: List[bytes] = []
        self._headers_done = False
        self._keep_alive = False
        self._until_close = False  # a reply without length that ends when the server closes
        self._extra = False  # bytes of another reply came after this one

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._reply is None or self._reply.done():
            self.close()  # bytes nobody asked for: this connection can't be trusted any more
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(aiohttp.ClientPayloadError(f"Malformed reply from the server: {error}"))
            self.close()

    def eof_received(self) -> Optional[bool]:
        return False  # close the transport; connection_lost follows

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.closed = True
        if self._reply is not None and not self._reply.done():
            if self._headers_done and self._until_close and exc is None:
                self._reply.set_result(None)  # the close ends the body
            elif self._headers_done:  # aiohttp's error for a body cut short
                self._fail(aiohttp.ClientPayloadError("Response payload is not completed"))
            else:
                self._fail(aiohttp.ServerDisconnectedError())

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self._reply is not None and self._reply.done():
            self._extra = True

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.lower()] = value

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._status = self._parser.get_status_code()
        self._keep_alive = self._parser.should_keep_alive()  # only known while parsing
        no_body = self._status in (204, 304) or 100 <= self._status < 200
        self._until_close = not no_body and (
            b"content-length" not in self._headers
            and b"chunked" not in self._headers.get(b"transfer-encoding", b"").lower())

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._reply is None or self._reply.done():
            return
        if 100 <= self._status < 200 and self._status != 101:
            self._start_reply()  # an interim reply (100 Continue, 103 Early Hints): skipped as aiohttp does
            return
        self._reply.set_result(None)

    # use
    def _fail(self, error: BaseException) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(error)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def usable(self, now: float) -> bool:
        return (not self.closed and not self.transport.is_closing()  # type: ignore[union-attr]
                and now - self.idle_since < IDLE_SECONDS)

    async def exchange(self, request: bytes) -> Tuple[int, bytes, Dict[bytes, bytes], bytes, bool]:
        """Send `request`, wait for the whole reply: (status, reason, headers, body, reusable)."""
        if self.closed or self.transport.is_closing():  # type: ignore[union-attr]
            raise aiohttp.ServerDisconnectedError()  # closed by the server as soon as it was opened
        self._reply = self.loop.create_future()
        self._parser = httptools.HttpResponseParser(self)
        self._start_reply()
        self.transport.write(request)  # type: ignore[union-attr]
        await self._reply
        reusable = self._keep_alive and not self._until_close and not self._extra and not self.closed
        return self._status, self._reason, self._headers, b"".join(self._body), reusable


class _Pool:
    """Keep-alive connections to one action server, for one event loop."""

    def __init__(self, url: Text, headers: Dict[Text, Text]) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}",
                 "Content-Type: application/json", "Accept: */*"]
        lines += [f"{name}: {value}" for name, value in headers.items()]  # _plain_headers
        self.head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("ascii")
        self.loop = asyncio.get_running_loop()
        self.idle: List[_Connection] = []
        self.slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def _connection(self, deadline: float) -> _Connection:
        now = time.monotonic()
        while self.idle:
            connection = self.idle.pop()
            if connection.usable(now):
                return connection
            connection.close()
        try:
            _, connection = await asyncio.wait_for(
                self.loop.create_connection(lambda: _Connection(self.loop), self.host, self.port),
                max(deadline - now, 0.001))
        except OSError as error:
            raise aiohttp.ClientConnectionError(
                f"Cannot connect to host {self.host}:{self.port} [{error.strerror or error}]"
            ) from error
        return connection

    async def post(self, body: bytes, timeout: float) -> Tuple[int, bytes, Dict[bytes, bytes], bytes]:
        deadline = time.monotonic() + timeout
        if self.slots.locked():  # all connections busy: the wait counts in the timeout, as in aiohttp
            await asyncio.wait_for(self.slots.acquire(), max(deadline - time.monotonic(), 0.001))
        else:
            await self.slots.acquire()
        try:
            connection = await self._connection(deadline)
            request = self.head + b"%d\r\n\r\n" % len(body) + body
            timer = self.loop.call_later(
                max(deadline - time.monotonic(), 0.0), connection._fail, asyncio.TimeoutError())
            try:
                status, reason, headers, reply, reusable = await connection.exchange(request)
            except BaseException:  # timeout, disconnect, cancellation: the reply is not whole
                connection.close()
                raise
            finally:
                timer.cancel()
            if reusable:
                connection.idle_since = time.monotonic()
                self.idle.append(connection)
                oldest = self.idle[0]  # one at a time, drop the oldest if it went stale
                if oldest is not connection and not oldest.usable(connection.idle_since):
                    self.idle.pop(0).close()
            else:
                connection.close()
            return status, reason, headers, reply
        finally:
            self.slots.release()


def json_text(value: Any, sort_keys: bool = False, default: Any = None) -> Text:
    """`value` as JSON text, ASCII with \\u escapes as json.dumps writes it (the same values, not
    the same spacing), by ujson (Sanic's dependency) in a third of json's time; what ujson refuses
    (an integer beyond 64 bits), by json (which raises json's error for what is not JSON at all)."""
    try:
        return ujson.dumps(value, sort_keys=sort_keys, default=default, escape_forward_slashes=False)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value, sort_keys=sort_keys, default=default)


def json_bytes(value: Any) -> bytes:
    return json_text(value).encode("ascii")


# Headers the lean client would have to act on (it never decompresses, waits for a 100, streams
# or closes on request) or sets itself: an endpoint configured with one goes through aiohttp.
_OWN_HEADERS = frozenset({"accept-encoding", "expect", "transfer-encoding", "connection", "te",
                          "upgrade", "content-type", "content-length", "content-encoding", "host"})


def _plain_headers(headers: Dict[Any, Any]) -> bool:
    return all(isinstance(name, str) and _TOKEN.match(name) and name.lower() not in _OWN_HEADERS
               and isinstance(value, str) and value.isascii() and value.isprintable()
               for name, value in headers.items())


@functools.lru_cache(maxsize=64)
def _plain_url(url: Text) -> bool:
    """An http:// URL that goes on the request line as it is: printable ASCII without spaces,
    no user or password in it (aiohttp would quote the one and turn the other into auth)."""
    if not url.startswith("http://") or not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return False
    return bool(parts.hostname) and "@" not in parts.netloc


def lean_applies(endpoint: EndpointConfig, method: Text, subpath: Optional[Text],
                 content_type: Optional[Text], compress: bool, kwargs: Dict[Text, Any]) -> bool:
    """The call is one `post_json` makes exactly as aiohttp would (see the module docstring)."""
    return (method.lower() == "post" and not compress and content_type == "application/json"
            and "json" in kwargs and set(kwargs) <= {"json", "timeout"}
            and isinstance(kwargs.get("timeout", 0), (int, float))
            and isinstance(endpoint.url, str) and _plain_url(endpoint.url)
            and not endpoint.params and not endpoint.token and not endpoint.basic_auth
            and not endpoint.cafile and _plain_headers(endpoint.headers or {})
            and not subpath)


async def post_json(endpoint: EndpointConfig, payload: Any, timeout: float) -> Optional[Any]:
    """`endpoint.request(json=payload, method="post", timeout=timeout)`, see the docstring."""
    loop = asyncio.get_running_loop()
    pool = endpoint.__dict__.get("_lean_pool")
    if pool is None or pool.loop is not loop:
        pool = _Pool(concat_url(endpoint.url, None), endpoint.headers or {})
        endpoint.__dict__["_lean_pool"] = pool
    status, reason, headers, body = await pool.post(json_bytes(payload), timeout)
    if status >= 400:
        raise ClientResponseError(status, reason.decode("latin-1"), body)  # type: ignore[arg-type]
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    mimetype = content_type.split(";", 1)[0].strip().lower()
    if not JSON_TYPE.match(mimetype):
        return None  # aiohttp's ContentTypeError, which Rasa turns into None
    if not body.strip():
        return None
    charset = re.search(r"charset=\"?([\w.:-]+)", content_type, re.IGNORECASE)
    encoding = charset.group(1) if charset else "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:  # an unknown charset: utf-8, as aiohttp's get_encoding falls back
        encoding = "utf-8"
    return json.loads(body.decode(encoding))
