"""The curated knowledge base: one YAML file per topic under data/kb/, loaded and validated once.

A clinician edits the files; `load_kb` refuses a broken one with a message that names the file
and the entry, so a mistake stops the action server at start instead of reaching a patient.
"""
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Text, Tuple

import yaml

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "vi")
HOTLINE = "1900 232 389"
EMERGENCY = "115"
MAX_TITLE_CHARS = 20  # Messenger cuts quick-reply titles after 20 characters
REVIEW_STATUSES = ("draft", "reviewed")
# Phone-like numbers: 8+ digits, possibly split by spaces, dots or dashes, and Vietnam's
# three-digit emergency numbers (113 police, 114 fire, 115 ambulance).
_PHONE_RE = re.compile(r"(?<![\d.,])(?:\d[ .-]?){7,}\d(?![\d,]|\.\d)|\b11[345]\b")


class KnowledgeBaseError(ValueError):
    """A knowledge-base file is missing, unreadable or invalid."""


@dataclass(frozen=True)
class Topic:
    """One knowledge-base entry: a topic's answers and button title in each language.

    `answer` is the reply to a question about the topic; `brief` (one or two sentences) is the
    reply to it inside a message that asks several things, under the topic's `title`.
    """

    intent: Text
    title: Dict[Text, Text]
    answer: Dict[Text, Text]
    brief: Dict[Text, Text]
    related: Tuple[Text, ...]
    sources: Dict[Text, Tuple[Text, ...]]
    review_status: Text
    reviewer: Text
    review_date: Text

    @property
    def reviewed(self) -> bool:
        return self.review_status == "reviewed"


class KnowledgeBase:
    """All topics by intent name."""

    def __init__(self, topics: Dict[Text, Topic]) -> None:
        self.topics = topics

    def __contains__(self, intent: object) -> bool:
        return intent in self.topics

    def get(self, intent: Optional[Text]) -> Optional[Topic]:
        return self.topics.get(intent) if intent else None


def phone_numbers(text: Text) -> List[Text]:
    """Phone-like numbers in a text, normalised to single spaces ("1900 232 389", "115")."""
    found = []
    for match in _PHONE_RE.findall(text):
        digits = re.sub(r"\D", "", match)
        found.append(HOTLINE if digits == HOTLINE.replace(" ", "") else digits)
    return found


def _fail(path: Path, message: Text) -> KnowledgeBaseError:
    return KnowledgeBaseError(f"{path}: {message}")


def _bilingual(path: Path, entry: dict, key: Text) -> Dict[Text, Text]:
    value = entry.get(key)
    if not isinstance(value, dict):
        raise _fail(path, f"'{key}' must have 'en' and 'vi'")
    result = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise _fail(path, f"'{key}.{lang}' is missing or empty")
        result[lang] = " ".join(text.split())
    return result


def _read_mapping(path: Path, what: Text) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise _fail(path, f"cannot be read as YAML ({error})") from error
    if not isinstance(data, dict):
        raise _fail(path, f"must be a mapping {what}")
    return data


def parse_topic(path: Path) -> Topic:
    """Read and validate one knowledge-base file."""
    entry = _read_mapping(path, "with intent, title, answer, related, sources, review")
    intent = entry.get("intent")
    if intent != path.stem:
        raise _fail(path, f"'intent' is {intent!r}; it must match the file name '{path.stem}'")
    title = _bilingual(path, entry, "title")
    answer = _bilingual(path, entry, "answer")
    brief = _bilingual(path, entry, "brief")
    for lang, text in title.items():
        if len(text) > MAX_TITLE_CHARS:
            raise _fail(path, f"title.{lang} {text!r} is longer than {MAX_TITLE_CHARS} characters")
    for key, texts in (("answer", answer), ("brief", brief)):
        for lang, text in texts.items():
            check_numbers(path, f"{key}.{lang}", text)
    related = entry.get("related")
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        raise _fail(path, "'related' must be a list of intent names")
    if intent in related or len(set(related)) != len(related):
        raise _fail(path, "'related' must not repeat a topic or name the topic itself")
    sources = entry.get("sources")
    if not isinstance(sources, dict) or not any(sources.get(k) for k in ("article", "clinical_facts")):
        raise _fail(path, "'sources' must name at least one article quote or clinical_facts item")
    review = entry.get("review")
    if not isinstance(review, dict) or review.get("status") not in REVIEW_STATUSES:
        raise _fail(path, f"'review.status' must be one of {REVIEW_STATUSES}")
    if review["status"] == "reviewed" and not (review.get("reviewer") and review.get("date")):
        raise _fail(path, "a 'reviewed' entry needs 'review.reviewer' and 'review.date'")
    return Topic(
        intent=intent,
        title=title,
        answer=answer,
        brief=brief,
        related=tuple(related),
        sources={k: tuple(v or ()) for k, v in sources.items()},
        review_status=review["status"],
        reviewer=str(review.get("reviewer") or ""),
        review_date=str(review.get("date") or ""),
    )


def check_numbers(path: Path, where: Text, text: Text) -> None:
    for number in phone_numbers(text):
        if number not in (HOTLINE, EMERGENCY):
            raise _fail(path, f"{where} has the number {number!r}; only the hotline "
                              f"{HOTLINE} and emergency {EMERGENCY} may appear")


def load_messages(path: Path, required: Tuple[Text, ...]) -> Dict[Text, Dict[Text, Text]]:
    """The actions' own texts (data/messages.yml): each key in both languages."""
    data = _read_mapping(path, "of message names")
    missing = [key for key in required if key not in data]
    if missing:
        raise _fail(path, f"messages {missing} are missing")
    messages = {key: _bilingual(path, data, key) for key in data}
    for key, texts in messages.items():
        for lang, text in texts.items():
            check_numbers(path, f"{key}.{lang}", text)
    return messages


def load_kb(directory: Path) -> KnowledgeBase:
    """Load every `*.yml` under `directory`, validate each and the links between them."""
    paths = sorted(Path(directory).glob("*.yml"))
    if not paths:
        raise KnowledgeBaseError(f"{directory}: no knowledge-base files (*.yml) found")
    topics = {}
    for path in paths:
        topic = parse_topic(path)
        topics[topic.intent] = topic
    for topic in topics.values():
        unknown = [r for r in topic.related if r not in topics]
        if unknown:
            raise KnowledgeBaseError(
                f"{Path(directory) / (topic.intent + '.yml')}: related topics {unknown} have no entry"
            )
    drafts = sum(1 for t in topics.values() if not t.reviewed)
    logger.info("Knowledge base: %d topics from %s (%d still draft)", len(topics), directory, drafts)
    return KnowledgeBase(topics)
