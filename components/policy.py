"""`ActionServerFallbackPolicy`: the patient still gets the hotline when a custom action fails.

When the action server is down or an action errors, Rasa 3.6 logs "Encountered an exception
while running action ..." and goes on without the action's events: the patient sees nothing.
This policy notices that state (a custom action ran since the last user message and no event
at all followed it: our actions always set a slot, even when they have nothing to say) and predicts `utter_handoff`, the hotline handoff that Rasa sends
itself, in the patient's language, with the hotline. Then it predicts `action_listen`.
"""
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class ActionServerFallbackPolicy(Policy):
    """Answers with a fallback response when a custom action produced no message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Above RulePolicy (6): its rules predict `action_listen` after the failed action
        # with the same confidence, and this prediction must win that tie.
        return {"priority": 7, "fallback_response": "utter_handoff"}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[Any] = None,
    ) -> None:
        config = {**self.get_default_config(), **config}
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.fallback_response = config["fallback_response"]

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        if self.fallback_response not in domain.action_names_or_texts:
            raise ValueError(
                f"{self.__class__.__name__}: '{self.fallback_response}' is not in the domain"
            )
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action = self._action_to_predict(tracker, domain)
        if action is None:
            return self._prediction(self._default_predictions(domain))
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)

    def _action_to_predict(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[Text]:
        """The fallback response after a silent custom action, `action_listen` after that."""
        # `user_actions` lists the responses too: only custom actions run on the action server.
        custom_actions = set(domain.user_actions) - set(domain.responses)
        # What happened since the user's last message: [action name, did any event follow it]
        # (`rasa test` stories show an action's events as `slot_was_set`, as it predicts
        # actions without running them.)
        steps: List[List[Any]] = []
        had_events = False
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                break
            if isinstance(event, ActionExecuted):
                steps.append([event.action_name, had_events])
                had_events = False
            else:
                had_events = True
        steps.reverse()  # oldest first
        if not steps:
            return None
        silent = lambda step: step[0] in custom_actions and not step[1]  # noqa: E731
        if silent(steps[-1]):
            logger.warning(
                "Action '%s' sent no message (action server down or failing?): answering "
                "with '%s'", steps[-1][0], self.fallback_response,
            )
            return self.fallback_response
        if len(steps) >= 2 and steps[-1][0] == self.fallback_response and silent(steps[-2]):
            return ACTION_LISTEN_NAME
        return None
