"""`RulePolicy._prediction_states` from the trailing dialogue states only.

`RulePolicy` turns the *whole* conversation into dialogue states (a replay of every event into a
new tracker) three times per message, formats them all for a debug line and, when no rule
matches, serialises them all into a key: a cost that grows with the conversation (26% of the
server's time at 80 turns). A rule can only look at as many trailing states as its own length,
so `_RecentStates` keeps, per conversation, the replay and the last states up to one more than the
longest rule, and each prediction adds only the events that came since. Same states, same
predictions (tests/test_speedups.py compares them with Rasa's on whole conversations). RulePolicy
looks up rules twice per prediction (by text, then by intent): the current state is kept until
the next event.
"""
from typing import Any, Dict, List, Optional, Text

from rasa.shared.core.events import ActionExecuted

from rasa_patches.common import Followed, has_form


class _RecentStates(Followed):
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
            if has_form(tracker.events):
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


def apply(serving: bool) -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    RulePolicy._prediction_states = recent_rule_states(RulePolicy._prediction_states)
