"""The urgent safety net: a current severe symptom gets the urgent reply whatever the classifier says.

Two parts:
- a spaCy EntityRuler built from data/safety/red_flags.yml (`build_pipeline`), loaded in Rasa by
  `SpacyNLP`, which finds red-flag symptoms in English and Vietnamese, with or without diacritics;
- `assess`, which decides from those matches and the wording around them whether the patient
  reports the symptom now ("I've soaked 3 pads since my HSG", "em đang sốt 39 độ") or asks about
  it in general ("is spotting normal after HSG?", "chụp HSG có bị sốt không?").

`UrgentSymptomGuard` runs last in the NLU pipeline and turns the intent into
`report_urgent_symptom` when `assess` says so, or when the classifier's own best guess was
`report_urgent_symptom` but fell under the fallback threshold.
"""
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Sequence, Text, Tuple

import yaml

from components.text import fold

logger = logging.getLogger(__name__)

URGENT_INTENT = "report_urgent_symptom"
TERM_LABEL = "RED_FLAG"
SEVERE_LABEL = "RED_FLAG_SEVERE"

# Wording that says the symptom is happening now, whatever else the message says.
_NOW = re.compile(
    r"\b(since|right now|now|currently|still|started|starting|this morning|this afternoon|"
    r"this evening|tonight|today|yesterday|last night|for (the last |the past )?\d+|"
    r"for (an|a few|several|two|three) (hours?|days?)|keeps?|kept|getting worse|worse and worse|"
    r"been (\d+|a few|several|two|three|four) (hours?|days?)|"
    r"won ?t stop|wont stop|not stopping|cant stop|can ?t stop|"
    r"khong cam duoc|ko cam duoc|khong cam dc|ko cam dc|khong ngung|khong dut|"
    r"dang|van con|van|tu hom qua|tu sang|tu toi|tu chieu|tu dem|tu luc|tu khi|hien tai|hien gio|"
    r"bay gio|gio dang|vua|hoai|nay gio|ca dem|mai khong|mai ko|cang luc cang|ngay cang|"
    r"hom qua|sang nay|toi nay|chieu nay|dem qua|dem nay|chieu qua|trua nay|may hom nay|"
    r"may ngay nay|moi ngay mot|moi ngay 1)\b"
)
# A number with a unit: a temperature, pads in an hour, hours of bleeding.
_MEASURE = re.compile(
    # (folded text: "38.7 độ" is "38 7 do")
    r"\b(3[89]|4[0-2])([.,\s]\d)?\s*(do|oc|c|°c?|degrees?)\b|\b(3[89]|4[0-2])[.,]\d\b|"
    r"\b10[0-4]([.,]\d)?\s*(f|°f|degrees?)\b|"
    r"\b\d+\s*(pads?|bang|mieng|bvs)\b"
)
# Wording that makes it personal: urgent together with a red-flag term.
_PERSONAL = re.compile(
    r"\b(i have|i ve|ive|i am|i m|im|i got|i feel|i keep|my|she has|she s|she is|her|wife has|"
    r"i m having|i am having|having|we have|"
    r"em bi|chi bi|minh bi|toi bi|vo em|vo toi|vo minh|em thay|em dang|co ay bi|chi ay bi|"
    r"qua|lam|qua troi|luon)\b"  # "quá", "lắm", "quá trời", "luôn": "đau quá", "hôi lắm"
)
# Wording of a general, hypothetical or history question.
_GENERAL = re.compile(
    r"\b(what if|if i|if she|if you|if it|in case|can hsg|could hsg|does hsg|do hsg|will hsg|"
    r"can the test|does the test|will the test|can it cause|could it cause|does it cause|"
    r"will i|would i|might i|is it possible|possible to|risk of|risks|chance of|how common|"
    r"how often|how likely|before|in the past|history|previously|last time|years ago|"
    r"when should|when do i|when to|should i worry|what should i do if|what to do if|"
    r"can i (still )?(have|do|get|take) (an |the |a )?(hsg|test|x ray)|is it safe|"
    r"neu|lieu|co the bi|co bi|co gay|co lam|nguy co|de bi|thuong bi|truong hop|truoc day|tung bi|"
    r"da tung|lan truoc|tien su|khi nao can|co duoc chup|chup duoc khong|chup dc khong|"
    r"co chup duoc|lam duoc khong)\b"
    # "có <symptom> (lắm) không": a question about the test, unless it asks about her own
    # symptom ("có sao không", "có bình thường không", "có nguy hiểm không", "có phải ...").
    r"|\bco (?!sao\b|binh thuong\b|nguy hiem\b|van de\b|phai\b|can\b)((?!co\b)\w+ ){1,5}?"
    r"(khong|ko|k|hok|hong)\b"
)


