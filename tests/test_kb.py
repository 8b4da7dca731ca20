"""The knowledge base: complete, bilingual, short, sourced, and only the hotline's numbers."""
import re
import shutil
from pathlib import Path

import pytest
import yaml

from actions.kb import HOTLINE, KnowledgeBaseError, load_kb, load_messages, phone_numbers
from actions.actions import MESSAGE_KEYS
from tests.conftest import KB_INTENTS, ROOT, SHARED

KB_DIR = ROOT / "data" / "kb"


def test_every_kb_intent_has_an_entry_and_nothing_else(kb, domain):
    assert sorted(kb.topics) == sorted(KB_INTENTS)
    assert set(KB_INTENTS) <= set(domain["intents"])


@pytest.mark.parametrize("intent", KB_INTENTS)
@pytest.mark.parametrize("language", ["en", "vi"])
def test_answer_is_short_and_ends_with_a_way_forward(kb, intent, language):
    answer = kb.topics[intent].answer[language]
    # the warning signs are given word for word and are not counted
    block = load_messages(ROOT / "data" / "messages.yml", MESSAGE_KEYS)["warning_signs"][language]
    words = len(answer.replace(block, "").split())
    # Vietnamese words are syllables: about a quarter more of them for the same text
    assert words <= {"en": 90, "vi": 110}[language], f"{intent}.{language} has {words} words"
    assert HOTLINE in answer or "115" in answer, f"{intent}.{language} gives no way to reach us"


@pytest.mark.parametrize("intent", KB_INTENTS)
@pytest.mark.parametrize("language, limit", [("en", 40), ("vi", 55)])
def test_brief_answer_fits_a_phone_in_one_or_two_sentences(kb, intent, language, limit):
    brief = kb.topics[intent].brief[language]
    assert len(brief.split()) <= limit, f"{intent}.{language} brief has {len(brief.split())} words"
    assert len([s for s in re.split(r"(?<=[.!?])\s+", brief) if s]) <= 2
    assert brief != kb.topics[intent].answer[language]


@pytest.mark.parametrize("intent", KB_INTENTS)
def test_vietnamese_answer_is_vietnamese_and_english_is_english(kb, intent):
    from components.language import detect_language

    topic = kb.topics[intent]
    assert detect_language(topic.answer["vi"]) == "vi"
    assert detect_language(topic.answer["en"]) == "en"
    assert detect_language(topic.brief["vi"]) == "vi"
    assert detect_language(topic.brief["en"]) == "en"
    assert detect_language(topic.title["vi"]) == "vi"


@pytest.mark.parametrize("intent", KB_INTENTS)
def test_related_topics_exist_and_are_two_or_three(kb, intent):
    related = kb.topics[intent].related
    assert 2 <= len(related) <= 3
    assert all(r in kb.topics and r != intent for r in related)


def test_phone_numbers_are_the_hotline_or_115_everywhere(kb, domain):
    texts = [t for topic in kb.topics.values() for t in [*topic.answer.values(), *topic.brief.values()]]
    texts += [v["text"] for variations in domain["responses"].values() for v in variations]
    messages = load_messages(ROOT / "data" / "messages.yml", MESSAGE_KEYS)
    texts += [t for m in messages.values() for t in m.values()]
    numbers = {n for text in texts for n in phone_numbers(text)}
    assert numbers == {HOTLINE, "115"}


def test_hotline_wording_is_the_same_in_every_reply(kb, domain):
    for topic in kb.topics.values():
        for lang, press in (("en", "(press 0)"), ("vi", "(bấm phím 0)")):
            if HOTLINE in topic.answer[lang]:
                assert f"{HOTLINE} {press}" in topic.answer[lang], topic.intent


def test_contrast_is_iodine_based_not_barium(kb):
    for lang, iodine in (("en", "iodine"), ("vi", "i-ốt")):
        answer = kb.topics["hsg_contrast_allergy"].answer[lang].lower()
        assert iodine in answer
        if "barium" in answer or "bari" in answer:
            assert re.search(r"(not|không)[^.]{0,30}bari", answer), answer


def test_the_bot_never_gives_prices(kb):
    for topic in kb.topics.values():
        for answer in topic.answer.values():
            assert not re.search(r"\d[\d.,]*\s*(vnd|vnđ|đồng|dong|usd|\$|triệu|nghìn|k\b)", answer.lower())


@pytest.mark.skipif(not (SHARED / "source" / "hsg-article.txt").exists(), reason="needs ../shared")
def test_sources_quote_the_article_and_name_clinical_facts(kb):
    article = (SHARED / "source" / "hsg-article.txt").read_text(encoding="utf-8")
    facts = (SHARED / "reference" / "clinical-facts.md").read_text(encoding="utf-8")
    headings = {line[3:].strip() for line in facts.splitlines() if line.startswith("## ")}
    for topic in kb.topics.values():
        for quote in topic.sources.get("article", ()):
            assert quote in article, f"{topic.intent}: not in the article: {quote!r}"
        for item in topic.sources.get("clinical_facts", ()):
            assert item in headings, f"{topic.intent}: no such clinical-facts section: {item!r}"


