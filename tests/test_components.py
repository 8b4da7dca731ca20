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


def _selector(tmp_path, **config):
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from components.specific import SpecificAnswerSelector

    storage = LocalModelStorage(tmp_path)
    resource = Resource("specific")
    return SpecificAnswerSelector.create({**SpecificAnswerSelector.get_default_config(), **config},
                                         storage, resource, ExecutionContext(None)), storage, resource


def _training_data():
    from rasa.shared.nlu.training_data.training_data import TrainingData

    rows = [("hsg_procedure", "duration", t) for t in (
        "how long does it take", "how many minutes is the hsg", "chup mat bao lau", "bao lau thi xong",
        "how long will I be there", "mat may phut")]
    rows += [("hsg_procedure", "needle", t) for t in (
        "is there a needle", "do they use an injection", "co phai tiem khong", "co kim tiem khong",
        "will they stick a needle in", "co bi chich kim khong")]
    rows += [("hsg_procedure", None, t) for t in (
        "what happens during hsg", "chup hsg nhu the nao", "walk me through the test", "quy trinh chup ra sao",
        "what do they do in the room", "cac buoc chup hsg")]
    rows += [("hsg_pain", None, t) for t in ("does it hurt", "co dau khong", "is it painful")]
    return TrainingData([Message.build(text, intent, None, {"specific": key} if key else None)
                         for intent, key, text in rows])


def _asking(text, intent, language="en"):
    message = Message(data={"text": text, "entities": [{"entity": "language", "value": language}]})
    message.set("questions", [{"text": text, "intent": {"name": intent, "confidence": 0.9}}])
    return message


def test_specific_answer_selector_learns_from_block_metadata_and_survives_a_reload(tmp_path):
    from rasa.engine.graph import ExecutionContext

    from components.specific import SpecificAnswerSelector

    selector, storage, resource = _selector(tmp_path, thresholds={"en": 0.4, "vi": 0.4})
    selector.train(_training_data())
    assert set(selector.models) == {"hsg_procedure"}  # hsg_pain has no specific answers
    loaded = SpecificAnswerSelector.load(selector.config, storage, resource, ExecutionContext(None))
    for text, intent, expected in [("how long does the test take?", "hsg_procedure", "duration"),
                                   ("co phai tiem kim khong", "hsg_procedure", "needle"),
                                   ("what happens during the hsg", "hsg_procedure", None),
                                   ("does it hurt a lot", "hsg_pain", "absent")]:
        [message] = loaded.process([_asking(text, intent)])
        question = message.get("questions")[0]
        if expected == "absent":
            assert "specific" not in question
        else:
            assert question["specific"]["name"] == expected, (text, question)
            assert question["specific_ranking"][0]["name"] in ("duration", "needle", "general")


def test_specific_answer_below_the_threshold_gives_the_topic_answer(tmp_path):
    selector, _, _ = _selector(tmp_path, thresholds={"en": 0.99, "vi": 0.99})
    selector.train(_training_data())
    [message] = selector.process([_asking("how long does the test take?", "hsg_procedure")])
    specific = message.get("questions")[0]["specific"]
    assert specific["name"] is None and 0 < specific["confidence"] < 0.99


def test_a_model_without_the_selector_resource_answers_topics_only(tmp_path):
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from components.specific import SpecificAnswerSelector

    loaded = SpecificAnswerSelector.load(SpecificAnswerSelector.get_default_config(), LocalModelStorage(tmp_path),
                                         Resource("missing"), ExecutionContext(None))
    [message] = loaded.process([_asking("how long", "hsg_procedure")])
    assert "specific" not in message.get("questions")[0]


def test_short_replies_get_the_intent_of_the_training_example_they_equal(tmp_path):
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from components.short_reply import ShortReplyMatcher

    storage, resource = LocalModelStorage(tmp_path), Resource("short")
    matcher = ShortReplyMatcher.create(ShortReplyMatcher.get_default_config(), storage, resource,
                                       ExecutionContext(None))
    rows = [("không", "deny"), ("ok", "affirm"), ("dạ", "affirm"), ("có đau không", "hsg_pain"),
            ("thanks", "thank"), ("chi phí", "hsg_cost"), ("ok", "goodbye")]
    matcher.train(TrainingData([Message.build(text, intent) for text, intent in rows]))
    loaded = ShortReplyMatcher.load(matcher.config, storage, resource, ExecutionContext(None))

    def intent_of(text):
        message = Message(data={"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.2},
                                "intent_ranking": [{"name": "deny", "confidence": 0.19}]})
        return loaded.process([message])[0].get("intent")

    assert intent_of("hok") == {"name": "deny", "confidence": 1.0}  # "hok" = "không"
    assert intent_of("Da") == {"name": "affirm", "confidence": 1.0}
    assert intent_of("ok")["name"] == "nlu_fallback"  # two intents have "ok": DIET decides
    assert intent_of("chi phi")["name"] == "nlu_fallback"  # a topic, not a conversational reply
    assert intent_of("không, cảm ơn bạn nhiều lắm")["name"] == "nlu_fallback"  # longer: DIET decides
    off = ShortReplyMatcher({**matcher.config, "enabled": False}, storage, resource, loaded.table)
    message = Message(data={"text": "ko", "intent": {"name": "nlu_fallback", "confidence": 0.2}})
    assert off.process([message])[0].get("intent")["name"] == "nlu_fallback"


