"""`make report`: the curator report, from trackers that Rasa's own SQL tracker store saved."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from scripts.report import build_report, main, write_report
from tests.conftest import ROOT

DAY = 86400
NOW = time.time()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _user(text, intent, confidence=0.95, ranking=None):
    from rasa.shared.core.events import UserUttered

    parsed = {"name": intent, "confidence": confidence}
    return UserUttered(text, parsed, [], parse_data={"intent_ranking": ranking or [parsed]})


def _turn(text, intent, reply, *after, confidence=0.95, ranking=None, slots=None):
    """A patient message, the slots it sets, the bot's action and its events, then listening."""
    from rasa.shared.core.events import ActionExecuted, SlotSet

    return [_user(text, intent, confidence, ranking),
            *[SlotSet(name, value) for name, value in (slots or {}).items()],
            ActionExecuted(reply), *after, ActionExecuted("action_listen")]


def _answered(text, intent, language=None):
    from rasa.shared.core.events import BotUttered, SlotSet

    return _turn(text, intent, "action_answer_topic", BotUttered(f"answer about {intent}"),
                 SlotSet("disclaimer_shown", True), SlotSet("last_topic", intent),
                 slots={"language": language} if language else None)


def _handoff(text, intent, confidence=0.95, language=None):
    from rasa.shared.core.events import BotUttered

    return _turn(text, intent, "utter_handoff",
                 BotUttered("Please call our hotline 1900 232 389", metadata={"utter_action": "utter_handoff"}),
                 confidence=confidence, slots={"language": language} if language else None)


def _clarify(text, guesses, language=None):
    from rasa.shared.core.events import BotUttered, SlotSet

    ranking = [{"name": "nlu_fallback", "confidence": 0.4}] + [
        {"name": name, "confidence": confidence} for name, confidence in guesses]
    return _turn(text, "nlu_fallback", "action_clarify", BotUttered("Did you mean...?"),
                 SlotSet("suggested_topics", [name for name, _ in guesses[:2]]),
                 confidence=0.4, ranking=ranking, slots={"language": language} if language else None)


def conversations():
    """The test conversations (fresh events: saving sets their timestamps)."""
    return {
        # two topics answered in two languages; out of scope; urgent
        "en-answer-oos": [*_answered("Does the HSG hurt?", "hsg_pain", "en"),
                          *_handoff("How much does IVF cost", "out_of_scope", 0.91)],
        "vi-answers-urgent": [*_answered("chụp hsg có đau không", "hsg_pain", "vi"),
                              *_answered("cần chuẩn bị gì", "hsg_preparation"),
                              *_turn("em bị sốt 39 độ từ tối qua", "report_urgent_symptom", "utter_urgent",
                                     confidence=1.0)],
        # "did you mean", then a suggested topic picked; then a person asked for
        "vi-clarify-picked": [*_clarify("hsg xong co bau nhanh ko",
                                        [("hsg_fertility_after", 0.35), ("hsg_results", 0.2)], "vi"),
                              *_answered("/hsg_fertility_after", "hsg_fertility_after")],
        "en-clarify-human": [*_clarify("what about the thing",
                                       [("hsg_procedure", 0.3), ("hsg_timing", 0.25)], "en"),
                             *_handoff("/request_human", "request_human", 1.0)],
        # English asked for, then Vietnamese text: the reply (and the count) stays English; the same
        # out-of-scope question written differently; "did you mean" and no next message
        "en-preference": [*_turn("answer in English please", "switch_language", "utter_language_switched",
                                 slots={"language_preference": "en", "language": "en"}),
                          *_handoff("HOW much does   IVF cost", "out_of_scope", 0.88),
                          *_clarify("hsg thế nào", [("hsg_definition", 0.33), ("hsg_procedure", 0.3)], "vi")],
        # a topic recognised but sent to the hotline (an entry not reviewed): no `last_topic`
        "en-no-answer": _turn("what is the radiation dose", "hsg_radiation", "action_answer_topic",
                              slots={"language": "en"}),
    }


def old_conversation():
    """A conversation of 10 days ago."""
    return {"vi-old": _answered("chi phí chụp hsg bao nhiêu", "hsg_cost", "vi")}


def _sqlite(path):
    return {"dialect": "sqlite", "db": str(path)}