def _broken_kb(tmp_path: Path, name: str, change) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(KB_DIR, target)
    path = target / f"{name}.yml"
    entry = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(entry)
    path.write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda e: e["answer"].pop("vi"), "answer.vi"),
        (lambda e: e["title"].update(en="A title far too long for a button"), "title.en"),
        (lambda e: e.update(related=["hsg_unknown", "hsg_timing"]), "hsg_unknown"),
        (lambda e: e["answer"].update(en="Call 0912 345 678 now."), "0912345678"),
        (lambda e: e.update(intent="hsg_other"), "must match the file name"),
        (lambda e: e.update(sources={"article": [], "clinical_facts": []}), "sources"),
        (lambda e: e["review"].update(status="reviewed"), "reviewer"),
        (lambda e: e["review"].update(status="approved?"), "review.status"),
    ],
)
def test_a_broken_entry_fails_naming_the_file(tmp_path, change, message):
    directory = _broken_kb(tmp_path, "hsg_pain", change)
    with pytest.raises(KnowledgeBaseError) as error:
        load_kb(directory)
    assert "hsg_pain.yml" in str(error.value) and message in str(error.value)


def test_unparsable_yaml_fails_naming_the_file(tmp_path):
    target = tmp_path / "kb"
    shutil.copytree(KB_DIR, target)
    (target / "hsg_timing.yml").write_text("intent: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="hsg_timing.yml"):
        load_kb(target)


def test_messages_need_both_languages(tmp_path):
    path = tmp_path / "messages.yml"
    path.write_text("greet: {en: Hello}\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="greet.vi"):
        load_messages(path, ("greet",))


WARNING_TOPICS = ("hsg_side_effects", "hsg_aftercare", "hsg_pain", "hsg_contrast_allergy")


@pytest.mark.parametrize("language", ["en", "vi"])
def test_warning_signs_are_named_in_the_same_words_wherever_they_are_given(kb, domain, language):
    block = load_messages(ROOT / "data" / "messages.yml", MESSAGE_KEYS)["warning_signs"][language]
    for phrase in {"en": ["115", "trouble breathing", "swelling of the face", "fainting",
                          "soaks a pad in an hour or less", "38 °C", "chills", "foul-smelling",
                          "not helped by painkillers", "rash or hives", "nearest emergency department"],
                   "vi": ["115", "khó thở", "sưng mặt", "ngất", "thấm đẫm một băng vệ sinh trong một giờ",
                          "38 °C", "ớn lạnh", "mùi hôi", "không đỡ khi đã uống thuốc giảm đau", "mề đay",
                          "khoa cấp cứu gần nhất"]}[language]:
        assert phrase in block
    assert {t for t, topic in kb.topics.items() if topic.warning_signs} == set(WARNING_TOPICS)
    for intent in WARNING_TOPICS:
        assert block in kb.topics[intent].answer[language], intent
        assert block not in kb.topics[intent].brief[language]  # a reply of several gives it once
    from actions.hospital import hospital

    urgent = [hospital().fill(" ".join(v["text"].split()), language) for v in domain["responses"]["utter_urgent"]]
    assert any(text.endswith(block) for text in urgent)


@pytest.mark.parametrize("language, word", [("en", "drive"), ("vi", "lái xe")])
def test_after_a_sedative_no_driving_wherever_a_sedative_is_mentioned(kb, language, word):
    for topic in kb.topics.values():
        if any(s in topic.answer[language] for s in ("sedative", "an thần")):
            assert word in topic.answer[language], topic.intent


def test_vietnamese_result_terms_as_reports_write_them(kb):
    text = kb.topics["hsg_results"].answer["vi"]
    assert "Cotte (+)" in text and "vòi tử cung" in text and "ổ bụng" in text
    assert "Free spill" not in text and "free spill" not in text


def test_specific_answers_are_short_lead_with_the_answer_and_are_sourced(kb):
    with_specific = [t for t in kb.topics.values() if t.specific]
    assert len(with_specific) >= 12
    for topic in with_specific:
        assert len(topic.specific) >= 1, topic.intent
        for specific in topic.specific.values():
            assert specific.answer["en"] != topic.answer["en"]
            assert specific.sources.get("article") or specific.sources.get("clinical_facts")
            for language in ("en", "vi"):
                first = re.split(r"(?<=[.!?])\s+", specific.answer[language])[0]
                assert len(first.split()) <= {"en": 32, "vi": 45}[language], (topic.intent, specific.id, language, first)


def test_a_broken_specific_answer_stops_the_load_naming_it(tmp_path):
    source = (KB_DIR / "hsg_procedure.yml").read_text(encoding="utf-8")
    entry = yaml.safe_load(source)
    entry["specific"] = [{"id": "duration", "question": {"en": "How long?", "vi": "Bao lâu?"},
                          "answer": {"en": "word " * 60, "vi": "Khoảng 30 phút."},
                          "sources": {"clinical_facts": ["Pain and duration"]}, "review": {"status": "draft"}}]
    for name in ("hsg_procedure",):
        (tmp_path / f"{name}.yml").write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    for path in KB_DIR.glob("*.yml"):
        if path.stem != "hsg_procedure":
            shutil.copy(path, tmp_path / path.name)
    with pytest.raises(KnowledgeBaseError, match="specific 'duration'.*60 words"):
        load_kb(tmp_path)
