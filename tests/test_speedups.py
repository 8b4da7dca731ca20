"""rasa_patches/ (changes to Rasa's internals) and the tracker store's fast write change how
Rasa works, not what it does: the same predictions, the same validation, the same stored rows as Rasa's own code."""
import asyncio
import os
import sqlite3

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, BotUttered, Restarted,
                                     SessionStarted, SlotSet, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from rasa_patches import (action_call_events, action_limit, action_result_check, applied_events,
                          common, debug_copies, rule_matches, rule_state_lines, rule_states,
                          tracker_copy)
from privacy.tracker_store import ResilientSQLTrackerStore
from tests.conftest import ROOT
from tests.live import MODEL

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def _user(text, intent, confidence=0.95):
    return UserUttered(text, {"name": intent, "confidence": confidence},
                       parse_data={"intent_ranking": [{"name": intent, "confidence": confidence}]})


def _answer(action="action_answer_topic", slot=("last_topic", "hsg_pain")):
    return [ActionExecuted(action), SlotSet(*slot), BotUttered("answer"),
            ActionExecuted("action_listen")]


# A conversation with everything that rewrites history: a new session, a restart, an undone
# user message, an undone action; and ordinary turns in between.
CONVERSATION = [
    ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
    _user("hi", "greet"), ActionExecuted("action_greet"), SlotSet("disclaimer_shown", True),
    BotUttered("hello"), ActionExecuted("action_listen"),
    _user("does it hurt", "hsg_pain"), *_answer(),
    _user("chup hsg co dau ko", "hsg_pain"), *_answer(),
    _user("hmm", "nlu_fallback", 0.3), ActionExecuted("action_clarify"),
    SlotSet("suggested_topics", ["hsg_pain", "hsg_cost"]), BotUttered("did you mean"),
    ActionExecuted("action_listen"),
    _user("oops", "deny"), UserUtteranceReverted(),
    _user("what does it cost", "hsg_cost"), *_answer(slot=("last_topic", "hsg_cost")),
    _user("bleeding a lot", "report_urgent_symptom"), ActionExecuted("utter_urgent"),
    ActionReverted(), ActionExecuted("utter_urgent"), BotUttered("call 115"),
    ActionExecuted("action_listen"),
    _user("restart", "restart"), ActionExecuted("action_restart"), Restarted(),
    ActionExecuted("action_listen"), _user("a person please", "request_human"),
    ActionExecuted("utter_handoff"), BotUttered("hotline"), ActionExecuted("action_listen"),
    *[event for n in range(12) for event in (_user(f"question {n}", "hsg_results"), *_answer())],
    SessionStarted(), ActionExecuted("action_listen"), _user("thanks", "thank"),
    ActionExecuted("utter_thank"), BotUttered("you are welcome"), ActionExecuted("action_listen"),
]


def _rasa_states(tracker, keep):
    return DOMAIN.states_for_tracker_history(tracker)[-keep:]


@pytest.mark.parametrize("keep", [1, 3, 4, 10])
def test_trailing_states_equal_rasas_after_every_event(keep):
    tracker = DialogueStateTracker("s", DOMAIN.slots)
    for event in CONVERSATION:
        tracker.update(event)
        expected = _rasa_states(tracker, keep)
        first = rule_states._RecentStates.of(tracker, DOMAIN, keep)
        assert first == expected
        for state in first:  # callers edit what they get (RulePolicy drops text or intent)
            for sub_state in state.values():
                sub_state.clear()
        assert rule_states._RecentStates.of(tracker, DOMAIN, keep) == expected  # asked again


def test_a_conversation_with_a_form_gets_rasas_states():
    from rasa.shared.core.events import ActiveLoop

    tracker = DialogueStateTracker("f", DOMAIN.slots)
    for event in CONVERSATION[:12]:
        tracker.update(event)
    assert rule_states._RecentStates.of(tracker, DOMAIN, 4) == _rasa_states(tracker, 4)
    tracker.update(ActionExecuted("booking_form"))
    tracker.update(ActiveLoop("booking_form"))
    assert rule_states._RecentStates.of(tracker, DOMAIN, 4) is None
    assert "_hsg_recent_states" not in tracker.__dict__


def test_trailing_states_follow_a_tracker_rebuilt_from_the_database():
    tracker = DialogueStateTracker("s", DOMAIN.slots)
    for event in CONVERSATION[:20]:
        tracker.update(event)
    rule_states._RecentStates.of(tracker, DOMAIN, 4)
    rebuilt = DialogueStateTracker.from_events("s", [e for e in tracker.events], DOMAIN.slots)
    rebuilt.update(_user("and the radiation?", "hsg_radiation"))
    assert rule_states._RecentStates.of(rebuilt, DOMAIN, 4) == _rasa_states(rebuilt, 4)


