"""A second classifier of another kind, averaged with DIET's ranking: answer when both agree.

A wrong topic's answer is the worst error (issue 11), and DIET alone is confidently wrong on
some real patients' questions while it hesitates on others it has right. A TF-IDF + logistic
regression model (words and character n-grams of the folded text, scikit-learn, already a Rasa
dependency) learns from the same examples but errs on different ones; the average of the two
rankings is higher where they agree and lower where they do not, which is what the thresholds
of `QuestionCombiner` need. It runs right after DIET on every message of the batch (the whole
message and each question `QuestionSplitter` found) and rewrites `intent` and `intent_ranking`.

Measured with `make eval` (the note of issue 12 has the figures); `weight: 0` (or removing the
component) gives DIET's ranking unchanged.
"""
from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.specific import tfidf_classifier
from components.stateless import JoblibComponent
from components.text import canonical_text


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class SecondOpinionClassifier(JoblibComponent):
    """Mixes a TF-IDF + logistic regression ranking into DIET's."""

    FILE = "second_opinion.joblib"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # the share of this model in the ranking (0: DIET's ranking as it is)
            "weight": 0.5,
            # the regularisation of the logistic regression
            "C": 10.0,
            # the number of intents kept in the ranking
            "ranking_length": 10,
        }

    @staticmethod
    def empty() -> Any:
        return None

    def train(self, training_data: TrainingData) -> Resource:
        examples = training_data.intent_examples
        texts = [canonical_text(e.get(TEXT) or "") for e in examples]
        labels = [e.get(INTENT) for e in examples]
        self.learned = None
        if len(set(labels)) > 1 and float(self.config["weight"]) > 0:
            self.learned = tfidf_classifier(float(self.config["C"])).fit(texts, labels)
        return self.save()

    def process(self, messages: List[Message]) -> List[Message]:
        weight = float(self.config["weight"])
        if self.learned is None or weight <= 0 or not messages:
            return messages
        texts = [canonical_text(m.get(TEXT) or "") for m in messages]
        probabilities = self.learned.predict_proba(texts)
        classes = list(self.learned.classes_)
        for message, row in zip(messages, probabilities):
            ranking = message.get(INTENT_RANKING_KEY) or []
            if not ranking or not (message.get(TEXT) or "").strip():
                continue
            scores = {name: weight * float(p) for name, p in zip(classes, row)}
            for r in ranking:
                if r.get("name") is not None:
                    scores[r["name"]] = scores.get(r["name"], 0.0) + (1 - weight) * float(r["confidence"])
            mixed = [{"name": n, "confidence": c} for n, c in
                     sorted(scores.items(), key=lambda kv: -kv[1])][:int(self.config["ranking_length"])]
            message.set(INTENT, dict(mixed[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, mixed, add_to_output=True)
        return messages
