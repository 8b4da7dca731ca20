"""`UrgentSymptomGuard`: the last NLU component, the rule-based back-up of the classifier."""
import logging
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.red_flags import URGENT_INTENT, assess, matches_in
from components.stateless import StatelessComponent

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
# Set on a message in which the rules found a current severe symptom (the reason).
CURRENT_SYMPTOM = "current_severe_symptom"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class UrgentSymptomGuard(StatelessComponent):
    """Turns a message into `report_urgent_symptom` when it reports a current severe symptom.

    It never turns an urgent message into anything else: it only adds safety. It needs
    `SpacyNLP` with the pipeline built from data/safety/red_flags.yml earlier in the pipeline.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        doc = message.get(SPACY_DOCS[TEXT])
        matches = matches_in(doc) if doc is not None else []
        result = assess(message.get(TEXT) or "", matches)
        if matches:
            entities = list(message.get(ENTITIES, []))
            entities.extend(
                {"entity": "red_flag", "value": flag, "extractor": self.__class__.__name__}
                for flag in result.flags
            )
            message.set(ENTITIES, entities, add_to_output=True)

        if result.urgent:
            message.set(CURRENT_SYMPTOM, result.reason)  # read by QuestionCombiner
        intent = message.get(INTENT) or {}
        ranking = message.get(INTENT_RANKING_KEY) or []
        best_guess = next(
            (r.get("name") for r in ranking if r.get("name") != FALLBACK_INTENT), None
        )
        unsure_but_urgent = intent.get("name") == FALLBACK_INTENT and best_guess == URGENT_INTENT
        if intent.get("name") == URGENT_INTENT or not (result.urgent or unsure_but_urgent):
            return
        logger.info(
            "Safety net: %s -> %s (%s; flags %s)",
            intent.get("name"), URGENT_INTENT, result.reason or "classifier's best guess",
            ",".join(result.flags),
        )
        urgent = {"name": URGENT_INTENT, "confidence": 1.0}
        message.set(INTENT, urgent, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY,
            [urgent] + [r for r in ranking if r.get("name") != URGENT_INTENT],
            add_to_output=True,
        )