def test_applied_events_equal_rasas_after_every_event():
    from rasa.shared.core.events import ActiveLoop

    rasa_applied = DialogueStateTracker.applied_events
    ours = applied_events.remembered_applied_events(rasa_applied)
    form = [ActionExecuted("action_listen"), _user("book", "hospital_booking"),
            ActionExecuted("booking_form"), ActiveLoop("booking_form"), SlotSet("x", 1),
            ActionExecuted("action_listen"), _user("tuesday", "inform"),
            ActionExecuted("booking_form"), ActiveLoop(None)]
    tracker = DialogueStateTracker("e", DOMAIN.slots)
    for event in [*CONVERSATION, *form, *CONVERSATION[8:30]]:
        tracker.update(event)
        expected = rasa_applied(tracker)
        got = ours(tracker)
        assert got == expected and [id(e) for e in got] == [id(e) for e in expected], event
        got.clear()  # a caller's list is its own
        assert ours(tracker) == expected


def _tracker_facts(tracker):
    facts = {}
    for name, value in vars(tracker).items():
        if name in common.KEPT_ON_TRACKERS:
            continue
        if name == "events":
            value = ([id(event) for event in value], value.maxlen)
        elif name == "slots":
            value = {slot_name: vars(slot) for slot_name, slot in value.items()}
        elif name in ("latest_message", "latest_bot_utterance"):  # an event, or a new empty one
            value = (id(value) if value in tracker.events
                     else {**value.as_dict(), "timestamp": "when the tracker was made"})
        facts[name] = value
    return facts


def test_tracker_copy_equals_rasas_replayed_copy():
    from rasa.shared.core.events import ActiveLoop

    rasa_copy = DialogueStateTracker.copy
    ours = tracker_copy.direct_copy(rasa_copy)
    remembered = applied_events.remembered_applied_events(DialogueStateTracker.applied_events)
    form = [ActionExecuted("action_listen"), _user("book", "hospital_booking"),
            ActionExecuted("booking_form"), ActiveLoop("booking_form"), SlotSet("x", 1)]
    tracker = DialogueStateTracker("c", DOMAIN.slots, sender_source="web")
    tracker.model_id, tracker.assistant_id = "model", "hsg-assistant"
    for event in [*CONVERSATION, *form]:
        tracker.update(event)
        remembered(tracker)  # something kept on the tracker: not carried to the copy
        copied = ours(tracker)
        assert _tracker_facts(copied) == _tracker_facts(rasa_copy(tracker)), event
        assert "_hsg_applied_events" not in copied.__dict__
        copied.update(SlotSet("last_topic", "changed"))  # the copy is independent
        copied.update(ActionExecuted("action_listen"))
        assert tracker.get_slot("last_topic") != "changed" or event == CONVERSATION[-1]
        assert len(tracker.events) == len(copied.events) - 2
    tracker.__dict__["something_new"] = 1  # a tracker holding more than it knows: Rasa's copy
    assert _tracker_facts(ours(tracker)) == _tracker_facts(rasa_copy(tracker))


class _WithCopy:
    def __copy__(self):
        return "its own copy"


class _WithSlots:
    __slots__ = ("a",)

    def __init__(self):
        self.a = [1]

    def __eq__(self, other):
        return type(other) is _WithSlots and other.a == self.a


class _WithState:
    def __init__(self):
        self.a, self.b = [1], 2

    def __getstate__(self):
        return {"a": self.a}

    def __setstate__(self, state):
        self.__dict__.update(state)


def test_shallow_copy_is_copy_copy():
    """The domain's slots copied the short way, anything with its own copy rules copy.copy's."""
    import copy

    class Dict(dict):
        pass

    class List(list):
        pass

    values = [*DOMAIN.slots, _WithCopy(), _WithSlots(), _WithState(), {"a": [1]}, [1, [2]],
              Dict(a=1), List([1, 2]), _WithState]
    for value in values:
        ours, theirs = tracker_copy.shallow_copy(value), copy.copy(value)
        assert type(ours) is type(theirs)
        assert getattr(ours, "__dict__", ours) == getattr(theirs, "__dict__", theirs)
        if isinstance(value, type):
            assert ours is value  # a class is its own copy
        elif hasattr(value, "__dict__") and not isinstance(value, (_WithCopy, _WithState)):
            assert ours is not value
            assert all(ours.__dict__[name] is item for name, item in value.__dict__.items())
    assert all(tracker_copy._PLAIN_CLASSES[type(slot)] for slot in DOMAIN.slots)  # the short way
    assert not tracker_copy._PLAIN_CLASSES[_WithState] and not tracker_copy._PLAIN_CLASSES[_WithSlots]
    assert not tracker_copy._PLAIN_CLASSES[Dict] and not tracker_copy._PLAIN_CLASSES[List]


