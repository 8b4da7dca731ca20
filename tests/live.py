"""Live servers for the tests: the action server and Rasa on free ports, as `make run` starts them."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT

MODEL = ROOT / "models" / "hsg.tar.gz"
HOTLINE = "1900 232 389"
FAKE_ZALO = None  # the fake Zalo API, started before the servers (see `zalo_api`)
ZALO_ENV = {"ZALO_APP_ID": "4321", "ZALO_OA_SECRET_KEY": "test-oa-secret",
            "ZALO_ACCESS_TOKEN": "test-access-token"}
FACEBOOK_ENV = {"FACEBOOK_VERIFY_TOKEN": "test-verify", "FACEBOOK_APP_SECRET": "test-app-secret",
                "FACEBOOK_PAGE_ACCESS_TOKEN": "test-page-token"}
TELEGRAM_ENV = {"TELEGRAM_ACCESS_TOKEN": "123456:TEST-token", "TELEGRAM_BOT_NAME": "hsg_test_bot",
                "TELEGRAM_WEBHOOK_URL": "https://example.invalid/webhooks/telegram/webhook",
                "TELEGRAM_SECRET_TOKEN": "test-telegram-secret"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, log: Path, seconds: float = 240) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {seconds}s:\n{log.read_text()[-3000:]}")


class Servers:
    """The action server and Rasa, as `make run` starts them, on free ports."""

    def __init__(self, workdir: Path, **env: str) -> None:
        self.workdir = workdir
        self.actions_port, self.rasa_port = _free_port(), _free_port()
        self.web_port = _free_port()  # where a test serves the chat page: an allowed origin
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "TRACKER_SQLITE_PATH": str(workdir / "tracker.db"),
            "RASA_TELEMETRY_ENABLED": "false",
            "HSG_ALLOWED_ORIGINS": f"http://127.0.0.1:{self.web_port}",
            **ZALO_ENV, **FACEBOOK_ENV, **TELEGRAM_ENV, **env,
        }
        self.actions = None

    def start_actions(self) -> None:
        log = self.workdir / "actions.log"
        self.actions = subprocess.Popen(
            [sys.executable, "scripts/actions_cli.py", "--actions", "actions",
             "--port", str(self.actions_port)],
            cwd=ROOT, env=self.env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
        )
        _wait(f"http://127.0.0.1:{self.actions_port}/health", self.actions, log)

    def stop_actions(self) -> None:
        self.actions.terminate()
        self.actions.wait(timeout=30)

    def start_rasa(self) -> None:
        log = self.workdir / "rasa.log"
        credentials = self.workdir / "credentials.yml"
        endpoints = self.workdir / "endpoints.yml"
        for script, out in (("credentials.py", credentials), ("endpoints.py", endpoints)):
            subprocess.run([sys.executable, f"scripts/{script}", str(out)], cwd=ROOT, env=self.env, check=True)
        self.rasa = subprocess.Popen(
            [sys.executable, "scripts/rasa_cli.py", "run", "--model", str(MODEL),
             "--endpoints", str(endpoints), "--credentials", str(credentials),
             "--port", str(self.rasa_port), "--interface", "127.0.0.1"],
            cwd=ROOT, env=self.env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
        )
        _wait(f"http://127.0.0.1:{self.rasa_port}/", self.rasa, log)
        # the model loads after the HTTP server answers: wait for a real reply
        deadline = time.time() + 240
        while not self.say("warmup", "hello") and time.time() < deadline:
            time.sleep(1)

    def say(self, sender: str, text: str, metadata=None):
        body = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(
            f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook", json=body, timeout=60)
        assert response.status_code == 200, response.text
        replies = response.json()
        # every placeholder of data/hospital.yml filled, in actions' texts and Rasa's responses
        for reply in replies:
            assert "{" not in reply.get("text", ""), reply
        return replies

    def stop(self) -> None:
        for process in (self.rasa, self.actions):
            if process and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


@pytest.fixture(scope="session")
def zalo_api():
    """A local fake of the Zalo OA message API that records what the bot sends."""
    from tests.fakes import FakeApi

    with FakeApi() as api:
        yield api


@pytest.fixture(scope="session")
def servers(tmp_path_factory, zalo_api):
    # one local fake stands for the three platforms' APIs (their paths differ)
    ZALO_ENV["ZALO_API_BASE"] = zalo_api.url
    FACEBOOK_ENV["FACEBOOK_GRAPH_URL"] = zalo_api.url + "/v12.0"
    TELEGRAM_ENV["TELEGRAM_API_BASE"] = zalo_api.url
    servers = Servers(tmp_path_factory.mktemp("servers"))
    servers.start_actions()
    servers.start_rasa()
    yield servers
    servers.stop()


JWT_KEY = "test-socketio-jwt-key-of-some-length"


@pytest.fixture(scope="session")
def hardened(tmp_path_factory):
    """Rasa and the action server logging at DEBUG, storing masked text, requiring tokens."""
    if not MODEL.exists():
        pytest.skip("no trained model: make train")
    servers = Servers(tmp_path_factory.mktemp("hardened"), LOG_LEVEL="DEBUG",
                      HSG_MASK_STORED_PII="true", SOCKETIO_JWT_KEY=JWT_KEY)
    servers.start_actions()
    servers.start_rasa()
    yield servers
    servers.stop()


def socketio_client(servers, session_id: str):
    """A python-socketio client on Rasa's socket.io channel; replies collect in `.received`."""
    import socketio

    client = socketio.Client()
    client.received = []
    client.on("bot_uttered", lambda data: client.received.append(data))
    client.connect(f"http://127.0.0.1:{servers.rasa_port}", socketio_path="/socket.io",
                   transports=["polling"])
    client.emit("session_request", {"session_id": session_id})
    time.sleep(1)
    return client


def socketio_ask(servers, session_id: str, text: str, expected: str, timeout: float = 60) -> None:
    """Ask over socket.io as a new client and wait until `expected` arrives as a bot message."""
    client = socketio_client(servers, session_id)
    client.emit("user_uttered", {"message": text, "session_id": session_id})
    deadline = time.time() + timeout
    while not any(r.get("text") == expected for r in client.received):
        assert time.time() < deadline, client.received
        time.sleep(0.2)
    client.disconnect()
