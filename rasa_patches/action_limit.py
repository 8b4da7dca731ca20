"""`MessageProcessor.is_action_limit_reached` counted from the end of the conversation.

Rasa copies the whole conversation twice a message to count the actions since the last
`action_listen`; the count now walks back from the end.
"""
from typing import Any

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted


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


def apply(serving: bool) -> None:
    import rasa.core.processor

    rasa.core.processor.MessageProcessor.is_action_limit_reached = action_limit_from_the_end
