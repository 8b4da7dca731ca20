"""`DialogueStateTracker.copy` made attribute by attribute instead of by replaying every event.

Before each action Rasa copies the tracker (to drop a rejected prediction's events) by replaying
every event of the conversation into a new one: 7.6% of a turn at 40 turns. The copy shares the
event objects as the replay does (tests compare every attribute with Rasa's copy). The slots are
copied without `copy.copy`'s pickling detour when their class is plain.
"""
import abc
import copy
import copyreg
from typing import Any, Dict

from rasa.shared.core.events import BotUttered, UserUttered

from rasa_patches.common import KEPT_ON_TRACKERS


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


def apply(serving: bool) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    DialogueStateTracker.copy = direct_copy(DialogueStateTracker.copy)
