"""The second level of message understanding: which specific answer inside a topic a question asks.

A topic's general answer does not answer "how long does it take?" (issue 12): the knowledge base
holds, inside each topic, specific questions with their own short answers (data/kb/<topic>.yml,
`specific:`). Their training examples are ordinary examples of the topic's intent with the
block's metadata naming the specific answer, as Rasa's YAML format allows:

    - intent: hsg_procedure
      metadata:
        specific: duration
      examples: |
        - how long does it take?

so DIET learns them as the topic (the 29 intents stay), and this component learns, per topic,
which specific answer an example asks, or none ("general": the topic's other examples).

It runs last, after `QuestionCombiner`, on each question the combiner found: a question whose
topic has specific answers gets `specific` = `{"name", "confidence"}` (name None when no specific
answer reaches the threshold of the message's language, or the general answer wins) and
`specific_ranking` (the three likeliest, "general" included) for `make eval`'s sweep. With
`rescue_threshold` set, a question the combiner left unclear between two topics takes the topic
one of whose specific answers clearly fits it, and leads the message if nothing else did.

Why not Rasa's ResponseSelector: it has no "none of these" class (it always picks a response of
the retrieval intent; a general question must still get the general answer), it needs every
answer as a domain response (the clinicians' text lives in data/kb), and it would add a second
neural network to a training already near its 4-minute limit. A TF-IDF + logistic regression per
topic (scikit-learn, already a Rasa dependency) trains in seconds on a few thousand examples.
"""
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from components.multi_question import FALLBACK_INTENT, PART_OF, QUESTIONS, _language
from components.stateless import JoblibComponent
from components.text import canonical_text

logger = logging.getLogger(__name__)

GENERAL = "general"
SPECIFIC = "specific"
SPECIFIC_RANKING = "specific_ranking"
# Set on a question whose topic a specific answer decided (see `rescue_threshold`).
RESCUED = "rescued_by_specific"


def example_specific(message: Message) -> Optional[Text]:
    """The specific answer a training example asks (its block's or its own metadata)."""
    metadata = message.get("metadata") or {}
    for level in ("example", "intent"):
        value = (metadata.get(level) or {}).get(SPECIFIC) if isinstance(metadata.get(level), dict) else None
        if value:
            return str(value)
    return None


