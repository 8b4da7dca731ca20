"""Hot spots of Rasa 3.6's message loop, fixed without changing what Rasa does.

Measured with py-spy on a running server (issue 5 note, `make bench`), per patient message:

- `RemoteAction._validate_action_result` calls `jsonschema.validate(result, spec)`, which first
  checks the *schema itself* against the JSON-Schema meta-schema and builds a new validator, on
  every custom-action reply: 28% of the server's time. Here the validator is built once (the spec
  is a constant) and each reply is still validated against the same schema, with the same error.
  Its `oneOf` over twenty event types still cost 7% of a turn; a reply already found valid (the
  same answer to the same topic in the same language comes back often) is not checked again:
  the last 512 valid replies are remembered by their JSON text.
- `Event.resolve_by_type` walks every subclass of `Event` (`all_subclasses`, recursive) for each
  event read back from the tracker store: 6%. Here a found class is remembered by type name (the
  set of event classes does not change while the server runs); unknown names go the old way.
- Each message runs the model's graph three times (NLU, then a policy prediction after each
  action) through `DaskGraphRunner`, which per run recomputes the sub-graph to run (a recursive
  walk without memory), formats a debug line with the whole input (even when debug is off) and
  hands a task graph to `dask.get`, dask's synchronous scheduler. `SequentialGraphRunner` runs the
  same nodes in the same dependency order in the same thread, remembering the sub-graph per
  target set. Only the server's predictions use it (rasa/core/processor.py); training keeps dask.
- Every call to the action server opened a new aiohttp session and TCP connection
  (`EndpointConfig.session`). Here each endpoint keeps one session with keep-alive connections
  per event loop; idle connections are dropped after 4 s, before the action server (Sanic,
  5 s) would close them under a request. The action server's own call (a plain JSON POST) then
  skips aiohttp altogether: components/http_client.py sends it on a kept connection and parses
  the reply with httptools, with aiohttp's results and errors (aiohttp cost 0.4 ms of CPU per
  message; with the next item and the tracker store's kept connection, turns were 0.5 ms
  faster at p50 in an A/B run: turn / parse 1.53 -> 1.43).
- `RulePolicy` formats all its states for a debug line on every prediction, written or not;
  they are formatted now only when debug logging is on. `MessageProcessor.is_action_limit_reached`
  copies the whole conversation twice a message to count the actions since the last
  `action_listen`; the count now walks back from the end. RulePolicy looks up rules twice per
  prediction (by text, then by intent), each time working out the current state again: it is
  now kept until the next event. The tracker copy's slots are copied without `copy.copy`'s
  pickling detour when their class is plain. Memory keys (valid replies, rule matches) are
  written by ujson instead of json.
- `RulePolicy` turns the *whole* conversation into dialogue states (a replay of every event into
  a new tracker) three times per message, formats them all for a debug line and, when no rule
  matches, serialises them all into a key: a cost that grows with the conversation (26% of the
  server's time at 80 turns). A rule can only look at as many trailing states as its own length,
  so `_RecentStates` keeps, per conversation, the replay and the last states up to one more than
  the longest rule, and each prediction adds only the events that came since. Same states, same
  predictions (tests/test_speedups.py compares them with Rasa's on whole conversations).
  Matching those states against every rule (`_get_possible_keys`, a pure function of the rules
  and the states) is remembered for the last 1,024 distinct state sequences: a FAQ conversation
  goes through the same few again and again.
- `DialogueStateTracker.applied_events` (the events not undone by a restart, new session or
  rewind) walks the whole conversation; Rasa calls it twice a message to check the session.
  It is now kept per tracker and extended with new events when nothing undoes earlier ones.
- Before each action Rasa copies the tracker (`tracker.copy()`, to drop a rejected prediction's
  events) by replaying every event of the conversation into a new one: 7.6% of a turn at 40
  turns. The copy is now made directly, attribute by attribute, sharing the event objects as
  the replay does (tests compare every attribute with Rasa's copy).
- rasa/core/processor.py deep-copies events, slots and parse data for six debug log lines on
  every message, whether debug logging is on or not (3% of a turn). Its `copy` is replaced by
  one whose `deepcopy` copies only when debug logging is on (a test checks that every use of
  `copy` there is a debug log argument).
- Every call to the action server carried the whole conversation (each event with its NLU parse
  data) serialised to JSON: 24% of the server's time at 80 turns. The project's actions read the
  slots and the latest message, which are sent as before; of the events, the call now carries
  those of the current turn (from the `action_listen` before the patient's last message).
  `HSG_ACTION_SERVER_EVENTS=all` sends the whole history again, for an action that needs it.
  (The domain is no longer sent either: `enable_selective_domain` in endpoints.yml, Rasa's own
  option.)

`install()` is called by scripts/rasa_cli.py, so Rasa runs with them wherever it is started.
"""
import abc
import copy
import copyreg
import itertools
import os
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text, Tuple, Type

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (ActionExecuted, BotUttered,
                                     DefinePrevUserUtteredFeaturization, EntitiesAdded, Event,
                                     SlotSet, UserUttered)