def _featurized(texts_and_intents, tmp_path, name):
    """Training data and prediction messages through the project's tokenizer and Rasa's
    CountVectorsFeaturizer (words and character n-grams), as config.yml does."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.shared.nlu.training_data.training_data import TrainingData

    (tmp_path / name).mkdir()
    storage = LocalModelStorage(tmp_path / name)
    tokenizer = FoldingTokenizer.create(FoldingTokenizer.get_default_config(), storage,
                                        Resource(f"{name}_tok"), ExecutionContext(None))
    data = TrainingData([Message.build(text, intent) for text, intent in texts_and_intents])
    tokenizer.process_training_data(data)
    featurizers = []
    for i, extra in enumerate(({}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4})):
        featurizer = CountVectorsFeaturizer.create({**CountVectorsFeaturizer.get_default_config(), **extra},
                                                   storage, Resource(f"{name}_cv{i}"), ExecutionContext(None))
        featurizer.train(data)
        featurizer.process_training_data(data)
        featurizers.append(featurizer)
    return storage, tokenizer, featurizers, data


def test_sentence_features_only_replaces_the_text_tokens_and_keeps_the_rest(tmp_path):
    from components.sentence_features import ORIGIN, SentenceFeaturesOnly

    _, _, _, data = _featurized([("does hsg hurt", "hsg_pain"), ("chụp hsg có đau không", "hsg_pain")],
                                tmp_path, "a")
    message = data.training_examples[0]
    before = [(f.attribute, f.type, f.origin) for f in message.features]
    assert sum(1 for a, t, _ in before if a == "text" and t == "sequence") == 2
    SentenceFeaturesOnly({"enabled": False}).process([message])
    assert [(f.attribute, f.type, f.origin) for f in message.features] == before
    SentenceFeaturesOnly({}).process_training_data(data)
    sequence = [f for f in message.features if f.attribute == "text" and f.type == "sequence"]
    assert [(f.origin, f.features.shape) for f in sequence] == [(ORIGIN, (1, 1))]
    sentence = [f for f in message.features if f.type == "sentence"]
    assert len(sentence) == 2 and all(f.features.shape[0] == 1 and f.features.nnz > 0 for f in sentence)


def test_diet_as_configured_predicts_the_same_without_the_token_features(tmp_path):
    """The reason the component is valid: config.yml's DIET (no transformer, no entities, no
    masked LM) never reads the tokens, so the same training gives the same rankings."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    from rasa.shared.utils.io import read_yaml_file

    from components.sentence_features import SentenceFeaturesOnly

    pipeline = read_yaml_file(ROOT / "config.yml")["pipeline"]
    names = [c["name"] for c in pipeline]
    assert names.index("components.sentence_features.SentenceFeaturesOnly") < names.index("DIETClassifier")
    diet_config = dict(pipeline[names.index("DIETClassifier")])
    assert diet_config.get("number_of_transformer_layers") == 0
    assert diet_config.get("entity_recognition") is False
    assert not diet_config.get("use_masked_language_model", False)

    rows = [(t, "hsg_pain") for t in ("does hsg hurt", "is it painful", "chụp hsg có đau không",
                                      "chup co dau ko", "how much pain")]
    rows += [(t, "hsg_cost") for t in ("how much does hsg cost", "what is the price", "chụp hsg bao nhiêu tiền",
                                       "chi phi chup hsg", "gia bao nhieu")]
    rows += [(t, "hsg_timing") for t in ("which day of my cycle", "when should i book", "chụp ngày nào",
                                         "sau sach kinh may ngay", "best time for hsg")]
    questions = ["does it hurt much", "bao nhiêu tiền vậy", "nen chup ngay nao", "how long"]
    rankings = []
    for name, keep in (("with", False), ("without", True)):
        storage, tokenizer, featurizers, data = _featurized(rows, tmp_path, name)
        if keep:
            SentenceFeaturesOnly({}).process_training_data(data)
        config = {**DIETClassifier.get_default_config(),
                  **{k: v for k, v in diet_config.items() if k != "name"}, "epochs": 5}
        diet = DIETClassifier.create(config, storage, Resource(f"{name}_diet"), ExecutionContext(None))
        diet.train(data)
        messages = [Message(data={"text": q}) for q in questions]
        tokenizer.process(messages)
        for featurizer in featurizers:
            featurizer.process(messages)
        if keep:
            SentenceFeaturesOnly({}).process(messages)
        diet.process(messages)
        rankings.append([[(r["name"], round(r["confidence"], 4)) for r in m.get("intent_ranking")]
                         for m in messages])
    assert rankings[0] == rankings[1]


