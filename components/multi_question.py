"""Several questions in one message, each classified on its own: two NLU components around the model.

`QuestionSplitter` (first in the pipeline, after `LanguageDetector`) finds the questions of a
message (components/questions.py) and adds each as an extra message to the batch the pipeline
processes, so every later component (spaCy, tokenizer, featurizers, DIET, the urgent safety net,
and any classifier added later, such as a response selector for the answers inside a topic)
runs on the whole message and on each question alike, with no change to Rasa. `QuestionCombiner`
(last) removes the extra messages again and writes what they found into the patient's message:

- `questions`: one entry per question, in the order asked, each `{"text", "intent": {"name",
  "confidence"}, "intent_ranking"}`; the intent is `nlu_fallback` when the question is unclear;
  a message that is one question as a whole has one entry;
- `intent` / `intent_ranking`: `report_urgent_symptom` when a current severe symptom is anywhere
  in the message; else the first question's topic (a question to the hotline or chit-chat leads
  only when nothing else is asked); else `nlu_fallback` with the likeliest topics, as Rasa's
  `FallbackClassifier` gives it.

The story around a question does not decide: with one question in a message, the question's own
ranking weighs `question_weight`, the whole message's the rest (a short "can I still have it?"
keeps the context of "I'm allergic to iodine"); with several, each question is read on its own.
A question is answered when its best intent reaches the threshold of the message's language
(`thresholds`) and leads the next one by `ambiguity_threshold`; that replaces Rasa's
`FallbackClassifier`, whose single threshold cannot differ by language.
"""
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.guard import CURRENT_SYMPTOM
from components.questions import names_the_test, question_parts
from components.red_flags import URGENT_INTENT, is_worry
from components.stateless import StatelessComponent

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
QUESTIONS = "questions"
# Set on the extra messages: the index of the question in its message.
PART_OF = "question_part"
CLEAR = "question_clearly_asked"
# A message of at most this many words is never a piece of story.
SHORT_WORDS = 4


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class QuestionSplitter(StatelessComponent):
    """Adds each question of a message as an extra message right after it in the batch."""

    def process(self, messages: List[Message]) -> List[Message]:
        batch = []
        for message in messages:
            batch.append(message)
            if message.get(PART_OF) is not None:
                continue
            for index, (text, clear) in enumerate(question_parts(message.get(TEXT) or "")):
                part = Message(data={TEXT: text, "metadata": message.get("metadata")})
                part.set(PART_OF, index)
                part.set(CLEAR, clear)
                # The language of the whole message (a short part may not tell).
                part.set(ENTITIES, [e for e in message.get(ENTITIES, [])
                                    if e.get("entity") in ("language", "language_preference")])
                batch.append(part)
        return batch


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class QuestionCombiner(StatelessComponent):
    """Folds the questions' results into their message and decides what the message asks."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # the lowest confidence answered, per reply language ("default" for any other)
            "thresholds": {"default": 0.4},
            # the best intent must lead the second by this much
            "ambiguity_threshold": 0.1,
            # with one question in a message: the weight of its own ranking against the whole's
            "question_weight": 0.6,
            # the lowest confidence answered for the secondary intents below
            "secondary_threshold": 0.3,
            # intents that lead the reply only when nothing else is asked ("thanks, and does it
            # hurt?" answers the question; "IVF price, and does HSG hurt?" answers HSG first)
            "secondary_intents": ["out_of_scope", "request_human", "greet", "goodbye", "thank",
                                  "affirm", "deny", "bot_challenge", "switch_language",
                                  "feedback_helpful", "feedback_not_helpful"],
            # questions for the hotline: a following question that does not name the test is
            # about the same outside subject
            "hand_off_intents": ["out_of_scope", "request_human"],
            # with several questions: the weight of the previous question's ranking in the next
            "context_weight": 0.3,
            # a later question unclear on its own whose best guess is a topic already answered
            # in the message is part of that answer, not a "not sure" line ("can I drive home?
            # do I need someone to pick me up?")
            "fold_into_answered": False,
            # topics not answered in a message with a current severe symptom: what is normal
            # after the test, how much pain is usual, back to work or sex in a day or two, "take
            # what was prescribed" (with a rash and swollen lips!): the urgent advice answers
            # them, she needs to be seen first (two patient readers' findings)
            "urgent_supersedes": ["hsg_side_effects", "hsg_pain", "hsg_aftercare", "hsg_sex_after",
                                  "hsg_medication"],
            # whether the context may also leave a question clear on its own unanswered (True),
            # or only fold it into the previous question's topic (False)
            "context_may_veto": True,
            # the intent of a piece of story (background, no question): never answered
            "story_intent": "story",
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.config = {**self.get_default_config(), **config}
        self.thresholds = dict(self.config["thresholds"])
        self.ambiguity = float(self.config["ambiguity_threshold"])
        self.question_weight = float(self.config["question_weight"])
        self.secondary = set(self.config["secondary_intents"])
        self.secondary_threshold = float(self.config["secondary_threshold"])
        self.hand_off = set(self.config["hand_off_intents"])
        self.context_weight = float(self.config["context_weight"])
        self.fold_into_answered = bool(self.config["fold_into_answered"])
        self.context_may_veto = bool(self.config["context_may_veto"])
        self.urgent_supersedes = set(self.config["urgent_supersedes"])
        self.story = self.config["story_intent"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "QuestionCombiner":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        result: List[Message] = []
        parts: List[Message] = []
        for message in messages + [None]:
            if message is not None and message.get(PART_OF) is not None:
                parts.append(message)
                continue
            if result:
                self.combine(result[-1], parts)
            parts = []
            if message is not None:
                result.append(message)
        return result

    def threshold(self, language: Text) -> float:
        return float(self.thresholds.get(language, self.thresholds.get("default", 0.4)))

    def combine(self, message: Message, parts: List[Message]) -> None:
        """Write `questions`, `intent` and `intent_ranking` of `message` from its parts."""
        language = _language(message)
        whole = _ranking(message)
        if len(parts) == 1:
            w = self.question_weight
            rankings = [_mix(_ranking(parts[0]), w, whole, 1 - w)]
        elif parts:
            # A question after another inherits a little of its subject: "Is the dye iodine?
            # How does it leave the body?" (it = the dye); a question clear on its own keeps its
            # own topic.
            own = [_ranking(part) for part in parts]
            c = self.context_weight
            rankings = [own[0]]
            for i in range(1, len(own)):
                before = [r for r in own[i - 1] if r["name"] != self.story]
                mixed = _mix(own[i], 1 - c, before, c)
                if (not self.context_may_veto and self._clear(own[i], language) and mixed
                        and before and mixed[0]["name"] != before[0]["name"]):
                    # clear on its own and not pulled to the previous question's topic
                    rankings.append(own[i])
                else:
                    rankings.append(mixed)
        elif len((message.get(TEXT) or "").split()) <= SHORT_WORDS:
            # "no", "ko ạ", "ty": a message this short is no story; what the classifier gave
            # `story` is shared out among the rest.
            rankings = [_without(whole, self.story)]
        else:
            rankings = [whole]
        # A best guess of urgent is urgent when the message is one question (the safety net's
        # rule since the first version) and not a worry ("em sợ đau lắm"); a part of a longer
        # message needs the threshold.
        lenient = len(rankings) == 1 and not is_worry(message.get(TEXT) or "")
        questions, kept_rankings, seen = [], [], set()
        previous = None
        for source, ranking in zip(parts or [message], rankings):
            name, confidence = self.decide(ranking, language, _flagged(source), lenient)
            if parts and (name == self.story or ranking and ranking[0]["name"] == self.story):
                continue  # a piece of the story the question finder took for a question
            if (previous in self.hand_off and name not in (URGENT_INTENT, FALLBACK_INTENT)
                    and not names_the_test(source.get(TEXT) or "")):
                # "thông vòi trứng làm ở đâu, có đau không?": the second question is about the
                # first one's subject, outside the knowledge base, not about the HSG.
                name = previous
            previous = name
            if (self.fold_into_answered and name == FALLBACK_INTENT and ranking
                    and ranking[0]["name"] in seen):
                continue  # most likely more about a topic already answered
            if name != FALLBACK_INTENT and name in seen:
                continue  # a topic asked twice is answered once
            seen.add(name)
            questions.append({
                TEXT: source.get(TEXT),
                INTENT: {"name": name, "confidence": confidence},
                INTENT_RANKING_KEY: ranking[:3],
                "clearly_asked": bool(source.get(CLEAR, True)),
            })
            kept_rankings.append(ranking)
        if not questions or questions == [q for q in questions if q[INTENT]["name"] == self.story]:
            # Nothing but story: what the whole message most likely asks, if it is clear.
            ranking = [r for r in whole if r["name"] != self.story]
            name, confidence = self.decide(ranking, language, _flagged(message), lenient)
            questions = [{TEXT: message.get(TEXT), INTENT: {"name": name, "confidence": confidence},
                          INTENT_RANKING_KEY: ranking[:3], "clearly_asked": True}]
            kept_rankings = [ranking]
        whole_urgent = _flagged(message) or bool(whole) and whole[0]["name"] == URGENT_INTENT and (
            (lenient and not parts) or whole[0]["confidence"] >= self.threshold(language))
        urgent = whole_urgent or any(q[INTENT]["name"] == URGENT_INTENT for q in questions)
        if urgent:
            # "I've soaked 4 pads, is this normal?": after the urgent advice, never "usually mild"
            # or "sex again after a day or two".
            questions = [q for q in questions if q[INTENT]["name"] not in self.urgent_supersedes]
        message.set(QUESTIONS, questions, add_to_output=True)

        if urgent:
            lead = {"name": URGENT_INTENT, "confidence": 1.0}
            ranking = [lead] + [r for r in whole if r["name"] != URGENT_INTENT]
        else:
            decided = [i for i, q in enumerate(questions) if q[INTENT]["name"] != FALLBACK_INTENT]
            primary = next((i for i in decided if questions[i][INTENT]["name"] not in self.secondary),
                           decided[0] if decided else None)
            if primary is not None:
                lead = dict(questions[primary][INTENT])
                ranking = [lead] + [r for r in kept_rankings[primary] if r["name"] != lead["name"]]
            else:
                lead = {"name": FALLBACK_INTENT, "confidence": self.threshold(language)}
                ranking = [lead] + kept_rankings[0]
        message.set(INTENT, lead, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        if parts:
            logger.debug("Questions: %s", [(q[TEXT], q[INTENT]) for q in questions])

    def _clear(self, ranking: List[Dict[Text, Any]], language: Text) -> bool:
        """Whether a question's own ranking names an answer without help."""
        name, _ = self.decide(ranking, language, flagged=False, lenient_urgent=False)
        return name not in (FALLBACK_INTENT, self.story)

    def decide(self, ranking: List[Dict[Text, Any]], language: Text, flagged: bool,
               lenient_urgent: bool):
        """The intent of one question and its confidence: `nlu_fallback` when unclear."""
        if flagged:
            return URGENT_INTENT, 1.0
        if not ranking:
            return FALLBACK_INTENT, 0.0
        best = ranking[0]
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        threshold = self.threshold(language)
        if best["name"] == URGENT_INTENT and (lenient_urgent or best["confidence"] >= threshold):
            return URGENT_INTENT, best["confidence"]
        if best["name"] in self.secondary:
            # A wrong guess here costs little: chit-chat, or the hotline, which is the safe way.
            threshold = min(threshold, self.secondary_threshold)
        if best["confidence"] < threshold or best["confidence"] - second < self.ambiguity:
            return FALLBACK_INTENT, best["confidence"]
        return best["name"], best["confidence"]


