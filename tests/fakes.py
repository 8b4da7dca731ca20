"""Local fakes of messaging platforms' APIs, on 127.0.0.1, recording what the bot sends."""
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List


class FakeApi:
    """Answers every POST as the platform would and keeps (path, headers, query, body)."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if "json" in (self.headers.get("Content-Type") or ""):
                    data = json.loads(body or b"null")
                else:  # Telegram's client posts form fields
                    data = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
                    for key in ("reply_markup",):
                        if key in data:
                            data[key] = json.loads(data[key])
                fake.requests.append({"path": self.path.split("?")[0], "headers": dict(self.headers),
                                      "query": urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query),
                                      "json": data})
                reply = json.dumps(fake.reply(self.path.split("?")[0], data)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def reply(path: str, data: Any) -> Dict[str, Any]:
        """What the platform answers: Telegram's Bot API envelope, or Zalo's/Facebook's."""
        if path.startswith("/bot"):
            chat = {"id": int(data.get("chat_id", 0) or 0), "type": "private"}
            return {"ok": True, "result": {"message_id": 1, "date": 0, "chat": chat,
                                           "text": data.get("text", "")}}
        if path.endswith("/me/messages"):
            return {"recipient_id": (data.get("recipient") or {}).get("id"), "message_id": "m1"}
        return {"error": 0, "message": "Success"}

    def __enter__(self) -> "FakeApi":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()

    @staticmethod
    def recipient(body: Any) -> str:
        """The user a sent message is for, in Zalo's, Facebook's or Telegram's request."""
        if not isinstance(body, dict):
            return ""
        to = body.get("recipient") or {}
        return str(to.get("user_id") or to.get("id") or body.get("chat_id") or "")

    def sent_to(self, recipient: str, count: int, timeout: float = 30) -> List[Dict[str, Any]]:
        """The messages sent to a recipient, once there are at least `count` of them."""
        deadline = time.time() + timeout
        while True:
            found = [r["json"] for r in self.requests
                     if self.recipient(r["json"]) == recipient and "sender_action" not in r["json"]]
            if len(found) >= count or time.time() > deadline:
                return found
            time.sleep(0.1)
