"""The action server is sent the events of the current turn, not the whole conversation.

Every call to the action server carried the whole conversation (each event with its NLU parse
data) serialised to JSON: 24% of the server's time at 80 turns. The project's actions read the
slots and the latest message, which are sent as before; of the events, the call carries those of
the current turn (from the `action_listen` before the patient's last message).
`HSG_ACTION_SERVER_EVENTS=all` sends the whole history again, for an action that needs it. (The
domain is no longer sent either: `enable_selective_domain` in endpoints.yml, Rasa's own option.)
"""
import itertools
import os
from typing import Any, Dict, List, Text

from rasa.shared.core.events import UserUttered


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


def apply(serving: bool) -> None:
    if os.environ.get("HSG_ACTION_SERVER_EVENTS", "turn").lower() != "all":
        from rasa.core.actions.action import RemoteAction

        RemoteAction._action_call_format = current_turn_call_format()