from components.http_client import IDLE_SECONDS, json_text

# Events after which `applied_events` is still "the earlier ones plus these" (no restart, new
# session, rewind, or form: `ActiveLoop` changes how a form's actions count).
PLAIN_EVENTS = (ActionExecuted, BotUttered, DefinePrevUserUtteredFeaturization, EntitiesAdded,
                SlotSet, UserUttered)

_installed = False


def install(serving: bool = True) -> None:
    """Patch Rasa's functions (idempotent); `serving`: for `rasa run`/`rasa shell`."""
    global _installed
    if _installed:
        return
    _installed = True
    import rasa.core.processor
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    RemoteAction._validate_action_result = action_result_check(RemoteAction._validate_action_result)
    _keep_action_server_connections()
    EndpointConfig.request = lean_json_posts(EndpointConfig.request)
    Event.resolve_by_type = staticmethod(_remembered_event_types(Event.resolve_by_type))
    rasa.core.processor.DaskGraphRunner = _sequential_runner()
    rasa.core.processor.copy = debug_only_copies()
    RulePolicy._prediction_states = recent_rule_states(RulePolicy._prediction_states)
    RulePolicy.format_tracker_states = staticmethod(
        debug_only_state_lines(RulePolicy.format_tracker_states))
    rasa.core.processor.MessageProcessor.is_action_limit_reached = action_limit_from_the_end
    if serving:
        RulePolicy._get_possible_keys = remembered_rule_matches(RulePolicy._get_possible_keys)
    DialogueStateTracker.applied_events = remembered_applied_events(DialogueStateTracker.applied_events)
    DialogueStateTracker.copy = direct_copy(DialogueStateTracker.copy)
    if os.environ.get("HSG_ACTION_SERVER_EVENTS", "turn").lower() != "all":
        RemoteAction._action_call_format = current_turn_call_format()


def action_result_check(rasa_validate: Any) -> Any:
    """`RemoteAction._validate_action_result` with a validator built once, and a memory of the
    last 512 replies found valid (`rasa_validate`: Rasa's, which raises the error)."""
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    validator = validator_for(spec)(spec)
    valid: "OrderedDict[Text, bool]" = OrderedDict()  # replies found valid, as JSON text

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            key: Optional[Text] = json_text(result, sort_keys=True)
        except (OverflowError, TypeError, ValueError):
            key = None
        if key is not None and key in valid:
            valid.move_to_end(key)
            return True
        if best_match(validator.iter_errors(result)) is not None:
            return rasa_validate(self, result)  # invalid (rare): Rasa's own check raises its error
        if key is not None:
            valid[key] = True
            if len(valid) > 512:
                valid.popitem(last=False)
        return True

    return validate_action_result