def test_processor_copies_only_for_debug_lines():
    """Every `copy.` in rasa/core/processor.py is an argument of a `structlogger.debug` call."""
    import ast
    import inspect
    import logging

    import rasa.core.processor

    tree = ast.parse(inspect.getsource(rasa.core.processor))
    in_debug = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "debug" and getattr(node.func.value, "id", "") == "structlogger"):
            in_debug.update(id(child) for child in ast.walk(node))
    uses = [node for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and getattr(node.value, "id", None) == "copy"]
    assert len(uses) == 6 and all(id(use) in in_debug for use in uses)

    copies = debug_copies.debug_only_copies()
    value = {"events": [{"event": "slot"}]}
    logger = logging.getLogger("rasa.core.processor")
    level = logger.level
    try:
        logger.setLevel(logging.INFO)
        assert copies.deepcopy(value) is value
        logger.setLevel(logging.DEBUG)
        copied = copies.deepcopy(value)
        assert copied == value and copied is not value and copied["events"] is not value["events"]
    finally:
        logger.setLevel(level)


def test_rule_states_are_formatted_only_for_a_debug_line():
    """RulePolicy's formatted states go to one `structlogger.debug` call and nowhere else; they
    are formatted as Rasa does when that line is written, not at all otherwise."""
    import ast
    import inspect
    import logging

    import rasa.core.policies.rule_policy

    tree = ast.parse(inspect.getsource(rasa.core.policies.rule_policy))
    in_debug = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "debug" and getattr(node.func.value, "id", "") == "structlogger"):
            in_debug.update(id(child) for child in ast.walk(node))
    formatted = [target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and isinstance(node.value, ast.Call)
                 and getattr(node.value.func, "attr", "") == "format_tracker_states"
                 for target in node.targets]
    uses = [node for node in ast.walk(tree) if isinstance(node, ast.Name)
            and node.id in formatted and isinstance(node.ctx, ast.Load)]
    assert formatted == ["current_states"] and uses and all(id(use) in in_debug for use in uses)

    rasa_format = RulePolicy.format_tracker_states
    ours = rule_state_lines.debug_only_state_lines(rasa_format)
    tracker = DialogueStateTracker("f", DOMAIN.slots)
    for event in CONVERSATION[:14]:
        tracker.update(event)
    states = DOMAIN.states_for_tracker_history(tracker)
    logger = logging.getLogger("rasa.core.policies.rule_policy")
    level = logger.level
    try:
        logger.setLevel(logging.INFO)
        assert ours(states) == ""
        logger.setLevel(logging.DEBUG)
        assert ours(states) == rasa_format(states) and "user intent: hsg_pain" in ours(states)
    finally:
        logger.setLevel(level)


@pytest.mark.parametrize("limit", [1, 2, 3, 10])
def test_action_limit_is_rasas_count(limit):
    """The limit of actions per message counted from the end equals Rasa's count over a copy of
    the whole conversation, after every event, also when actions follow without a message."""
    import types

    from rasa.core.processor import MessageProcessor

    processor = types.SimpleNamespace(max_number_of_predictions=limit)
    tracker = DialogueStateTracker("l", DOMAIN.slots)
    reached = 0
    extra = [ActionExecuted(f"action_{n}") for n in range(4)]
    for event in [*CONVERSATION[:20], *extra, *CONVERSATION[20:], *extra]:
        tracker.update(event)
        for should_predict in (True, False):
            expected = MessageProcessor.is_action_limit_reached(processor, tracker, should_predict)
            assert action_limit.action_limit_from_the_end(processor, tracker, should_predict) == expected
            reached += expected
    assert reached or limit > 4  # the limit was reached along the way (4 actions in a row)


@pytest.fixture(scope="module")
def processor():
    if not MODEL.exists():
        pytest.skip("needs a trained model: make train")
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL)).processor


