"""The real thing: the action server and the Rasa server on 127.0.0.1, talked to over REST and
socket.io, including what a patient gets when the action server is down."""
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT

MODEL = ROOT / "models" / "hsg.tar.gz"
HOTLINE = "1900 232 389"
pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: make train")


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

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.actions_port, self.rasa_port = _free_port(), _free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "TRACKER_SQLITE_PATH": str(workdir / "tracker.db"),
            "RASA_TELEMETRY_ENABLED": "false",
        }
        self.actions = None

    def start_actions(self) -> None:
        log = self.workdir / "actions.log"
        self.actions = subprocess.Popen(
            [sys.executable, "scripts/rasa_cli.py", "run", "actions", "--actions", "actions",
             "--port", str(self.actions_port)],
            cwd=ROOT, env=self.env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
        )
        _wait(f"http://127.0.0.1:{self.actions_port}/health", self.actions, log)

    def stop_actions(self) -> None:
        self.actions.terminate()
        self.actions.wait(timeout=30)

    def start_rasa(self) -> None:
        log = self.workdir / "rasa.log"
        self.rasa = subprocess.Popen(
            [sys.executable, "scripts/rasa_cli.py", "run", "--model", str(MODEL),
             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
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
        return response.json()

    def stop(self) -> None:
        for process in (self.rasa, self.actions):
            if process and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    servers = Servers(tmp_path_factory.mktemp("servers"))
    servers.start_actions()
    servers.start_rasa()
    yield servers
    servers.stop()


def texts(replies):
    return " ".join(r.get("text", "") for r in replies)


def test_english_question_gets_the_english_answer_with_buttons(servers, kb):
    replies = servers.say("en-1", "does the hsg test hurt?")
    answer = [r for r in replies if r.get("text") == kb.topics["hsg_pain"].answer["en"]]
    assert answer, replies
    assert [b["payload"] for b in answer[0]["buttons"]] == [f"/{t}" for t in kb.topics["hsg_pain"].related]
    assert "not a diagnosis" in texts(replies)  # first message of the conversation


@pytest.mark.parametrize("text", ["chup hsg co dau ko", "Chụp HSG có đau không ạ?"])
def test_vietnamese_with_or_without_accents_gets_the_vietnamese_answer(servers, kb, text):
    replies = servers.say(f"vi-{hash(text)}", text)
    assert kb.topics["hsg_pain"].answer["vi"] in texts(replies)


def test_button_payload_answers_in_the_conversation_language(servers, kb):
    servers.say("btn", "chup hsg co dau ko")
    replies = servers.say("btn", "/hsg_medication")
    assert texts(replies).endswith(kb.topics["hsg_medication"].answer["vi"])


def test_metadata_language_from_the_widget_wins(servers, kb):
    replies = servers.say("meta", "chup hsg co dau ko", metadata={"language": "en"})
    assert kb.topics["hsg_pain"].answer["en"] in texts(replies)


def test_patient_can_ask_to_switch_language(servers, kb):
    assert "English" in texts(servers.say("switch", "can you answer in English please"))
    replies = servers.say("switch", "chụp hsg có đau không")
    assert kb.topics["hsg_pain"].answer["en"] in texts(replies)


@pytest.mark.parametrize(
    "text",
    ["I've soaked 3 pads in an hour since my hsg is that normal",
     "em chụp hsg xong bị sốt 39 độ từ tối qua",
     "vo em vua ngat xiu sau khi chup"],
)
def test_urgent_symptoms_get_115_and_the_hotline(servers, text):
    reply = texts(servers.say(f"urgent-{hash(text)}", text))
    assert "115" in reply and HOTLINE in reply


@pytest.mark.parametrize("text", ["how much does IVF cost", "cho em hỏi giá làm IVF"])
def test_out_of_scope_goes_to_the_hotline(servers, text):
    assert HOTLINE in texts(servers.say(f"oos-{hash(text)}", text))


def test_greeting_has_the_disclaimer_only_once(servers):
    first = texts(servers.say("greet", "hello"))
    second = texts(servers.say("greet", "hello again"))
    assert "not a diagnosis" in first and "not a diagnosis" not in second


@pytest.mark.parametrize("text", ["", "   ", "x" * 20000, "\u0000\u0007", "😀😀"])
def test_odd_input_gets_a_reply_not_an_error(servers, text):
    replies = servers.say(f"odd-{len(text)}", text)
    assert isinstance(replies, list)


def test_conversation_is_stored_in_the_tracker_store(servers):
    servers.say("stored", "what is hsg")
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        types = [row[0] for row in db.execute(
            "select type_name from events where sender_id = 'stored' order by id")]
    assert "user" in types and "bot" in types


def test_socketio_client_gets_its_replies(servers, kb):
    import socketio

    received = []
    client = socketio.Client()
    client.on("bot_uttered", lambda data: received.append(data))
    client.connect(f"http://127.0.0.1:{servers.rasa_port}", socketio_path="/socket.io",
                   transports=["polling"])
    client.emit("session_request", {"session_id": "sio-1"})
    time.sleep(1)
    client.emit("user_uttered", {"message": "does hsg hurt", "session_id": "sio-1"})
    deadline = time.time() + 30
    while not any(r.get("text") == kb.topics["hsg_pain"].answer["en"] for r in received):
        assert time.time() < deadline, received
        time.sleep(0.2)
    client.disconnect()


def test_action_server_down_still_gives_the_hotline_then_recovers(servers, kb):
    servers.stop_actions()
    try:
        for sender, text in (("down-en", "what is hsg"), ("down-vi", "chup hsg la gi")):
            reply = texts(servers.say(sender, text))
            assert HOTLINE in reply, reply
        assert "press 0" in texts(servers.say("down-en", "does it hurt"))
        assert "bấm phím 0" in texts(servers.say("down-vi", "co dau ko"))
    finally:
        servers.start_actions()
    assert kb.topics["hsg_definition"].answer["en"] in texts(servers.say("down-en", "what is hsg"))
