"""What the actions say: the reply language, knowledge-base answers, buttons and labels.

Plain functions of the tracker's values and the domain, so they are tested without a server.
"""
import logging
from typing import Any, Dict, Iterable, List, Optional, Text

from actions.kb import LANGUAGES, KnowledgeBase

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