def test_rule_predictions_equal_rasas_at_every_step(processor, monkeypatch):
    """The model's policies predict the same (action, confidence, policy, rule turn hidden or
    not) with the trailing states as with Rasa's whole-history states, at every event."""
    rasa_states = RulePolicy._prediction_states
    ours = rule_states.recent_rule_states(rasa_states)
    tracker = DialogueStateTracker("p", DOMAIN.slots)
    compared = 0
    for event in CONVERSATION:
        tracker.update(event)
        followup = tracker.followup_action  # a prediction consumes it: both get it
        monkeypatch.setattr(RulePolicy, "_prediction_states", rasa_states)
        expected = processor._predict_next_with_tracker(tracker)
        tracker.followup_action = followup
        monkeypatch.setattr(RulePolicy, "_prediction_states", ours)
        assert processor._predict_next_with_tracker(tracker) == expected, event
        compared += 1
    assert compared == len(CONVERSATION)
    # and the state kept on the tracker is what was used
    assert "_hsg_recent_states" in tracker.__dict__


def test_remembered_rule_matches_equal_rasas(processor):
    rasa_possible_keys = RulePolicy._get_possible_keys
    ours = rule_matches.remembered_rule_matches(rasa_possible_keys)
    policy = next(node._component for node in processor.graph_runner._instantiated_nodes.values()
                  if isinstance(getattr(node, "_component", None), RulePolicy))
    states_of = rule_states.recent_rule_states(RulePolicy._prediction_states)
    tracker = DialogueStateTracker("m", DOMAIN.slots)
    matched = 0
    for event in CONVERSATION * 2:
        tracker.update(event)
        for text in (True, False):
            states = states_of(policy, tracker, DOMAIN, text)
            for table in policy.lookup.values():
                if isinstance(table, dict):
                    expected = rasa_possible_keys(policy, table, states)
                    assert ours(policy, table, states) == expected
                    matched += bool(expected)
    assert matched > len(CONVERSATION)  # rules did match along the way


def test_rule_lookups_see_at_most_one_state_more_than_the_longest_rule(processor, monkeypatch):
    seen = []
    ours = rule_states.recent_rule_states(RulePolicy._prediction_states)

    def spy(self, *args, **kwargs):
        states = ours(self, *args, **kwargs)
        seen.append((len(states), self.__dict__["_hsg_keep"]))
        return states

    monkeypatch.setattr(RulePolicy, "_prediction_states", spy)
    tracker = DialogueStateTracker("k", DOMAIN.slots)
    for event in CONVERSATION:
        tracker.update(event)
    processor._predict_next_with_tracker(tracker)
    length, keep = seen[-1]
    assert length == keep and 2 <= keep <= 6  # the rules here are "intent -> action" snippets


def test_the_action_server_gets_the_current_turn_with_slots_and_latest_message():
    tracker = DialogueStateTracker("a", DOMAIN.slots)
    for event in CONVERSATION[:13]:  # up to the action_listen after an answer
        tracker.update(event)
    tracker.update(_user("how much", "hsg_cost"))
    action = RemoteAction("action_answer_topic", EndpointConfig("http://localhost:1/webhook",
                                                                enable_selective_domain=True))
    rasa_call = action._action_call_format(tracker, DOMAIN)
    ours = action_call_events.current_turn_call_format()(action, tracker, DOMAIN)
    assert [e["event"] for e in ours["tracker"]["events"]] == ["action", "user"]
    assert ours["tracker"]["events"] == rasa_call["tracker"]["events"][-2:]
    del ours["tracker"]["events"], rasa_call["tracker"]["events"]
    assert ours == rasa_call  # slots, latest message, sender, version...; no domain (selective)
    assert "domain" not in ours
    everything = RemoteAction("action_answer_topic", EndpointConfig("http://localhost:1/webhook"))
    assert action_call_events.current_turn_call_format()(everything, tracker, DOMAIN)["domain"]
    assert action_call_events.current_turn([]) == []
    no_user = [ActionExecuted("action_session_start"), SessionStarted()]
    assert action_call_events.current_turn(no_user) == no_user


def test_reply_check_remembers_valid_replies_and_still_rejects_bad_ones(monkeypatch):
    calls = []
    rasa_validate = RemoteAction._validate_action_result

    def counting(self, result):
        calls.append(result)
        return rasa_validate(self, result)

    check = action_result_check.action_result_check(counting)
    action = RemoteAction("action_answer_topic", None)
    good = {"events": [{"event": "slot", "name": "last_topic", "value": "hsg_pain"}],
            "responses": [{"text": "answer", "buttons": []}]}
    assert check(action, good) and check(action, dict(good)) and calls == []
    bad = {"events": [{"event": "slot", "value": 1}], "responses": []}  # a slot without a name
    from jsonschema.exceptions import ValidationError

    for _ in range(2):  # an invalid reply is never remembered
        with pytest.raises(ValidationError):
            check(action, bad)
    assert len(calls) == 2