def tfidf_classifier(c: float = 10.0):
    """Words (with accents folded and chat abbreviations expanded, as the NLU tokenizer does)
    and character n-grams (typos, run-together words), then a logistic regression."""
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    return make_pipeline(features, LogisticRegression(C=c, max_iter=3000))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class SpecificAnswerSelector(JoblibComponent):
    """Per topic, the specific answer each question asks, or none."""

    FILE = "specific.joblib"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # a specific answer when its probability reaches this, per message language
            "thresholds": {"en": 0.5, "vi": 0.5},
            # one question in a story: the question's own probabilities weigh this much, the
            # whole message's the rest ("can I still have it?" after "I'm breastfeeding")
            "question_weight": 0.6,
            # a topic needs at least this many examples of a specific answer to learn it
            "min_examples": 3,
            # A question the combiner left unclear between topics ("i have hypothyroidism, is
            # the contrast dye safe?": contraindications 0.51, contrast 0.49) is answered when
            # one of its two likeliest topics, with at least `rescue_min_topic` confidence, has a
            # specific answer that fits it with at least this probability. None: never.
            "rescue_threshold": None,
            "rescue_min_topic": 0.25,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.thresholds = dict(self.config["thresholds"])
        self.question_weight = float(self.config["question_weight"])

    @property
    def models(self) -> Dict[Text, Any]:
        """Topic -> its fitted pipeline."""
        return self.learned

    def train(self, training_data: TrainingData) -> Resource:
        by_topic: Dict[Text, List[tuple]] = defaultdict(list)
        for example in training_data.intent_examples:
            by_topic[example.get(INTENT)].append(
                (canonical_text(example.get(TEXT) or ""), example_specific(example) or GENERAL))
        self.learned = {}
        for topic, rows in sorted(by_topic.items()):
            counts: Dict[Text, int] = defaultdict(int)
            for _, label in rows:
                counts[label] += 1
            learnable = {label for label, n in counts.items()
                         if label != GENERAL and n >= self.config["min_examples"]}
            if not learnable:
                continue
            texts = [text for text, _ in rows]
            labels = [label if label in learnable else GENERAL for _, label in rows]
            model = tfidf_classifier()
            model.fit(texts, labels)
            self.learned[topic] = model
            logger.info("Specific answers of %s: %d learned from %d examples",
                        topic, len(learnable), len(rows))
        return self.save()

    def threshold(self, language: Text) -> float:
        return float(self.thresholds.get(language, self.thresholds.get("default", 0.5)))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if message.get(PART_OF) is not None or not self.models:
                continue
            questions = message.get(QUESTIONS) or []
            language = _language(message)
            whole = canonical_text(message.get(TEXT) or "") if len(questions) == 1 else ""
            for question in questions:
                topic = (question.get("intent") or {}).get("name")
                ranking = self._rescue(question, whole) if topic == FALLBACK_INTENT else None
                if ranking is None:
                    model = self.models.get(topic)
                    if model is None:
                        continue
                    ranking = self._ranking(model, question, whole)
                best, confidence = ranking[0]
                chosen = best if best != GENERAL and confidence >= self.threshold(language) else None
                question[SPECIFIC] = {"name": chosen, "confidence": round(confidence, 4)}
                question[SPECIFIC_RANKING] = [{"name": k, "confidence": round(v, 4)}
                                              for k, v in ranking[:3]]
            if questions:
                message.set(QUESTIONS, questions, add_to_output=True)
                self._lead_with_rescued(message, questions)
        return messages

    def _ranking(self, model, question: Dict[Text, Any], whole: Text) -> List[tuple]:
        """The topic's specific answers (and "general") for a question, likeliest first."""
        text = canonical_text(question.get("text") or "")
        probabilities = self._probabilities(model, text)
        if whole and whole != text:
            context = self._probabilities(model, whole)
            probabilities = {k: self.question_weight * v
                             + (1 - self.question_weight) * context.get(k, 0.0)
                             for k, v in probabilities.items()}
        return sorted(probabilities.items(), key=lambda kv: -kv[1])

    def _rescue(self, question: Dict[Text, Any], whole: Text) -> Optional[List[tuple]]:
        """An unclear question gets the topic of a specific answer that clearly fits it; returns
        that topic's ranking of its answers, or None (the question stays unclear)."""
        threshold = self.config.get("rescue_threshold")
        if threshold is None:
            return None
        best = None  # (candidate topic, its ranking)
        for candidate in (question.get(INTENT_RANKING_KEY) or [])[:2]:
            model = self.models.get(candidate.get("name"))
            if model is None or candidate.get("confidence", 0.0) < self.config["rescue_min_topic"]:
                continue
            ranking = self._ranking(model, question, whole)
            name, probability = ranking[0]
            if name != GENERAL and probability >= float(threshold) and (
                    best is None or probability > best[1][0][1]):
                best = (candidate, ranking)
        if best is None:
            return None
        candidate, ranking = best
        question[INTENT] = {"name": candidate["name"], "confidence": candidate["confidence"]}
        question[RESCUED] = True
        return ranking

    @staticmethod
    def _lead_with_rescued(message: Message, questions: List[Dict[Text, Any]]) -> None:
        """A message left unclear as a whole is led by its first rescued question."""
        if (message.get(INTENT) or {}).get("name") != FALLBACK_INTENT:
            return
        rescued = next((q for q in questions if q.get(RESCUED)), None)
        if rescued is None:
            return
        lead = dict(rescued[INTENT])
        ranking = [lead] + [r for r in message.get(INTENT_RANKING_KEY) or []
                            if r.get("name") not in (lead["name"], FALLBACK_INTENT)]
        message.set(INTENT, lead, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    @staticmethod
    def _probabilities(model, text: Text) -> Dict[Text, float]:
        return dict(zip(model.classes_, (float(p) for p in model.predict_proba([text])[0])))
