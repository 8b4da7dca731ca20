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

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.text import canonical_text

logger = logging.getLogger(__name__)

TABLE_FILE = "short_replies.json"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class ShortReplyMatcher(GraphComponent):
    """The intent of a short training example that a message equals, for conversational intents."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "enabled": True,
            "max_words": 3,
            "intents": ["greet", "goodbye", "thank", "affirm", "deny", "bot_challenge",
                        "request_human", "feedback_helpful", "feedback_not_helpful"],
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 table: Optional[Dict[Text, Text]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.table: Dict[Text, Text] = table or {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ShortReplyMatcher":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "ShortReplyMatcher":
        try:
            with model_storage.read_from(resource) as directory:
                table = json.loads((Path(directory) / TABLE_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            table = {}
        return cls(config, model_storage, resource, table)

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
        self.table = {key: next(iter(intents)) for key, intents in sorted(seen.items())
                      if len(intents) == 1 and next(iter(intents)) in wanted}
        with self._storage.write_to(self._resource) as directory:
            (Path(directory) / TABLE_FILE).write_text(json.dumps(self.table, ensure_ascii=False),
                                                      encoding="utf-8")
        logger.info("Short replies: %d learned", len(self.table))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

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
