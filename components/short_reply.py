"""Short conversational replies ("ko", "ok", "dạ", "có ạ", "ty") recognised as they were trained.

DIET, trained mostly on questions and stories, spreads a one- or two-word reply over many
intents: on the older held-out set "không", "ko", "ok", "có ạ", "da" got `deny` or `affirm` at
0.11-0.29 (below the combiner's 0.3 for chit-chat) and became "did you mean" (18 of the 55 errors
of that set, model of 7 Dec 2026). This component, after DIET, gives such a message the intent
of the training example it equals word for word (accents folded, chat abbreviations expanded as
the tokenizer does: "hok" = "không"), with confidence 1.0, for the conversational intents only
(`intents`) and only when no other intent has an example with the same words. Anything else keeps
DIET's ranking. `enabled: false` turns it off (the model then behaves as before).
"""
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.stateless import LearnedComponent
from components.text import canonical_text

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class ShortReplyMatcher(LearnedComponent):
    """The intent of a short training example that a message equals, for conversational intents."""

    FILE = "short_replies.json"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "enabled": True,
            "max_words": 3,
            "intents": ["greet", "goodbye", "thank", "affirm", "deny", "bot_challenge",
                        "request_human", "feedback_helpful", "feedback_not_helpful"],
        }

    @staticmethod
    def read(path: Path) -> Dict[Text, Text]:
        return json.loads(path.read_text(encoding="utf-8"))

    @staticmethod
    def write(path: Path, learned: Dict[Text, Text]) -> None:
        path.write_text(json.dumps(learned, ensure_ascii=False), encoding="utf-8")

    @property
    def table(self) -> Dict[Text, Text]:
        """Words of a short example -> its intent."""
        return self.learned

    def key(self, text: Text) -> Optional[Text]:
        words = canonical_text(text)
        return words if 0 < len(words.split()) <= self.config["max_words"] else None

    def train(self, training_data: TrainingData) -> Resource:
        seen: Dict[Text, set] = {}
        for example in training_data.intent_examples:
            key = self.key(example.get(TEXT) or "")
            if key:
                seen.setdefault(key, set()).add(example.get(INTENT))
        wanted = set(self.config["intents"])
        self.learned = {key: next(iter(intents)) for key, intents in sorted(seen.items())
                        if len(intents) == 1 and next(iter(intents)) in wanted}
        logger.info("Short replies: %d learned", len(self.learned))
        return self.save()

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.config["enabled"]:
            return messages
        for message in messages:
            key = self.key(message.get(TEXT) or "")
            intent = self.table.get(key) if key else None
            if intent is None:
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}] + ranking,
                        add_to_output=True)
        return messages
