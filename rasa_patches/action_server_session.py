"""One kept-alive aiohttp session per action-server endpoint and event loop.

Every call to the action server opened a new aiohttp session and TCP connection
(`EndpointConfig.session`). Here each endpoint keeps one session with keep-alive connections per
event loop; idle connections are dropped after 4 s, before the action server (Sanic, 5 s) would
close them under a request. The call itself is Rasa's own (`EndpointConfig.request`, aiohttp).
"""
from typing import Any

IDLE_SECONDS = 4.0  # below Sanic's keep-alive timeout (5 s) on the action server's side


def _keep_action_server_connections() -> None:
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    class KeptSession(aiohttp.ClientSession):
        """A session that `async with` does not close: the next request reuses it."""

        async def __aexit__(self, *exc_info: Any) -> None:
            return None

    original = EndpointConfig.session

    def session(self: EndpointConfig) -> aiohttp.ClientSession:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside the server's loop: Rasa's own
            return original(self)
        kept = self.__dict__.get("_kept_session")
        if kept is None or kept.closed or kept._loop is not loop:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            kept = KeptSession(headers=self.headers, auth=auth,
                               cookie_jar=aiohttp.DummyCookieJar(),  # the action server sets none
                               timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                               connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_SECONDS))
            self.__dict__["_kept_session"] = kept
        return kept

    EndpointConfig.session = session


def apply(serving: bool) -> None:
    _keep_action_server_connections()
