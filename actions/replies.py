"""What the actions say: the reply language, knowledge-base answers, buttons and labels.

Plain functions of the tracker's values and the domain, so they are tested without a server.
"""
import logging
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

from actions.kb import LANGUAGES, MAX_TITLE_CHARS, KnowledgeBase

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
Button = Dict[Text, Text]


def metadata_language(metadata: Any) -> Optional[Text]:
    """The `language` a client sent with the message, if it is one we speak."""
    value = metadata.get("language") if isinstance(metadata, dict) else None
    if isinstance(value, str) and value.strip().lower()[:2] in LANGUAGES:
        return value.strip().lower()[:2]
    return None


def reply_language(
    metadata: Any, preference: Optional[Text], detected: Optional[Text], default: Text
) -> Text:
    """The channel's metadata, then the patient's explicit choice, then the detected language.

    The same order as the Rasa-side `LanguageDetector` and the response conditions in domain.yml.
    """
    for value in (metadata_language(metadata), preference, detected, default):
        if value in LANGUAGES:
            return value
    return "vi"


def topic_buttons(kb: KnowledgeBase, intents: Iterable[Text], language: Text) -> List[Button]:
    """Quick-reply buttons for topics, titled in the patient's language, payload `/intent`."""
    buttons = []
    for intent in intents:
        topic = kb.get(intent)
        if topic is not None:
            buttons.append({"title": topic.title[language], "payload": f"/{intent}"})
    return buttons


def clarify_choices(
    kb: KnowledgeBase, intent_ranking: Iterable[Dict[Text, Any]], count: int = 2
) -> List[Text]:
    """The `count` most likely knowledge-base topics of a message the classifier was unsure of."""
    choices = []
    for ranked in intent_ranking or []:
        name = ranked.get("name") if isinstance(ranked, dict) else None
        if name and name != FALLBACK_INTENT and name in kb and name not in choices:
            choices.append(name)
        if len(choices) == count:
            break
    return choices


URGENT_INTENT = "report_urgent_symptom"
HOTLINE_INTENTS = ("out_of_scope", "request_human")
MAX_BUTTONS = 4
QUOTE_CHARS = 60


@dataclass(frozen=True)
class Part:
    """One question of a message and how it is answered.

    kind: `answer` (a knowledge-base topic), `hotline` (outside the knowledge base) or `unsure`
    (not understood: "did you mean" `choices`, and the hotline).
    """

    kind: Text
    question: Text
    intent: Optional[Text] = None
    choices: Tuple[Text, ...] = ()
    # the specific answer inside the topic that the question asks (None: the topic's answer)
    specific: Optional[Text] = None


def plan_parts(kb: KnowledgeBase, latest_message: Dict[Text, Any]) -> List[Part]:
    """What to answer, in the order asked, from the questions the NLU found in the message.

    A topic asked twice is answered once (a specific answer inside it once each, issue 12:
    "how long does it take, is there a needle?"); an urgent question is answered by the urgent reply
    (sent before); chit-chat inside a question message is not answered; an unclear question is
    mentioned only when it was clearly asked (a sentence that only ends with "không"/"chưa" may
    be the story). A message without `questions` (a button's payload) asks its intent.
    """
    intent = (latest_message.get("intent") or {}).get("name")
    questions = latest_message.get("questions") or [
        {"text": latest_message.get("text") or "", "intent": {"name": intent},
         "intent_ranking": latest_message.get("intent_ranking") or []}
    ]
    parts: List[Part] = []
    answered = set()  # topics
    asked = set()  # (topic, specific answer or None)
    for question in questions:
        name = (question.get("intent") or {}).get("name")
        text = question.get("text") or ""
        if name in kb:
            specific = (question.get("specific") or {}).get("name")
            if specific not in kb.topics[name].specific:
                specific = None
            if (name, specific) not in asked:
                asked.add((name, specific))
                answered.add(name)
                parts.append(Part("answer", text, name, specific=specific))
        elif name in HOTLINE_INTENTS:
            parts.append(Part("hotline", text, name))
        elif name == FALLBACK_INTENT and question.get("clearly_asked", True):
            choices = tuple(c for c in clarify_choices(kb, question.get("intent_ranking"))
                            if c not in answered)
            parts.append(Part("unsure", text, None, choices))
    if intent in kb and intent not in answered and not any(p.kind == "answer" for p in parts):
        parts.insert(0, Part("answer", latest_message.get("text") or "", intent))
    # What is known first: "I'm not sure I understood" before an answer reads as if the answer
    # were a guess (a patient reader's finding); the unclear parts come last.
    return [p for p in parts if p.kind != "unsure"] + [p for p in parts if p.kind == "unsure"]


def quote(text: Text, limit: int = QUOTE_CHARS) -> Text:
    """The patient's words, shortened for a reply line."""
    text = " ".join(text.split()).strip(" ,.;:?!")
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def more_about(kb: KnowledgeBase, intent: Text, language: Text, template: Text) -> Button:
    """The button from a specific answer to its topic's general answer ("More: What happens?"),
    the topic's title alone where the template would pass Messenger's 20 characters."""
    title = kb.topics[intent].title[language]
    longer = template.format(title=title)
    return {"title": longer if len(longer) <= MAX_TITLE_CHARS else title, "payload": f"/{intent}"}


def composed_buttons(kb: KnowledgeBase, parts: Sequence[Part], language: Text) -> List[Button]:
    """Buttons once, at the end: "did you mean" topics, the answered topics (their full answer),
    then their related topics; at most MAX_BUTTONS."""
    intents: List[Text] = []
    for part in parts:
        if part.kind == "unsure":
            intents.extend(part.choices)
    intents.extend(p.intent for p in parts if p.kind == "answer")
    for part in parts:
        if part.kind == "answer":
            intents.extend(kb.topics[part.intent].related)
    unique = list(dict.fromkeys(i for i in intents if i))[:MAX_BUTTONS]
    return topic_buttons(kb, unique, language)
