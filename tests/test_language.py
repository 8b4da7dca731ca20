"""Language of a reply: detection from the text, explicit requests, metadata, and the domain."""
import glob

import pytest
import yaml

from actions.replies import reply_language
from components.language import detect_language, metadata_language, requested_language
from tests.conftest import ROOT


@pytest.mark.parametrize(
    "text, language",
    [
        ("Does HSG hurt?", "en"),
        ("how long before i get the results", "en"),
        ("is spotting normal after hsg", "en"),
        ("my wife is scared of the dye", "en"),
        ("Chụp HSG có đau không?", "vi"),
        ("chup hsg co dau ko", "vi"),
        ("sau khi chup bao lau thi quan he dc", "vi"),
        ("ck e hoi bs chup tu cung voi trung xong co con duoc ko", "vi"),
        ("chụp hsg xong có spotting bình thường ko", "vi"),
        ("test hsg o dau", "vi"),
        # decomposed diacritics, as some phone keyboards send them
        ("chu\u0323p hsg", "vi"),
        ("ok", None),
        ("hsg?", None),
        ("1900 232 389", None),
        ("", None),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def _training_lines(pattern):
    for path in glob.glob(str(ROOT / pattern)):
        for block in yaml.safe_load(open(path, encoding="utf-8"))["nlu"]:
            if block["intent"] in ("switch_language", "greet", "goodbye", "thank", "affirm", "deny"):
                continue  # "hi", "ok", "bye" are both languages' words
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    yield line.strip()[2:]


@pytest.mark.parametrize("language", ["en", "vi"])
def test_detection_on_the_training_data_is_right_99_percent(language):
    lines = list(_training_lines(f"data/nlu/{language}/*.yml"))
    wrong = [t for t in lines if (requested_language(t) or detect_language(t)) not in (language, None)]
    assert len(lines) > 900
    assert len(wrong) / len(lines) <= 0.01, wrong[:20]


@pytest.mark.parametrize(
    "text, language",
    [
        ("can you answer in english", "en"),
        ("english please", "en"),
        ("English", "en"),
        ("nói tiếng Anh được không", "en"),
        ("tra loi bang tieng anh di", "en"),
        ("can you speak Vietnamese?", "vi"),
        ("nói tiếng việt đi", "vi"),
        ("tieng viet", "vi"),
        ("does hsg hurt", None),
        ("chup hsg co dau ko", None),
    ],
)
def test_requested_language(text, language):
    assert requested_language(text) == language


@pytest.mark.parametrize(
    "metadata, language",
    [({"language": "en"}, "en"), ({"language": "vi-VN"}, "vi"), ({"language": "fr"}, None),
     ({"language": 3}, None), ({}, None), (None, None), ("en", None)],
)
def test_metadata_language(metadata, language):
    assert metadata_language(metadata) == language


@pytest.mark.parametrize(
    "metadata, preference, detected, expected",
    [
        ({"language": "en"}, "vi", "vi", "en"),  # the client's switch wins
        ({}, "en", "vi", "en"),  # then the patient's explicit choice
        ({}, None, "en", "en"),  # then the language she writes in
        ({}, None, None, "vi"),  # then the hospital's default
    ],
)
def test_reply_language_order(metadata, preference, detected, expected):
    assert reply_language(metadata, preference, detected, "vi") == expected


@pytest.mark.parametrize("preference", [None, "en", "vi"])
@pytest.mark.parametrize("detected", [None, "en", "vi"])
async def test_domain_responses_follow_the_same_order(preference, detected):
    """Replies that Rasa sends itself pick the same language as the actions do."""
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events(
        "t", [SlotSet("language", detected), SlotSet("language_preference", preference)],
        slots=domain.slots,
    )
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    expected = reply_language({}, preference, detected, "vi")
    for response in domain.responses:
        text = (await nlg.generate(response, tracker, "rest"))["text"]
        assert detect_language(text) == expected, (response, text)
