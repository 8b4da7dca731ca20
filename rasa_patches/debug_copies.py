"""Deep copies for rasa/core/processor.py's debug lines only when those lines are written.

rasa/core/processor.py deep-copies events, slots and parse data for six debug log lines on every
message, whether debug logging is on or not (3% of a turn). Its `copy` is replaced by one whose
`deepcopy` copies only when debug logging is on (a test checks that every use of `copy` there is
a debug log argument).
"""
import copy
from typing import Any, Dict, Optional


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


def apply(serving: bool) -> None:
    import rasa.core.processor

    rasa.core.processor.copy = debug_only_copies()