def _remembered_event_types(resolve: Any) -> Any:
    known: Dict[Text, Type[Event]] = {}

    def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        found = known.get(type_name)
        if found is None:
            found = resolve(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    return resolve_by_type


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


def lean_json_posts(rasa_request: Any) -> Any:
    """`EndpointConfig.request` whose plain JSON POSTs (the action server's) go through
    components/http_client.py; every other call through Rasa's (`rasa_request`)."""
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    from components import http_client

    async def request(self: Any, method: Text = "post", subpath: Optional[Text] = None,
                      content_type: Optional[Text] = "application/json", compress: bool = False,
                      **kwargs: Any) -> Optional[Any]:
        if http_client.lean_applies(self, method, subpath, content_type, compress, kwargs):
            return await http_client.post_json(self, kwargs["json"],
                                   kwargs.get("timeout", DEFAULT_REQUEST_TIMEOUT))
        return await rasa_request(self, method, subpath, content_type, compress, **kwargs)

    return request


def _sequential_runner() -> type:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    class SequentialGraphRunner(DaskGraphRunner):
        """`DaskGraphRunner` without dask: the nodes run depth-first, each once, in this thread."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._schemas: Dict[Any, Any] = {}  # targets -> the nodes they need

        def run(self, inputs: Optional[Dict[Text, Any]] = None,
                targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
            run_targets = targets if targets else self._graph_schema.target_names
            key = tuple(run_targets)
            if key not in self._schemas:
                self._schemas[key] = self._graph_schema.minimal_graph_schema(run_targets).nodes
            nodes = self._schemas[key]
            results: Dict[Text, Any] = {}
            for name, value in (inputs or {}).items():
                if isinstance(value, str) and value in nodes:
                    raise GraphRunError(f"Input value '{value}' clashes with a node name.")
                results[name] = (name, value)

            def compute(name: Text) -> Any:
                if name not in results:
                    needs = nodes[name].needs.values()
                    results[name] = self._instantiated_nodes[name](*[compute(n) for n in needs])
                return results[name]

            try:
                return dict(compute(target) for target in run_targets)
            except RuntimeError as error:
                raise GraphRunError("Error running runner.") from error

    return SequentialGraphRunner


def _has_form(events: Any) -> bool:
    """A form ran (`ActiveLoop`): it changes how events count, so Rasa's own code is used."""
    return any(event.type_name == "active_loop" for event in events)


class _Followed:
    """What was worked out from a tracker's first `seen` events, to go on from there when the
    tracker has only grown by plain events since (it is kept in the tracker's `__dict__`)."""

    def __init__(self, tracker: Any) -> None:
        self.seen = 0  # events of the tracker taken into account
        self.last: Any = None  # the last of them (to notice a tracker whose events were replaced)

    def grew_plainly(self, tracker: Any) -> bool:
        events = tracker.events
        return (len(events) >= self.seen and (self.seen == 0 or events[self.seen - 1] is self.last)
                and all(type(event) in PLAIN_EVENTS for event in itertools.islice(events, self.seen, None)))

    def new_events(self, tracker: Any) -> Any:
        return itertools.islice(tracker.events, self.seen, None)

    def mark(self, tracker: Any) -> None:
        self.seen = len(tracker.events)
        self.last = tracker.events[-1] if self.seen else None


class _RecentStates(_Followed):
    """The trailing dialogue states of one conversation, kept up to date as events are added.

    Rasa's `Domain.states_for_tracker_history` replays all applied events into a fresh tracker and
    takes a state before each action and one at the end. The replay here is the same, done once:
    later calls go on from where the last one stopped.
    """

    def __init__(self, tracker: Any, domain: Any, keep: int) -> None:
        from collections import deque

        super().__init__(tracker)
        self.domain, self.keep = domain, keep
        self.replay = tracker.init_copy()
        self.before_actions: Any = deque(maxlen=keep)  # states before the last `keep` actions
        self.current: Optional[Dict[Text, Any]] = None  # the state after the last event
        self._add(tracker.applied_events())
        self.mark(tracker)

    @classmethod
    def of(cls, tracker: Any, domain: Any, keep: int) -> Optional[List[Dict[Text, Any]]]:
        """The last `keep` of the states Rasa's replay gives, as new dicts (callers edit them);
        None for a conversation with a form (`ActiveLoop`), where Rasa's replay is used."""
        known = tracker.__dict__.get("_hsg_recent_states")
        if (known is None or known.domain is not domain or known.keep != keep
                or not known.grew_plainly(tracker)):
            if _has_form(tracker.events):
                tracker.__dict__.pop("_hsg_recent_states", None)
                return None
            known = cls(tracker, domain, keep)
            tracker.__dict__["_hsg_recent_states"] = known
        elif known.seen != len(tracker.events):
            known._add(known.new_events(tracker))
            known.mark(tracker)
        if known.current is None:  # the state now; RulePolicy asks twice a prediction
            known.current = domain.get_active_state(known.replay)
        states = [*known.before_actions, known.current][-keep:]
        return [{kind: dict(sub_state) for kind, sub_state in state.items()} for state in states]

    def _add(self, events: Any) -> None:
        self.current = None
        for event in events:
            if isinstance(event, ActionExecuted):
                self.before_actions.append(self.domain.get_active_state(self.replay))
            self.replay.update(event)


class _AppliedEvents(_Followed):
    """`DialogueStateTracker.applied_events`, extended with the new events instead of worked out
    again from the first event: Rasa calls it three times a message (session check, states)."""

    def __init__(self, tracker: Any, applied: List[Any]) -> None:
        super().__init__(tracker)
        self.applied = applied
        self.mark(tracker)


def remembered_applied_events(rasa_applied_events: Any) -> Any:
    from rasa.shared.core.trackers import DialogueStateTracker

    def applied_events(self: DialogueStateTracker) -> List[Any]:
        if type(self) is not DialogueStateTracker:  # training trackers: Rasa's
            return rasa_applied_events(self)
        known = self.__dict__.get("_hsg_applied_events")
        if known is not None and known.grew_plainly(self):
            known.applied.extend(known.new_events(self))
            known.mark(self)
        else:
            applied = rasa_applied_events(self)
            if _has_form(self.events):
                self.__dict__.pop("_hsg_applied_events", None)
                return applied
            known = self.__dict__["_hsg_applied_events"] = _AppliedEvents(self, applied)
        return list(known.applied)

    return applied_events


def debug_only_copies() -> Any:
    """A `copy` module for rasa/core/processor.py, whose copies only go to debug log lines."""
    import logging
    import types

    loggers = (logging.getLogger("rasa.core.processor"), logging.getLogger())

    def deepcopy(value: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
        if any(logger.isEnabledFor(logging.DEBUG) for logger in loggers):
            return copy.deepcopy(value, memo)
        return value  # the debug line it is for is not written

    return types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)


def debug_only_state_lines(rasa_format: Any) -> Any:
    """`RulePolicy.format_tracker_states`, whose text goes only to a debug line
    (rule_policy.py, "rule_policy.actions.find"), formatted only when that line is written."""
    import logging

    logger = logging.getLogger("rasa.core.policies.rule_policy")  # structlog's, by module name

    def format_tracker_states(states: List[Dict]) -> Text:
        return rasa_format(states) if logger.isEnabledFor(logging.DEBUG) else ""

    return format_tracker_states


def action_limit_from_the_end(self: Any, tracker: Any, should_predict_another_action: bool) -> bool:
    """`MessageProcessor.is_action_limit_reached` without its copy of the whole conversation
    (`list(tracker.events)[::-1]`, twice a message): the same count, walked back from the end
    to the last `action_listen` or `action_session_start`."""
    predicted = 0
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted):
            if event.action_name in (ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME):
                break
            predicted += 1
    return predicted >= self.max_number_of_predictions and should_predict_another_action


