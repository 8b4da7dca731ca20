"""`RulePolicy.format_tracker_states` formatted only when its debug line is written.

`RulePolicy` formats all its states for a debug line on every prediction, written or not.
"""
from typing import Any, Dict, List, Text


def debug_only_state_lines(rasa_format: Any) -> Any:
    """`RulePolicy.format_tracker_states`, whose text goes only to a debug line
    (rule_policy.py, "rule_policy.actions.find"), formatted only when that line is written."""
    import logging

    logger = logging.getLogger("rasa.core.policies.rule_policy")  # structlog's, by module name

    def format_tracker_states(states: List[Dict]) -> Text:
        return rasa_format(states) if logger.isEnabledFor(logging.DEBUG) else ""

    return format_tracker_states


def apply(serving: bool) -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    RulePolicy.format_tracker_states = staticmethod(
        debug_only_state_lines(RulePolicy.format_tracker_states))
