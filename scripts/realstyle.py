"""Real-style test sets (tests/realstyle/): patients' messages as they write them, scored end to end.

A set is a folder with en.yml, vi.yml and vi_unaccented.yml, each a list of messages with `asks`:
what the message asks, in order (knowledge-base topics, `out_of_scope` for a part that must go to
the hotline, `report_urgent_symptom` for a current severe symptom). Each message is sent to the
bot as a new conversation (Rasa with the action server, as it runs), and the replies are read
back: which knowledge-base texts they contain (a topic's answer or brief, exactly as written in
data/kb/), whether the urgent advice, the hotline handoff or "did you mean" came.

Scores per language set:
- main_answered: of the messages that ask a knowledge-base topic, the first one asked is answered;
- all_answered: of the messages that ask several things, every one is answered (each topic, the
  hotline for a part outside the knowledge base, the urgent advice for a current symptom);
  with a current symptom, the urgent advice first answers what is normal after the test, pain,
  back to normal and sex (the combiner's `urgent_supersedes`: she needs to be seen first);
- wrong_topic: a topic that was not asked is answered (of all messages);
- oos_escalated: of the messages that ask only outside the knowledge base, no topic is answered
  and the reply gives the hotline; oos_handoff: the same with the handoff itself (not "did you
  mean");
- urgent_first: a current severe symptom gets the urgent advice as the first reply;
  urgent_false_alarm: the urgent advice for a message without one;
- clarify: "did you mean" (the whole message or a part).
"""
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

import yaml

from actions.hospital import hospital

SETS = ("en", "vi", "vi_unaccented")
LANGUAGE = {"en": "en", "vi": "vi", "vi_unaccented": "vi"}
URGENT = "report_urgent_symptom"
OUT_OF_SCOPE = "out_of_scope"
HOTLINE = hospital().hotline
ROOT = Path(__file__).resolve().parent.parent


def urgent_supersedes() -> frozenset:
    """The topics the urgent advice answers, as config.yml (or the combiner's default) says."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for item in config.get("pipeline", []):
        if item.get("name", "").endswith("QuestionCombiner") and "urgent_supersedes" in item:
            return frozenset(item["urgent_supersedes"])
    from components.multi_question import QuestionCombiner

    return frozenset(QuestionCombiner.get_default_config()["urgent_supersedes"])


@dataclass(frozen=True)
class Case:
    group: Text
    text: Text
    asks: Tuple[Text, ...]

    def topics(self, kb_intents: Iterable[Text]) -> List[Text]:
        known = set(kb_intents)
        return [a for a in self.asks if a in known]


@dataclass
class Reading:
    """What a reply contains."""

    answered: List[Text] = field(default_factory=list)
    urgent: bool = False
    urgent_first: bool = False
    handoff: bool = False
    hotline_parts: int = 0
    clarify: bool = False
    hotline: bool = False
    first_text: Text = ""


def load_set(directory: Path, valid_labels: Iterable[Text]) -> List[Case]:
    """Every message of a set, checked: known labels, no repeats within a message."""
    valid = set(valid_labels)
    cases = []
    for group in SETS:
        path = Path(directory) / f"{group}.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for index, item in enumerate(data["messages"]):
            asks = tuple(item["asks"])
            unknown = [a for a in asks if a not in valid]
            if not item.get("text") or not asks or unknown or len(set(asks)) != len(asks):
                raise ValueError(f"{path} message {index + 1}: bad text or asks {asks} ({unknown})")
            cases.append(Case(group, " ".join(str(item["text"]).split()), asks))
    return cases


class ReplyReader:
    """Recognises the knowledge-base texts and the fixed replies inside the bot's messages."""

    def __init__(self, kb: Any, messages: Dict[Text, Dict[Text, Text]], domain: Dict[Text, Any]) -> None:
        self.kb = kb
        self.fixed = {}
        for name in ("utter_urgent", "utter_handoff"):
            # as the patient reads them: the hospital's values filled in (components/nlg.py)
            self.fixed[name] = {hospital().fill(" ".join(v["text"].split()), language)
                                for v in domain["responses"][name] for language in ("en", "vi")}
        self.parts = {
            key: [re.compile(re.escape(text).replace(re.escape("{question}"), ".*?") + "$")
                  for text in messages[key].values()]
            for key in ("part_hotline", "part_unsure")
        }
        self.clarify = set(messages["clarify"].values())

    def read(self, replies: Sequence[Dict[Text, Any]], language: Text) -> Reading:
        texts = [" ".join((r.get("text") or "").split()) for r in replies]
        reading = Reading(first_text=texts[0] if texts else "")
        for text in texts:
            for intent, topic in self.kb.topics.items():
                # the topic's answer, its brief, or one of its specific answers
                if intent not in reading.answered and (
                    topic.answer[language] in text or topic.brief[language] in text
                    or any(s.answer[language] in text for s in topic.specific.values())
                ):
                    reading.answered.append(intent)
            reading.urgent |= text in self.fixed["utter_urgent"]
            reading.handoff |= text in self.fixed["utter_handoff"]
            reading.hotline_parts += any(p.match(text) for p in self.parts["part_hotline"])
            reading.clarify |= text in self.clarify or any(p.match(text) for p in self.parts["part_unsure"])
            reading.hotline |= HOTLINE in text
        reading.urgent_first = bool(texts) and texts[0] in self.fixed["utter_urgent"]
        return reading


