"""The curated knowledge base: one YAML file per topic under data/kb/, loaded and validated once.

A clinician edits the files; `load_kb` refuses a broken one with a message that names the file
and the entry, so a mistake stops the action server at start instead of reaching a patient.
"""
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Text, Tuple

import yaml

from actions.hospital import hospital

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "vi")
# data/hospital.yml: the texts say `{hotline}`, `{emergency}`, `{hospital}`, filled on loading
HOTLINE = hospital().hotline
EMERGENCY = hospital().emergency
MAX_TITLE_CHARS = 20  # Messenger cuts quick-reply titles after 20 characters
MAX_QUESTION_CHARS = 45  # a specific question is a heading on a phone
# A specific answer is a sentence or three: at most about 40 English words; Vietnamese takes
# about half as many words again (one syllable each).
MAX_SPECIFIC_WORDS = {"en": 45, "vi": 70}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# placeholders the actions fill themselves (data/messages.yml)
ACTION_PLACEHOLDERS = ("question", "title")
REVIEW_STATUSES = ("draft", "reviewed")
# Phone-like numbers: 8+ digits, possibly split by spaces, dots or dashes, and Vietnam's
# three-digit emergency numbers (113 police, 114 fire, 115 ambulance).
_PHONE_RE = re.compile(r"(?<![\d.,])(?:\d[ .-]?){7,}\d(?![\d,]|\.\d)|\b11[345]\b")


class KnowledgeBaseError(ValueError):
    """A knowledge-base file is missing, unreadable or invalid."""


@dataclass(frozen=True)
class Specific:
    """A specific question inside a topic ("how long does it take?") and its short answer.

    `question` is how the patient would ask it (the heading of the answer in a reply of several
    questions); `answer` leads with the answer, in at most about 40 words.
    """

    id: Text
    question: Dict[Text, Text]
    answer: Dict[Text, Text]
    sources: Dict[Text, Tuple[Text, ...]]
    review_status: Text
    reviewer: Text
    review_date: Text

    @property
    def reviewed(self) -> bool:
        return self.review_status == "reviewed"


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
    specific: Dict[Text, Specific] = field(default_factory=dict)
    # Several topics in one reply: their briefs, then the warning signs once (data/messages.yml).
    warning_signs: bool = False

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
        result[lang] = hospital().fill(" ".join(text.split()), lang)
        unknown = [p for p in re.findall(r"\{(\w*)\}", result[lang]) if p not in ACTION_PLACEHOLDERS]
        if unknown:
            raise _fail(path, f"'{key}.{lang}' has unknown placeholders {unknown}; "
                              f"data/hospital.yml lists the ones there are")
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
    sources, review = _sources_and_review(path, entry, "")
    specific = {}
    for index, item in enumerate(entry.get("specific") or []):
        one = _parse_specific(path, item, index)
        if one.id in specific:
            raise _fail(path, f"specific answer {one.id!r} appears twice")
        specific[one.id] = one
    if not isinstance(entry.get("warning_signs", False), bool):
        raise _fail(path, "'warning_signs' must be true or false")
    return Topic(
        intent=intent,
        title=title,
        answer=answer,
        brief=brief,
        related=tuple(related),
        sources=sources,
        review_status=review["status"],
        reviewer=str(review.get("reviewer") or ""),
        review_date=str(review.get("date") or ""),
        specific=specific,
        warning_signs=entry.get("warning_signs", False),
    )


def _sources_and_review(path: Path, entry: dict, where: Text):
    sources = entry.get("sources")
    if not isinstance(sources, dict) or not any(sources.get(k) for k in ("article", "clinical_facts")):
        raise _fail(path, f"{where}'sources' must name at least one article quote or clinical_facts item")
    if not all(isinstance(v, list) or v is None for v in sources.values()):
        raise _fail(path, f"{where}'sources' must be lists")
    review = entry.get("review")
    if not isinstance(review, dict) or review.get("status") not in REVIEW_STATUSES:
        raise _fail(path, f"{where}'review.status' must be one of {REVIEW_STATUSES}")
    if review["status"] == "reviewed" and not (review.get("reviewer") and review.get("date")):
        raise _fail(path, f"{where}a 'reviewed' entry needs 'review.reviewer' and 'review.date'")
    return {k: tuple(v or ()) for k, v in sources.items()}, review


def _parse_specific(path: Path, item: object, index: int) -> Specific:
    if not isinstance(item, dict) or not _ID_RE.match(str(item.get("id") or "")):
        raise _fail(path, f"specific answer #{index + 1} needs an 'id' in snake_case")
    where = f"specific '{item['id']}': "
    question = _bilingual(path, item, "question")
    answer = _bilingual(path, item, "answer")
    for lang in LANGUAGES:
        if len(question[lang]) > MAX_QUESTION_CHARS:
            raise _fail(path, f"{where}question.{lang} is longer than {MAX_QUESTION_CHARS} characters")
        # a sentence that gives the hotline or 115 (warning signs, "call us") is the way
        # forward, word for word the same everywhere, and is not counted
        sentences = re.split(r"(?<=[.!?])\s+", answer[lang])
        words = sum(len(s.split()) for s in sentences if not phone_numbers(s))
        if words > MAX_SPECIFIC_WORDS[lang]:
            raise _fail(path, f"{where}answer.{lang} has {words} words; at most "
                              f"{MAX_SPECIFIC_WORDS[lang]}: the general answer says the rest")
        check_numbers(path, f"{where}answer.{lang}", answer[lang])
    sources, review = _sources_and_review(path, item, where)
    return Specific(
        id=item["id"],
        question=question,
        answer=answer,
        sources=sources,
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