KEPT_ON_TRACKERS = frozenset({"_hsg_recent_states", "_hsg_applied_events"})


def _holds(events: Any, thing: Any) -> bool:
    """Whether `thing` is one of `events` (searched from the end, where it usually is)."""
    return any(event is thing for event in reversed(events))


_PLAIN_CLASSES: Dict[type, bool] = {}


def shallow_copy(value: Any) -> Any:
    """`copy.copy(value)`: for an object of a plain class (no `__copy__`, slots, own pickling
    hooks, copyreg entry or built-in base such as dict), what `copy.copy` does through
    `__reduce_ex__(4)` (a new object of the class, given the same `__dict__`) without its
    detour: a slot is copied twice a message for each of the domain's slots."""
    cls = type(value)
    plain = _PLAIN_CLASSES.get(cls)
    if plain is None:
        plain = _PLAIN_CLASSES[cls] = (
            cls not in copyreg.dispatch_table and not hasattr(cls, "__copy__")
            and not any(k.__dict__.get("__slots__") for k in cls.__mro__)  # `ABC`'s is ()
            and hasattr(value, "__dict__")
            and cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__
            and not hasattr(cls, "__getstate__") and not hasattr(cls, "__setstate__")
            and not hasattr(cls, "__getnewargs_ex__") and not hasattr(cls, "__getnewargs__")
            and type(cls) in (type, abc.ABCMeta)  # not a class itself, no exotic metaclass
            and all(base is object or base.__module__ != "builtins" for base in cls.__mro__))
    if not plain:
        return copy.copy(value)
    new = cls.__new__(cls)
    new.__dict__.update(value.__dict__)
    return new


