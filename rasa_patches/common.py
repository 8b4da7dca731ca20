"""What several patches share: the tracker-following helper, the kinds of plain events, and a
fast JSON writer for memory keys."""
import itertools
from typing import Any, Text

import ujson  # Sanic's dependency
from rasa.shared.core.events import (ActionExecuted, BotUttered,
                                     DefinePrevUserUtteredFeaturization, EntitiesAdded, SlotSet,
                                     UserUttered)

PLAIN_EVENTS = (ActionExecuted, BotUttered, DefinePrevUserUtteredFeaturization, EntitiesAdded,
                SlotSet, UserUttered)

KEPT_ON_TRACKERS = frozenset({"_hsg_recent_states", "_hsg_applied_events"})


def has_form(events: Any) -> bool:
    """A form ran (`ActiveLoop`): it changes how events count, so Rasa's own code is used."""
    return any(event.type_name == "active_loop" for event in events)


class Followed:
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


def json_text(value: Any, sort_keys: bool = False, default: Any = None) -> Text:
    """`value` as JSON text, ASCII with \\u escapes as json.dumps writes it (the same values, not
    the same spacing), by ujson in a third of json's time; what ujson refuses (an integer beyond 64
    bits), by json (which raises json's error for what is not JSON at all)."""
    import json

    try:
        return ujson.dumps(value, sort_keys=sort_keys, default=default, escape_forward_slashes=False)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value, sort_keys=sort_keys, default=default)