def plan_reading(kb: Any, parse: Dict[Text, Any]) -> Reading:
    """What the reply to a parsed message will contain, from the actions' own plan (no server).

    For threshold sweeps: the same `plan_parts` the action runs, on the NLU's output.
    """
    from actions.replies import plan_parts

    intent = (parse.get("intent") or {}).get("name")
    reading = Reading()
    reading.urgent = reading.urgent_first = intent == URGENT
    if intent == OUT_OF_SCOPE or intent == "request_human":
        reading.handoff = reading.hotline = True
        return reading
    if intent == "nlu_fallback":
        reading.clarify = reading.hotline = True
        return reading
    if intent in kb or intent == URGENT:
        for part in plan_parts(kb, parse):
            if part.kind == "answer":
                reading.answered.append(part.intent)
            elif part.kind == "hotline":
                reading.hotline_parts += 1
                reading.hotline = True
            else:
                reading.clarify = reading.hotline = True
    return reading


def _share(hits: int, total: int) -> Optional[float]:
    return hits / total if total else None


def score(cases: Sequence[Case], readings: Sequence[Reading], kb_intents: Iterable[Text]) -> Dict[Text, Dict[Text, Any]]:
    """The scores above per language set and for all messages."""
    kb_intents = set(kb_intents)
    superseded = urgent_supersedes()
    groups: Dict[Text, List[Tuple[Case, Reading]]] = {}
    for case, reading in zip(cases, readings):
        groups.setdefault(case.group, []).append((case, reading))
        groups.setdefault("all", []).append((case, reading))
    report = {}
    for group, items in groups.items():
        knowledge = [(c, r) for c, r in items if c.topics(kb_intents)]
        several = [(c, r) for c, r in items if len(c.asks) > 1]
        oos = [(c, r) for c, r in items if c.asks == (OUT_OF_SCOPE,)]
        urgent = [(c, r) for c, r in items if URGENT in c.asks]
        calm = [(c, r) for c, r in items if URGENT not in c.asks]
        report[group] = {
            "messages": len(items),
            "knowledge": len(knowledge),
            "several": len(several),
            "out_of_scope": len(oos),
            "urgent": len(urgent),
            "main_answered": _share(sum(c.topics(kb_intents)[0] in r.answered
                                        or c.topics(kb_intents)[0] not in owed(c, r, kb_intents, superseded)
                                        for c, r in knowledge), len(knowledge)),
            "all_answered": _share(sum(all_answered(c, r, kb_intents, superseded) for c, r in several),
                                   len(several)),
            "wrong_topic": _share(sum(bool(set(r.answered) - set(c.asks)) for c, r in items), len(items)),
            "oos_escalated": _share(sum(not r.answered and r.hotline for c, r in oos), len(oos)),
            "oos_handoff": _share(sum(not r.answered and (r.handoff or r.hotline_parts > 0) for c, r in oos), len(oos)),
            "urgent_first": _share(sum(r.urgent_first for c, r in urgent), len(urgent)),
            "urgent_false_alarm": _share(sum(r.urgent for c, r in calm), len(calm)),
            "clarify": _share(sum(r.clarify for c, r in items), len(items)),
        }
    return report