# A fear of the symptom, not the symptom ("em sợ đau lắm", "I'm scared I'll faint", "my friend
# said she passed out"): not urgent unless the message also says it is happening now.
_WORRY = re.compile(
    r"\b(scared|afraid|terrified|worried|worry|worries|nervous|anxious|fear|fears|frightened|"
    r"my friend|a friend|friends said|heard that|i read|people say|"
    r"so (dau|bi|ngat|xiu|chay|ra|sot|lam|qua|nhat|rang|la|thuoc|minh|em|e|chup|tia|kim|di ung)|"
    r"lo (lang|qua|so|la|bi)|"
    r"nghe (noi|ke|bao|moi nguoi|may chi|ban)|ban (em|e|minh|toi) (bao|ke|noi)|"
    r"moi nguoi (bao|noi|ke)|may chi (bao|noi|ke))\b"
)


@dataclass
class Assessment:
    """What the safety net found in one message."""

    urgent: bool
    flags: List[Text] = field(default_factory=list)
    reason: Text = ""


def is_worry(text: Text) -> bool:
    """Does the message voice a fear of a symptom ("em sợ đau lắm") rather than report one?"""
    return bool(_WORRY.search(" ".join(re.findall(r"[\w°]+", fold(text)))))


# Bleeding said to be light by the measure the clinicians named (a pad soaked in an hour or less
# is urgent): a pad lasting two hours or more, or a panty liner ("changing my pad every 3-4
# hours", "4 tiếng mới phải thay băng", "chỉ thấm băng vệ sinh hằng ngày"). Folded text.
_LIGHT_BLEEDING = re.compile(
    r"\b(?:every|each|once every|moi|cu|khoang|tam)\s+(?:[2-9]|1[0-2])(?:\s*(?:to|den|toi|or|hay)?\s*\d+)?"
    r"\s*(?:hours?|hrs?|h|tieng|gio)\b"
    r"|\b(?:[2-9]|1[0-2])(?:\s*(?:to|den|toi)?\s*\d+)?\s*(?:hours?|hrs?|tieng|gio)\s+(?:moi\s+|thi\s+|la\s+)?"
    r"(?:phai\s+)?(?:thay|change)"
    r"|\b(?:panty ?liners?|liners?|bang ve sinh hang ngay|bvs hang ngay|bang hang ngay|mieng lot)\b"
)
_SOAKED = re.compile(
    r"\b(?:soak\w*|through|gush\w*|ha?emorrhag\w*|clots?|uot dam|tham dam|uot het|o at|bang huyet|"
    r"khong cam|ko cam|in an hour|in 1 hour|1 tieng|mot tieng|moi tieng|every hour|hourly)\b"
)


def _light_bleeding(folded: Text, matches: Sequence[Tuple[Text, Text]]) -> bool:
    """The only bleeding flag came from a pad count that the message says is light."""
    return (bool(_LIGHT_BLEEDING.search(folded)) and not _SOAKED.search(folded)
            and not any(label == TERM_LABEL and flag == "heavy_bleeding" for label, flag in matches))


