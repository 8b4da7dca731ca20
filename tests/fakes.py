"""Local fakes of messaging platforms' APIs, on 127.0.0.1, recording what the bot sends."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List


class FakeApi:
    """Answers every POST with `{"error": 0}` and keeps (path, headers, JSON body)."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "json": json.loads(body or b"null")})
                reply = b'{"error": 0, "message": "Success"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeApi":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()

    def sent_to(self, recipient: str, count: int, timeout: float = 30) -> List[Dict[str, Any]]:
        """The messages sent to a recipient, once there are at least `count` of them."""
        deadline = time.time() + timeout
        while True:
            found = [r["json"] for r in self.requests
                     if (r["json"] or {}).get("recipient", {}).get("user_id") == recipient]
            if len(found) >= count or time.time() > deadline:
                return found
            time.sleep(0.1)
