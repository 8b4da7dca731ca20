"""The Rasa-side components: tokenizer, language detector, safety guard, action-failure policy."""
import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from components.guard import UrgentSymptomGuard
from components.language import LanguageDetector
from components.policy import ActionServerFallbackPolicy
from components.tokenizer import FoldingTokenizer
from tests.conftest import ROOT


def test_tokenizer_lemmas_fold_accents_and_expand_abbreviations():
    tokenizer = FoldingTokenizer(FoldingTokenizer.get_default_config())
    tokens = tokenizer.tokenize(Message(data={"text": "Chụp HSG có đau ko bs"}), "text")
    assert [t.text for t in tokens] == ["Chụp", "HSG", "có", "đau", "ko", "bs"]
    assert [t.lemma for t in tokens] == ["chup", "hsg", "co", "dau", "khong", "bac si"]


def _entities(message):
    return {e["entity"]: e["value"] for e in message.get("entities", [])}


@pytest.mark.parametrize(
    "text, metadata, expected",
    [
        ("does it hurt", None, {"language": "en"}),
        ("chup hsg co dau ko", None, {"language": "vi"}),
        ("ok", None, {}),
        ("does it hurt", {"language": "vi"}, {"language": "vi", "language_preference": "vi"}),
        ("nói tiếng Anh đi", None, {"language": "en", "language_preference": "en"}),
    ],
)
def test_language_detector_entities(text, metadata, expected):
    message = Message(data={"text": text, "metadata": metadata})
    LanguageDetector().process([message])
    assert _entities(message) == expected


@pytest.fixture(scope="module")
def guard_message(red_flag_nlp):
    def make(text, intent, ranking=None):
        message = Message(data={"text": text})
        message.set("text_spacy_doc", red_flag_nlp(text.lower()))
        message.set("intent", {"name": intent, "confidence": 0.8})
        message.set("intent_ranking", ranking or [{"name": intent, "confidence": 0.8}])
        UrgentSymptomGuard().process([message])
        return message

    return make


def test_guard_overrides_a_wrong_intent_for_a_current_severe_symptom(guard_message):
    message = guard_message("I've soaked 3 pads in an hour since my hsg is that normal", "hsg_side_effects")
    assert message.get("intent") == {"name": "report_urgent_symptom", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "report_urgent_symptom"
    assert {"entity": "red_flag", "value": "heavy_bleeding", "extractor": "UrgentSymptomGuard"} in message.get("entities")


def test_guard_leaves_questions_about_what_is_normal(guard_message):
    message = guard_message("is heavy bleeding normal after hsg", "hsg_side_effects")
    assert message.get("intent")["name"] == "hsg_side_effects"


def test_guard_turns_an_unsure_urgent_guess_into_urgent(guard_message):
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "report_urgent_symptom", "confidence": 0.4}]
    message = guard_message("something feels very wrong down there", "nlu_fallback", ranking)
    assert message.get("intent")["name"] == "report_urgent_symptom"


def test_guard_never_demotes_an_urgent_intent(guard_message):
    message = guard_message("help me please", "report_urgent_symptom")
    assert message.get("intent")["name"] == "report_urgent_symptom"


@pytest.fixture(scope="module")
def policy_and_domain():
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    domain = Domain.load(str(ROOT / "domain.yml"))
    policy = ActionServerFallbackPolicy.create(
        ActionServerFallbackPolicy.get_default_config(), LocalModelStorage("/tmp"),
        Resource("policy"), ExecutionContext(None),
    )
    return policy, domain


def _predicted(policy_and_domain, events):
    policy, domain = policy_and_domain
    tracker = DialogueStateTracker.from_events("t", events, slots=domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    if max(prediction.probabilities) == 0:
        return None
    return domain.action_names_or_texts[prediction.max_confidence_index]


def test_policy_answers_with_the_hotline_after_a_silent_custom_action(policy_and_domain):
    events = [ActionExecuted("action_listen"), UserUttered("does it hurt", {"name": "hsg_pain"}),
              ActionExecuted("action_answer_topic")]
    assert _predicted(policy_and_domain, events) == "utter_handoff"
    events.append(ActionExecuted("utter_handoff"))
    events.append(BotUttered("call the hotline"))
    assert _predicted(policy_and_domain, events) == "action_listen"
    events += [ActionExecuted("action_listen"), UserUttered("thanks", {"name": "thank"})]
    assert _predicted(policy_and_domain, events) is None


def test_policy_listens_after_its_own_reply(policy_and_domain):
    events = [UserUttered("hi", {"name": "greet"}), ActionExecuted("action_greet"),
              ActionExecuted("utter_handoff"), BotUttered("Please call 1900 232 389")]
    assert _predicted(policy_and_domain, events) == "action_listen"


def test_policy_only_watches_custom_actions_not_responses(policy_and_domain):
    """A response is sent by Rasa itself (no BotUttered in `rasa test` stories, though)."""
    events = [UserUttered("a person please", {"name": "request_human"}), ActionExecuted("utter_handoff")]
    assert _predicted(policy_and_domain, events) is None


def test_policy_leaves_an_ordinary_handoff_to_the_rules(policy_and_domain):
    events = [UserUttered("ivf price", {"name": "out_of_scope"}), ActionExecuted("utter_handoff"),
              BotUttered("Please call 1900 232 389")]
    assert _predicted(policy_and_domain, events) is None


def test_policy_stays_quiet_when_the_action_set_a_slot(policy_and_domain):
    """As in `rasa test` stories, where the action's events are listed as slot_was_set."""
    events = [UserUttered("does it hurt", {"name": "hsg_pain"}), ActionExecuted("action_answer_topic"),
              SlotSet("last_topic", "hsg_pain")]
    assert _predicted(policy_and_domain, events) is None


def test_policy_stays_quiet_when_the_action_answered(policy_and_domain):
    events = [UserUttered("does it hurt", {"name": "hsg_pain"}), ActionExecuted("action_answer_topic"),
              BotUttered("Most women feel cramps")]
    assert _predicted(policy_and_domain, events) is None
    assert _predicted(policy_and_domain, [UserUttered("hi", {"name": "greet"})]) is None
