"""`DialogueStateTracker.applied_events` kept per tracker and extended with new events.

The events not undone by a restart, new session or rewind: Rasa works them out from the first
event, three times a message (session check, states). They are now extended with the new events
when nothing undoes earlier ones.
"""
from typing import Any, List

from rasa_patches.common import Followed, has_form


class _AppliedEvents(Followed):
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
            if has_form(self.events):
                self.__dict__.pop("_hsg_applied_events", None)
                return applied
            known = self.__dict__["_hsg_applied_events"] = _AppliedEvents(self, applied)
        return list(known.applied)

    return applied_events


def apply(serving: bool) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    DialogueStateTracker.applied_events = remembered_applied_events(DialogueStateTracker.applied_events)
