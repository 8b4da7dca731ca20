"""`Event.resolve_by_type` with the classes it found remembered by type name.

Rasa walks every subclass of `Event` (`all_subclasses`, recursive) for each event read back from
the tracker store: 6% of the server's time (issue 5 note). The set of event classes does not
change while the server runs; unknown names go Rasa's way.
"""
from typing import Any, Dict, Optional, Text, Type

from rasa.shared.core.events import Event


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


def apply(serving: bool) -> None:
    Event.resolve_by_type = staticmethod(_remembered_event_types(Event.resolve_by_type))