async def _save(store_options, saved, start):
    """Saves each conversation with Rasa's SQLTrackerStore, events one second apart from `start`."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SQLTrackerStore(domain, **store_options)
    for sender, turns in saved.items():
        events = [ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen"), *turns]
        for i, event in enumerate(events):
            event.timestamp = start + i
        await store.save(DialogueStateTracker.from_events(sender, events, slots=domain.slots))
    store.engine.dispose()


@pytest.fixture
async def store(tmp_path):
    path = tmp_path / "tracker.db"
    await _save(_sqlite(path), conversations(), NOW - 3600)
    await _save(_sqlite(path), old_conversation(), NOW - 10 * DAY)
    return path


EXPECTED = {
    "totals": {"conversations": 7, "user_messages": 14},
    "languages": {"messages": {"en": 8, "vi": 6}, "conversations": {"en": 4, "vi": 3}},
    "topics": {"hsg_pain": {"en": 1, "vi": 1}, "hsg_cost": {"vi": 1}, "hsg_fertility_after": {"vi": 1},
               "hsg_preparation": {"vi": 1}},
    "escalations": {"messages": 6, "distinct_questions": 5,
                    "by_path": {"handoff": {"en": 2}, "clarify": {"en": 2, "vi": 1}, "no_answer": {"en": 1}}},
    "urgent": 1,
    "clarifications": {"total": 3, "outcomes": {"picked": 1, "human": 1, "other": 0, "left": 1}},
}


def _check(report, expected=EXPECTED):
    assert {k: report["totals"][k] for k in ("conversations", "user_messages")} == expected["totals"]
    assert report["languages"] == expected["languages"]
    assert report["topics"] == expected["topics"]
    assert list(report["topics"]) == list(expected["topics"])  # the most answered first
    escalations = report["escalations"]
    assert {k: escalations[k] for k in ("messages", "distinct_questions", "by_path")} == expected["escalations"]
    assert report["urgent"] == expected["urgent"]
    assert report["clarifications"] == expected["clarifications"]


def test_report_counts(store, tmp_path):
    report = build_report(f"sqlite:///{store}", now=NOW)
    _check(report)
    top = report["escalations"]["top"]
    assert [(g["text"], g["count"]) for g in top] == [
        ("how much does ivf cost", 2), ("hsg thế nào", 1), ("hsg xong co bau nhanh ko", 1),
        ("what about the thing", 1), ("what is the radiation dose", 1)]  # not "/request_human"
    assert top[0] == {"text": "how much does ivf cost", "count": 2, "paths": {"handoff": 2},
                      "languages": {"en": 2}, "intent": "out_of_scope", "confidence": 0.895,
                      "guess": None, "guess_confidence": None}
    unsure = top[2]
    assert (unsure["paths"], unsure["intent"], unsure["guess"], unsure["guess_confidence"]) == (
        {"clarify": 1}, "nlu_fallback", "hsg_fertility_after", 0.35)
    assert top[4]["paths"] == {"no_answer": 1} and top[4]["intent"] == "hsg_radiation"
    assert report["totals"]["first_message"] < report["totals"]["last_message"]

    text = write_report(report, tmp_path / "out")
    assert "Conversations: 7, patient messages: 14" in text
    assert "how much does ivf cost" in text and "unsure: hsg_fertility_after 0.35" in text
    _check_files(tmp_path / "out", min_png=20000)
    assert json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8")) == report


def test_since_counts_only_the_recent_messages(store):
    report = build_report(f"sqlite:///{store}", since_days=5, now=NOW)
    _check(report, {**EXPECTED,
                    "totals": {"conversations": 6, "user_messages": 13},
                    "languages": {"messages": {"en": 8, "vi": 5}, "conversations": {"en": 4, "vi": 2}},
                    "topics": {k: v for k, v in EXPECTED["topics"].items() if k != "hsg_cost"}})
    assert build_report(f"sqlite:///{store}", top=2, now=NOW)["escalations"]["top"][1]["text"] == "hsg thế nào"


def _check_files(out, min_png):
    for name in ("report.txt", "report.json", "report.png"):
        assert (out / name).stat().st_size > 0, name
    png = (out / "report.png").read_bytes()
    assert png[:8] == PNG_MAGIC and len(png) > min_png


def _run(args, **env):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_command_line_and_make_target(store, tmp_path):
    out = _run([sys.executable, "scripts/report.py", "--sqlite", str(store), "--out", str(tmp_path / "cli"),
                "--since", "5", "--top", "3"])
    assert out.returncode == 0, out.stderr
    assert "Conversations: 6, patient messages: 13" in out.stdout
    assert "Top 3 of 5 questions" in out.stdout
    assert out.stdout.startswith((tmp_path / "cli" / "report.txt").read_text(encoding="utf-8"))
    _check_files(tmp_path / "cli", min_png=20000)

    # TRACKER_DB_URL (how production points it at PostgreSQL) passes through make
    out = _run(["make", "-s", "report", f"OUT={tmp_path / 'make'}"], TRACKER_DB_URL=f"sqlite:///{store}",
               TRACKER_SQLITE_PATH=str(tmp_path / "absent.db"))
    assert out.returncode == 0, out.stderr
    assert "Conversations: 7, patient messages: 14" in out.stdout
    _check_files(tmp_path / "make", min_png=20000)


def test_empty_store(tmp_path, monkeypatch, capsys):
    from rasa.core.tracker_store import SQLTrackerStore

    missing = tmp_path / "missing.db"
    monkeypatch.setattr(sys, "argv", ["report.py", "--sqlite", str(missing), "--out", str(tmp_path / "cli")])
    assert main() == 0
    assert "No conversations yet." in capsys.readouterr().out
    _check_files(tmp_path / "cli", min_png=1000)
    assert not missing.exists()  # not created

    report = build_report(f"sqlite:///{missing}")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    SQLTrackerStore.Base.metadata.create_all(engine)  # the table, without events
    engine.dispose()
    assert {**build_report(f"sqlite:///{tmp_path / 'empty.db'}", now=1), "source": ""} == {
        **build_report(f"sqlite:///{missing}", now=1), "source": ""}
    assert report["totals"] == {"conversations": 0, "user_messages": 0, "first_message": None, "last_message": None}
    assert report["escalations"]["top"] == [] and report["topics"] == {} and report["urgent"] == 0
    assert report["clarifications"]["total"] == 0
    assert "No conversations yet." in write_report(report, tmp_path / "out")
    _check_files(tmp_path / "out", min_png=1000)


def test_odd_events_do_not_break_it(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = sa.create_engine(url)
    SQLTrackerStore.Base.metadata.create_all(engine)
    rows = [
        ("user", None), ("action", "not json"), ("slot", "[]"), ("bot", "null"),
        ("user", json.dumps({"event": "user", "text": None})),  # no text, no parse data
        ("action", json.dumps({"event": "action", "name": None})),
        ("slot", json.dumps({"event": "slot", "value": "en"})),  # no slot name
        ("action", json.dumps({"event": "action", "name": "utter_handoff"})),
        ("whatever", json.dumps({"event": "whatever"})),
        ("user", json.dumps({"event": "user", "text": "???", "parse_data": {
            "intent": {"name": "nlu_fallback", "confidence": "high"}, "intent_ranking": [None, 3, {}]}})),
        ("action", json.dumps({"event": "action", "name": "action_clarify"})),
        ("slot", json.dumps({"event": "slot", "name": "suggested_topics", "value": "not a list"})),
        ("slot", json.dumps({"event": "slot", "name": "language", "value": ["en"]})),
        ("user", json.dumps({"event": "user", "text": "tell me a joke", "parse_data": {
            "intent": {"name": "some_new_intent", "confidence": 0.2}}})),
        ("action", json.dumps({"event": "action", "name": "action_answer_topic"})),
        ("slot", json.dumps({"event": "slot", "name": "last_topic", "value": None})),
    ]
    with engine.begin() as connection:
        for i, (type_name, data) in enumerate(rows):
            connection.execute(sa.text("insert into events (sender_id, type_name, timestamp, data) "
                                       "values ('odd', :t, :ts, :d)"), {"t": type_name, "ts": NOW + i, "d": data})
        connection.execute(sa.text("insert into events (sender_id, type_name, timestamp, data) "
                                   "values ('no-time', 'user', null, '{}')"))
    engine.dispose()

    report = build_report(url, since_days=1, now=NOW + 100)  # 'no-time' has no time: not counted
    assert report["totals"]["user_messages"] == 4
    assert report["escalations"]["by_path"] == {"handoff": {"vi": 1}, "clarify": {"vi": 1}, "no_answer": {"vi": 1}}
    assert report["clarifications"]["outcomes"] == {"picked": 0, "human": 0, "other": 1, "left": 0}
    text = write_report(report, tmp_path / "out")
    assert "(no text)" in text
    _check_files(tmp_path / "out", min_png=20000)
    assert build_report(url, now=NOW)["totals"]["user_messages"] == 5


async def test_patient_text_is_masked(tmp_path):
    db = tmp_path / "tracker.db"
    patient = _handoff("My name is Lan, call me on 0912 345 678", "out_of_scope", language="en")
    await _save(_sqlite(db), {"pii": patient}, NOW)
    report = build_report(f"sqlite:///{db}", now=NOW)
    assert [g["text"] for g in report["escalations"]["top"]] == ["my name is [name], call me on [phone]"]
    write_report(report, tmp_path / "out")
    for name in ("report.txt", "report.json"):
        written = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert "0912" not in written and "lan," not in written.lower(), name


def _postgres():
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


@pytest.mark.skipif(not _postgres(), reason="needs PostgreSQL on 127.0.0.1:5432")
async def test_report_from_postgresql():
    name = f"hsg_report_{os.getpid()}"
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"drop database if exists {name}"))
        connection.execute(sa.text(f"create database {name}"))
    try:
        store = {"dialect": "postgresql", "host": "127.0.0.1", "port": 5432, "db": name, "username": "postgres"}
        await _save(store, conversations(), NOW - 3600)
        await _save(store, old_conversation(), NOW - 10 * DAY)
        _check(build_report(f"postgresql://postgres@127.0.0.1:5432/{name}", now=NOW))
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"drop database if exists {name}"))
        admin.dispose()


def _answered_with(text, intent, answers, language="en"):
    from rasa.shared.core.events import BotUttered, SlotSet

    return _turn(text, intent, "action_answer_topic", BotUttered(f"answer about {intent}"),
                 SlotSet("disclaimer_shown", True), SlotSet("last_answers", answers),
                 SlotSet("last_topic", intent), slots={"language": language})


def _verdict(text, intent):
    reply = "utter_feedback_thanks" if intent == "feedback_helpful" else "utter_feedback_sorry"
    return _turn(text, intent, reply, confidence=1.0)


async def test_feedback_per_answer_and_the_questions_whose_answer_did_not_help_masked(tmp_path):
    path = tmp_path / "tracker.db"
    await _save(_sqlite(path), {
        "a": [*_answered_with("call me on 0912 345 678, how long does it take?", "hsg_procedure",
                              ["hsg_procedure/duration"]),
              *_verdict("/feedback_not_helpful", "feedback_not_helpful")],
        "b": [*_answered_with("does it hurt", "hsg_pain", ["hsg_pain"]),
              *_verdict("/feedback_helpful", "feedback_helpful")],
        "c": [*_answered_with("ngày nào chụp, có đau không", "hsg_timing", ["hsg_timing", "hsg_pain"], "vi"),
              *_verdict("không hữu ích", "feedback_not_helpful")],
        # a verdict with no answer before it is counted apart, never given to a topic
        "d": [*_verdict("not helpful", "feedback_not_helpful")],
    }, NOW - 600)
    report = build_report(f"sqlite:///{path}", now=NOW)
    answers = report["feedback"]["answers"]
    assert answers["hsg_procedure/duration"] == {"helpful": 0, "not_helpful": 1, "helped": 0.0}
    assert answers["hsg_pain"] == {"helpful": 1, "not_helpful": 1, "helped": 0.5}
    assert answers["hsg_timing"]["not_helpful"] == 1
    assert answers["(no answer before)"]["not_helpful"] == 1
    questions = {q["question"]: q["answers"] for q in report["feedback"]["not_helpful_questions"]}
    assert questions == {"call me on [phone], how long does it take?": ["hsg_procedure/duration"],
                         "ngày nào chụp, có đau không": ["hsg_timing", "hsg_pain"]}
    text = write_report(report, tmp_path / "out")
    assert "hsg_procedure/duration" in text and "0912" not in text
    assert "Questions whose answer did not help" in text