def assess(text: Text, matches: Sequence[Tuple[Text, Text]]) -> Assessment:
    """Decide whether a message reports a current severe symptom.

    Args:
        text: the user's message.
        matches: (label, flag id) of the red-flag spans the EntityRuler found in it.
    """
    folded = " ".join(re.findall(r"[\w°]+", fold(text)))
    if any(flag == "heavy_bleeding" for _, flag in matches) and _light_bleeding(folded, matches):
        matches = [m for m in matches if m[1] != "heavy_bleeding"]
    flags = sorted({flag for _, flag in matches})
    if not flags:
        return Assessment(False)
    if _NOW.search(folded) or _MEASURE.search(folded):
        return Assessment(True, flags, "happening now")
    if _WORRY.search(folded):
        return Assessment(False, flags, "a worry, not a symptom")
    if _GENERAL.search(folded):
        return Assessment(False, flags, "general question")
    if any(label == SEVERE_LABEL for label, _ in matches):
        return Assessment(True, flags, "severe")
    if _PERSONAL.search(folded):
        return Assessment(True, flags, "personal")
    return Assessment(False, flags, "no sign it is happening now")


def load_red_flags(path: Path) -> Dict[Text, Dict[Text, Any]]:
    """Read and check data/safety/red_flags.yml."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a mapping of red-flag ids")
    for flag, entry in data.items():
        if not isinstance(entry, dict) or not set(entry) <= {"terms", "severe", "patterns"}:
            raise ValueError(f"{path}: red flag '{flag}' needs terms/severe/patterns only")
        for kind in ("terms", "severe"):
            for lang, phrases in (entry.get(kind) or {}).items():
                if lang not in ("en", "vi") or not all(isinstance(p, str) for p in phrases):
                    raise ValueError(f"{path}: {flag}.{kind}.{lang} must be a list of phrases")
    return data


def _fold_token_pattern(pattern: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    folded = []
    for token in pattern:
        token = dict(token)
        lower = token.get("LOWER")
        if isinstance(lower, dict) and "IN" in lower:
            values = list(lower["IN"])
            token["LOWER"] = {"IN": sorted(set(values) | {fold(v) for v in values})}
        elif isinstance(lower, str):
            token["LOWER"] = fold(lower)
        folded.append(token)
    return folded


def entity_ruler_patterns(red_flags: Dict[Text, Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """EntityRuler patterns for every phrase, in its written and unaccented forms."""
    patterns = []
    for flag, entry in red_flags.items():
        for kind, label in (("terms", TERM_LABEL), ("severe", SEVERE_LABEL)):
            for phrases in (entry.get(kind) or {}).values():
                for phrase in phrases:
                    for form in sorted({phrase.lower(), fold(phrase)}):
                        patterns.append({"label": label, "pattern": form, "id": flag})
        for pattern in entry.get("patterns") or []:
            patterns.append({"label": SEVERE_LABEL, "pattern": _fold_token_pattern(pattern), "id": flag})
    return patterns


def build_pipeline(red_flags_path: Path) -> Any:
    """A blank multilingual spaCy pipeline with the red-flag EntityRuler."""
    import spacy

    nlp = spacy.blank("xx")
    ruler = nlp.add_pipe(
        "entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
    )
    ruler.add_patterns(entity_ruler_patterns(load_red_flags(red_flags_path)))
    return nlp


# Words that deny the symptom right after them: "không sốt", "ko sot", "hết sốt", "no fever",
# "not bleeding", "without any fever" (a patient reader found "đau lâm râm như đến tháng, không
# sốt" answered with the urgent advice).
_NEGATIONS = {"khong", "ko", "k", "hok", "hong", "kg", "chua", "het", "chang", "cha",
              "no", "not", "without", "never", "nor"}
# a word allowed between the negation and the symptom: "không hề sốt", "no more bleeding"
_BETWEEN = {"he", "co", "bi", "con", "thay", "more", "any", "sign", "signs", "real"}


def _negated(ent: Any) -> bool:
    before = [fold(t.text) for t in ent.doc[max(0, ent.start - 2):ent.start]]
    return bool(before) and (before[-1] in _NEGATIONS or (
        len(before) == 2 and before[0] in _NEGATIONS and before[1] in _BETWEEN))


def matches_in(doc: Any) -> List[Tuple[Text, Text]]:
    """(label, flag id) of the red-flag entities in a spaCy doc, except the ones denied ("không
    sốt", "no fever")."""
    return [
        (ent.label_, ent.ent_id_) for ent in doc.ents
        if ent.label_ in (TERM_LABEL, SEVERE_LABEL) and not _negated(ent)
    ]