def _flagged(message: Message) -> bool:
    """The safety net's rules (UrgentSymptomGuard) found a current severe symptom in this text."""
    return bool(message.get(CURRENT_SYMPTOM))


def _intent_name(message: Message) -> Optional[Text]:
    return (message.get(INTENT) or {}).get("name")


def _language(message: Message) -> Text:
    values = {e.get("entity"): e.get("value") for e in message.get(ENTITIES, [])}
    return values.get("language_preference") or values.get("language") or "vi"


def _ranking(message: Message) -> List[Dict[Text, Any]]:
    """The classifier's ranking of a message, the safety net's urgent verdict first."""
    ranking = [dict(r) for r in message.get(INTENT_RANKING_KEY) or []
               if r.get("name") not in (FALLBACK_INTENT, None)]
    if _flagged(message) and (not ranking or ranking[0]["name"] != URGENT_INTENT):
        ranking = [{"name": URGENT_INTENT, "confidence": 1.0}] + [
            r for r in ranking if r["name"] != URGENT_INTENT]
    return ranking


def _without(ranking: List[Dict[Text, Any]], name: Text) -> List[Dict[Text, Any]]:
    """The ranking without one intent, the others scaled to keep the same total."""
    removed = sum(r["confidence"] for r in ranking if r["name"] == name)
    rest = [r for r in ranking if r["name"] != name]
    total = sum(r["confidence"] for r in rest)
    if not removed or not total:
        return rest
    scale = (total + removed) / total
    return [{"name": r["name"], "confidence": r["confidence"] * scale} for r in rest]


def _mix(a: List[Dict[Text, Any]], wa: float, b: List[Dict[Text, Any]], wb: float):
    """The weighted sum of two rankings, best first."""
    scores: Dict[Text, float] = {}
    for ranking, weight in ((a, wa), (b, wb)):
        for r in ranking:
            scores[r["name"]] = scores.get(r["name"], 0.0) + weight * float(r["confidence"])
    return [{"name": n, "confidence": c}
            for n, c in sorted(scores.items(), key=lambda item: -item[1])]
