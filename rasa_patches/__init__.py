"""Changes to Rasa 3.6's internals: hot spots of its message loop, fixed without changing what
Rasa does. One module per patch, each with the measurement that justified it in its docstring
(py-spy on a running server and `make bench`, issue 5 and 6 notes; tests/test_speedups.py
compares each with Rasa's own result).

`install()` is called by scripts/rasa_cli.py, so Rasa runs with them wherever the Makefile starts
it. `HSG_RASA_PATCHES=off` runs stock Rasa (to tell a Rasa bug from ours: CI runs the conversation
tests and the live-server tests once that way too); `rasa` started directly (README, "Rasa's own
commands") never has them.
"""
import importlib
import os

# In the order they are applied; each module's `apply(serving)` installs it.
PATCHES = (
    "action_result_check",    # the action reply's JSON schema: validator built once, replies remembered
    "action_server_session",  # a kept-alive aiohttp session to the action server
    "event_types",            # Event.resolve_by_type: classes remembered by name
    "sequential_runner",      # the server's graph runs without dask
    "debug_copies",           # processor.py's deep copies for debug lines: only when written
    "rule_states",            # RulePolicy: trailing dialogue states, kept per conversation
    "rule_state_lines",       # RulePolicy: its states formatted only for a written debug line
    "action_limit",           # the action limit counted from the end
    "rule_matches",           # RulePolicy: rule matches remembered (server only)
    "applied_events",         # applied_events kept per tracker
    "tracker_copy",           # tracker.copy() without replaying every event
    "action_call_events",     # the action server gets the current turn's events
)

_installed = False


def enabled() -> bool:
    return os.environ.get("HSG_RASA_PATCHES", "on").strip().lower() not in ("off", "0", "false", "no")


def install(serving: bool = True) -> bool:
    """Apply every patch (once), unless HSG_RASA_PATCHES=off; `serving`: for `rasa run`/`rasa
    shell`. Returns whether they are applied."""
    global _installed
    if not enabled():
        return False
    if not _installed:
        _installed = True
        for name in PATCHES:
            importlib.import_module(f"rasa_patches.{name}").apply(serving)
    return True