def _second_opinion(tmp_path, **config):
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from components.second_opinion import SecondOpinionClassifier

    storage = LocalModelStorage(tmp_path)
    resource = Resource("second_opinion")
    component = SecondOpinionClassifier.create({**SecondOpinionClassifier.get_default_config(), **config},
                                               storage, resource, ExecutionContext(None))
    return component, storage, resource


def _diet_said(text, ranking):
    message = Message(data={"text": text})
    message.set("intent", dict(name=ranking[0][0], confidence=ranking[0][1]))
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking])
    return message


def test_second_opinion_averages_its_ranking_with_diets_and_survives_a_reload(tmp_path):
    from rasa.engine.graph import ExecutionContext
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from components.second_opinion import SecondOpinionClassifier

    component, storage, resource = _second_opinion(tmp_path, weight=0.5)
    rows = [(t, "hsg_pain") for t in ("does hsg hurt", "is it painful", "chup co dau khong", "dau lam khong")]
    rows += [(t, "hsg_cost") for t in ("how much does it cost", "price of hsg", "bao nhieu tien", "chi phi chup")]
    component.train(TrainingData([Message.build(text, intent) for text, intent in rows]))
    loaded = SecondOpinionClassifier.load(component.config, storage, resource, ExecutionContext(None))
    # DIET unsure between the two; the second model reads "dau" (pain) and tips the balance
    [message] = loaded.process([_diet_said("chup hsg co dau khong", [("hsg_cost", 0.52), ("hsg_pain", 0.48)])])
    ranking = message.get("intent_ranking")
    assert message.get("intent")["name"] == "hsg_pain" == ranking[0]["name"]
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6
    assert 0.48 < ranking[0]["confidence"] < 1.0
    # where both agree the confidence stays high
    [message] = loaded.process([_diet_said("how much is the hsg", [("hsg_cost", 0.9), ("hsg_pain", 0.1)])])
    assert message.get("intent")["name"] == "hsg_cost" and message.get("intent")["confidence"] > 0.6


def test_second_opinion_with_weight_zero_leaves_diets_ranking(tmp_path):
    from rasa.shared.nlu.training_data.training_data import TrainingData

    component, _, _ = _second_opinion(tmp_path, weight=0)
    component.train(TrainingData([Message.build(t, i) for t, i in (("a b", "x"), ("c d", "y"))]))
    ranking = [("hsg_cost", 0.52), ("hsg_pain", 0.48)]
    [message] = component.process([_diet_said("chup hsg co dau khong", ranking)])
    assert [(r["name"], r["confidence"]) for r in message.get("intent_ranking")] == ranking


def _unclear(text, ranking, language="en"):
    message = Message(data={"text": text, "entities": [{"entity": "language", "value": language}]})
    ranked = [{"name": n, "confidence": c} for n, c in ranking]
    message.set("intent", {"name": "nlu_fallback", "confidence": 0.5})
    message.set("intent_ranking", [{"name": "nlu_fallback", "confidence": 0.5}] + ranked)
    message.set("questions", [{"text": text, "intent": {"name": "nlu_fallback", "confidence": ranking[0][1]},
                               "intent_ranking": ranked}])
    return message


def test_an_unclear_question_that_a_specific_answer_clearly_fits_gets_it_and_leads(tmp_path):
    selector, _, _ = _selector(tmp_path, thresholds={"en": 0.4, "vi": 0.4}, rescue_threshold=0.5)
    selector.train(_training_data())
    [message] = selector.process([_unclear("how long does the test take?",
                                           [("hsg_pain", 0.46), ("hsg_procedure", 0.41)])])
    question = message.get("questions")[0]
    assert question["intent"] == {"name": "hsg_procedure", "confidence": 0.41}
    assert question["specific"]["name"] == "duration" and question["rescued_by_specific"]
    assert message.get("intent")["name"] == "hsg_procedure"
    assert [r["name"] for r in message.get("intent_ranking")][:2] == ["hsg_procedure", "hsg_pain"]


@pytest.mark.parametrize("config, ranking", [
    ({"rescue_threshold": None}, [("hsg_pain", 0.46), ("hsg_procedure", 0.41)]),   # off
    ({"rescue_threshold": 0.5}, [("hsg_pain", 0.46), ("hsg_procedure", 0.2)]),    # topic too unlikely
    ({"rescue_threshold": 0.5}, [("hsg_pain", 0.46), ("hsg_cost", 0.3), ("hsg_procedure", 0.2)]),  # not top 2
    ({"rescue_threshold": 0.99}, [("hsg_pain", 0.46), ("hsg_procedure", 0.41)]),   # answer does not fit well
])
def test_an_unclear_question_stays_unclear_without_a_fitting_specific_answer(tmp_path, config, ranking):
    selector, _, _ = _selector(tmp_path, thresholds={"en": 0.4, "vi": 0.4}, **config)
    selector.train(_training_data())
    [message] = selector.process([_unclear("how long does the test take?", ranking)])
    assert message.get("questions")[0]["intent"]["name"] == "nlu_fallback"
    assert "specific" not in message.get("questions")[0]
    assert message.get("intent")["name"] == "nlu_fallback"
