"""Training and held-out data: enough examples per intent and language, and kept apart."""
import glob
from collections import Counter

import pytest
import yaml

from tests.conftest import CONVERSATION_INTENTS, KB_INTENTS, ROOT

ALL_INTENTS = KB_INTENTS + CONVERSATION_INTENTS + ["switch_language"]


def _examples(pattern):
    found = []
    for path in sorted(glob.glob(str(ROOT / pattern))):
        for block in yaml.safe_load(open(path, encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    found.append((block["intent"], line.strip()[2:].strip()))
    return found


@pytest.mark.parametrize("language", ["en", "vi"])
def test_at_least_20_training_examples_per_intent_and_language(language):
    counts = Counter(intent for intent, _ in _examples(f"data/nlu/{language}/*.yml"))
    assert {i: counts[i] for i in ALL_INTENTS if counts[i] < 20} == {}
    assert counts["out_of_scope"] >= 100 and counts["report_urgent_symptom"] >= 50


def test_held_out_set_has_12_messages_per_intent_across_languages():
    counts = Counter(intent for intent, _ in _examples("tests/nlu/*.yml"))
    assert {i: counts[i] for i in ALL_INTENTS if counts[i] < 12} == {}


def test_held_out_messages_are_never_trained_on():
    """Not even without diacritics, punctuation or a "bác sĩ ơi" (chit-chat formulas aside)."""
    import re

    from components.text import fold

    filler = {"bs", "bac", "si", "a", "oi", "vay", "v", "z", "nhe", "nha", "ah", "ha", "c", "e",
              "em", "cho", "hoi", "da", "the"}
    core = lambda t: " ".join(w for w in re.findall(r"\w+", fold(t)) if w not in filler)  # noqa: E731
    chit_chat = {"greet", "goodbye", "thank", "affirm", "deny"}
    trained = {core(t) for i, t in _examples("data/nlu/*/*.yml") if i not in chit_chat}
    leaked = [t for i, t in _examples("tests/nlu/*.yml")
              if i not in chit_chat and len(core(t).split()) >= 2 and core(t) in trained]
    assert leaked == []


def test_vietnamese_training_data_has_messages_without_diacritics():
    from components.text import fold

    texts = [t for _, t in _examples("data/nlu/vi/*.yml")]
    unaccented = [t for t in texts if t.isascii() and fold(t) == t.lower()]
    assert len(unaccented) / len(texts) > 0.3