def owed(case: Case, reading: Reading, kb_intents: Iterable[Text], superseded: Iterable[Text] = ()) -> List[Text]:
    """The topics the reply must answer: after the urgent advice, not those it answers."""
    topics = case.topics(kb_intents)
    if URGENT in case.asks and reading.urgent_first:
        topics = [t for t in topics if t not in set(superseded)]
    return topics


def all_answered(case: Case, reading: Reading, kb_intents: Iterable[Text], superseded: Iterable[Text] = ()) -> bool:
    """Every part of the message got its answer."""
    ok = all(t in reading.answered for t in owed(case, reading, kb_intents, superseded))
    if OUT_OF_SCOPE in case.asks:
        ok = ok and (reading.handoff or reading.hotline_parts > 0)
    if URGENT in case.asks:
        ok = ok and reading.urgent_first
    return ok


def failures(cases: Sequence[Case], readings: Sequence[Reading], kb_intents: Iterable[Text]) -> List[Text]:
    """One line per message whose reply missed something or answered what was not asked."""
    lines = []
    superseded = urgent_supersedes()
    for case, reading in zip(cases, readings):
        wrong = set(reading.answered) - set(case.asks)
        if wrong or not all_answered(case, reading, kb_intents, superseded) or (
            case.asks == (OUT_OF_SCOPE,) and not reading.hotline
        ) or (URGENT not in case.asks and reading.urgent):
            got = list(reading.answered) + (["URGENT"] if reading.urgent else []) + (
                ["handoff"] if reading.handoff else []) + (["part-hotline"] * reading.hotline_parts) + (
                ["clarify"] if reading.clarify else [])
            lines.append(f"  [{case.group}] asks {list(case.asks)} got {got}: {case.text[:160]}")
    return lines


def overlap(texts_a: Iterable[Text], texts_b: Iterable[Text], min_words: int = 4) -> List[Text]:
    """Messages of `texts_a` equal to, or nearly the same as, a message of `texts_b`.

    Near: the same words without diacritics, punctuation, chat spellings and polite fillers, or
    a word-set overlap (Jaccard) of 0.8 or more for messages of `min_words` words or more.
    """
    from components.text import canonical_text

    filler = {"a", "ah", "oi", "vay", "nhe", "nha", "ha", "bac", "si", "da", "the", "em", "chi",
              "cho", "hoi", "please", "hi", "hello", "thanks"}

    def core(text: Text) -> Tuple[Text, ...]:
        return tuple(w for w in canonical_text(text).split() if w not in filler)

    cores_b = [core(t) for t in texts_b]
    exact = set(cores_b)
    sets_b = [(set(c), c) for c in cores_b if len(c) >= min_words]
    found = []
    for text in texts_a:
        words = core(text)
        if len(words) < 2:
            continue
        if words in exact:
            found.append(text)
            continue
        if len(words) >= min_words:
            s = set(words)
            for other, _ in sets_b:
                if len(s & other) / len(s | other) >= 0.8:
                    found.append(text)
                    break
    return found