def direct_copy(rasa_copy: Any) -> Any:
    """`DialogueStateTracker.copy` without replaying the events (Rasa's for other trackers)."""
    from collections import deque

    from rasa.shared.core.trackers import DialogueStateTracker

    # What a tracker holds (Rasa 3.6); a tracker with anything else is copied Rasa's way.
    known = {"_max_event_history", "_paused", "active_loop", "assistant_id", "events",
             "followup_action", "is_rule_tracker", "latest_action", "latest_bot_utterance",
             "latest_message", "model_id", "sender_id", "sender_source", "slots"}

    def tracker_copy(self: DialogueStateTracker) -> DialogueStateTracker:
        held = self.__dict__.keys() - KEPT_ON_TRACKERS
        if type(self) is not DialogueStateTracker or held != known or type(self.slots) is not dict:
            return rasa_copy(self)
        new = DialogueStateTracker.__new__(DialogueStateTracker)
        new.__dict__.update((name, self.__dict__[name]) for name in known)
        # The replay shares the event objects (and the values they set) and makes the rest anew.
        new.events = deque(self.events, maxlen=self.events.maxlen)
        new.slots = {name: shallow_copy(slot) for name, slot in self.slots.items()}
        new.latest_action = dict(self.latest_action)
        new.active_loop = copy.copy(self.active_loop)
        if not _holds(self.events, self.latest_message):  # an empty one made by a reset
            new.latest_message = UserUttered.empty()
        if not _holds(self.events, self.latest_bot_utterance):
            new.latest_bot_utterance = BotUttered.empty()
        # `init_copy`, where Rasa's replay starts, passes none of these on
        new.sender_source = new.model_id = new.assistant_id = None
        return new

    return tracker_copy


def recent_rule_states(rasa_prediction_states: Any) -> Any:
    """`RulePolicy._prediction_states` from the trailing states only (`rasa_prediction_states`:
    Rasa's, for training trackers and forms)."""
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
    from rasa.shared.core.trackers import DialogueStateTracker

    def prediction_states(self: RulePolicy, tracker: DialogueStateTracker, domain: Any,
                          use_text_for_last_user_input: bool = False,
                          rule_only_data: Optional[Dict[Text, Any]] = None) -> List[Dict[Text, Any]]:
        if type(tracker) is not DialogueStateTracker:  # training trackers cache their own
            return rasa_prediction_states(self, tracker, domain, use_text_for_last_user_input,
                                          rule_only_data)
        keep = self.__dict__.get("_hsg_keep")
        if keep is None:
            # One state more than the longest rule: the rules see the same states, and a key made
            # from the states when no rule matches cannot be mistaken for a rule's key.
            keys = [*self.lookup.get(RULES, {}), *self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
            keep = 1 + max((len(self._rule_key_to_state(key)) for key in keys), default=0)
            if self.featurizer.max_history:
                keep = min(keep, self.featurizer.max_history)
            self.__dict__["_hsg_keep"] = keep
        states = _RecentStates.of(tracker, domain, keep)
        if states is None:  # a form: Rasa's way
            return rasa_prediction_states(self, tracker, domain, use_text_for_last_user_input,
                                          rule_only_data)
        self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

    return prediction_states


def remembered_rule_matches(rasa_possible_keys: Any) -> Any:
    """`RulePolicy._get_possible_keys` remembered per (rule table, states). For a server only:
    training removes rules from the table while it checks them."""
    matches: "OrderedDict[Tuple[int, Text], Any]" = OrderedDict()

    def get_possible_keys(self: Any, lookup: Dict[Text, Text], states: List[Dict]) -> Any:
        key = (id(lookup), json_text(states, sort_keys=True, default=repr))
        found = matches.get(key)
        if found is None or found[0] is not lookup:
            found = matches[key] = (lookup, rasa_possible_keys(self, lookup, states))
        matches.move_to_end(key)
        while len(matches) > 1024:
            matches.popitem(last=False)
        return set(found[1])

    return get_possible_keys


def current_turn(events: Any) -> List[Any]:
    """The events from the `action_listen` before the last user message on (all without one);
    walked from the end, so only the turn is looked at."""
    backwards = reversed(events)
    turn = []
    for event in backwards:
        turn.append(event)
        if isinstance(event, UserUttered):
            turn.extend(itertools.islice(backwards, 1))
            return turn[::-1]
    return list(events)


def current_turn_call_format() -> Any:
    """`RemoteAction._action_call_format` with the events of the current turn only."""
    import rasa
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import EventVerbosity

    def action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> Dict[Text, Any]:
        # Rasa's RemoteAction._action_call_format with the events of the current turn only
        tracker_state = tracker.current_state(EventVerbosity.NONE)
        tracker_state["events"] = [event.as_dict() for event in current_turn(tracker.events)]
        result = {"next_action": self._name, "sender_id": tracker.sender_id,
                  "tracker": tracker_state, "version": rasa.__version__}
        if (not self._is_selective_domain_enabled()
                or domain.does_custom_action_explicitly_need_domain(self.name())):
            result["domain"] = domain.as_dict()
        return result

    return action_call_format