def _sqlite_rows(path, sender):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT type_name, intent_name, action_name, timestamp, data FROM "
                          "events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()


def test_fast_write_stores_the_rows_rasas_write_stores(tmp_path):
    """Same rows as Rasa's ORM `save` (given the same new events: Rasa's own count of stored
    events is right only for a tracker just read back), and the last id is the database's."""
    import itertools

    from rasa.core.tracker_store import SQLTrackerStore

    async def scenario():
        ours = ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "o.db"))
        rasa = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "r.db"))
        stored = 0
        rasa._additional_events = lambda session, tracker: itertools.islice(
            tracker.events, stored, None)
        tracker = DialogueStateTracker("w", DOMAIN.slots)
        for start in range(0, len(CONVERSATION), 7):  # saved in pieces, as turns are
            for event in CONVERSATION[start:start + 7]:
                tracker.update(event)
            await ours.save(tracker)
            await rasa.save(tracker)
            stored = len(tracker.events)
            with sqlite3.connect(tmp_path / "o.db") as db:
                last = db.execute("SELECT max(id) FROM events WHERE sender_id = 'w'").fetchone()[0]
            assert ours._known["w"][2] in (last, None)  # None: more than one session held
            assert ours._known["w"][2] is not None or start >= 98
        assert _sqlite_rows(tmp_path / "o.db", "w") == _sqlite_rows(tmp_path / "r.db", "w")
        assert len(_sqlite_rows(tmp_path / "o.db", "w")) == len(CONVERSATION)

    asyncio.run(scenario())


def _postgres():
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


@pytest.mark.skipif(not _postgres(), reason="needs PostgreSQL on 127.0.0.1:5432")
def test_fast_write_on_postgresql_knows_the_last_id(tmp_path):
    import os

    import sqlalchemy as sa

    name = f"hsg_speedups_{os.getpid()}"
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres",
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"drop database if exists {name}"))
        connection.execute(sa.text(f"create database {name}"))

    async def scenario():
        store = ResilientSQLTrackerStore(DOMAIN, dialect="postgresql", host="127.0.0.1",
                                         port=5432, db=name, username="postgres")
        other = DialogueStateTracker("other", DOMAIN.slots)  # ids interleave with another sender
        tracker = DialogueStateTracker("w", DOMAIN.slots)
        for start in range(0, 98, 7):
            for event in CONVERSATION[start:start + 7]:
                tracker.update(event)
                other.update(event)
            await store.save(tracker)
            await store.save(other)
            with store.engine.connect() as connection:
                last = connection.execute(sa.text(
                    "SELECT max(id) FROM events WHERE sender_id = 'w'")).scalar()
            assert store._known["w"][2] == last
            assert await store.retrieve("w") is tracker  # nothing newer in the database: reused
        back = await ResilientSQLTrackerStore(DOMAIN, dialect="postgresql", host="127.0.0.1",
                                              port=5432, db=name, username="postgres"
                                              ).retrieve_full_tracker("w")
        assert [e.as_dict() for e in back.events] == [e.as_dict() for e in tracker.events]
        store.engine.dispose()

    try:
        asyncio.run(scenario())
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"drop database if exists {name} with (force)"))
        admin.dispose()


@pytest.mark.parametrize("switch, patched", [("off", False), ("on", True), (None, True)])
def test_hsg_rasa_patches_off_runs_stock_rasa(switch, patched):
    """HSG_RASA_PATCHES=off: not one of Rasa's functions is replaced (a fresh interpreter each)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import rasa_patches, rasa.core.processor as p\n"
        "from rasa.core.actions.action import RemoteAction as R\n"
        "from rasa.core.policies.rule_policy import RulePolicy as P\n"
        "from rasa.shared.core.trackers import DialogueStateTracker as T\n"
        "before = [R._validate_action_result, R._action_call_format, P._prediction_states,\n"
        "          P._get_possible_keys, T.copy, T.applied_events, p.DaskGraphRunner, p.copy]\n"
        "applied = rasa_patches.install(serving=True)\n"
        "after = [R._validate_action_result, R._action_call_format, P._prediction_states,\n"
        "         P._get_possible_keys, T.copy, T.applied_events, p.DaskGraphRunner, p.copy]\n"
        "print(applied, sum(a is not b for a, b in zip(before, after)))\n")
    env = {k: v for k, v in os.environ.items() if k != "HSG_RASA_PATCHES"}
    if switch is not None:
        env["HSG_RASA_PATCHES"] = switch
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == (["True", "8"] if patched else ["False", "0"])
