"""The custom actions, run as the action server runs them, on the real knowledge base."""
import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions, settings
from actions.actions import ActionAnswerTopic, ActionClarify, ActionGreet
from tests.conftest import KB_INTENTS, make_tracker

HOTLINE = "1900 232 389"
FEEDBACK = ["/feedback_helpful", "/feedback_not_helpful"]


def topics_of(buttons):
    """The buttons under an answer without its "did this help?" pair."""
    return [b for b in buttons if b["payload"] not in FEEDBACK]


@pytest.mark.parametrize("intent", KB_INTENTS)
@pytest.mark.parametrize("language", ["en", "vi"])
async def test_every_topic_is_answered_in_the_patients_language(
    kb, dispatcher, tracker_factory, domain, intent, language
):
    tracker = tracker_factory(intent, slots={"language": language})
    events = await ActionAnswerTopic().run(dispatcher, tracker, domain)

    [message] = dispatcher.messages
    topic = kb.topics[intent]
    assert message["text"] == topic.answer[language]
    assert [b["payload"] for b in topics_of(message["buttons"])] == [f"/{r}" for r in topic.related]
    assert [b["title"] for b in topics_of(message["buttons"])] == [kb.topics[r].title[language] for r in topic.related]
    assert SlotSet("last_topic", intent) in events
    assert len(dispatcher.messages) == 1  # disclaimer already shown


async def test_metadata_language_wins_over_the_slots(dispatcher, tracker_factory, domain, kb):
    tracker = tracker_factory("hsg_pain", slots={"language": "vi", "language_preference": "vi"},
                              metadata={"language": "en"})
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == kb.topics["hsg_pain"].answer["en"]


async def test_the_first_answer_carries_the_disclaimer_once_after_it(dispatcher, tracker_factory, domain, kb):
    tracker = tracker_factory("hsg_pain", slots={"language": "en", "disclaimer_shown": False})
    events = await ActionAnswerTopic().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == kb.topics["hsg_pain"].answer["en"]  # the answer leads
    assert "not a diagnosis" in dispatcher.messages[1]["text"]
    # the related topics move to the last message, where messaging apps show buttons
    assert not dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in topics_of(dispatcher.messages[1]["buttons"])] == [
        f"/{t}" for t in kb.topics["hsg_pain"].related]
    assert len(dispatcher.messages) == 2
    assert SlotSet("disclaimer_shown", True) in events


@pytest.mark.parametrize("language, hello", [("en", "Hello"), ("vi", "Chào chị")])
async def test_greeting_has_disclaimer_and_starter_buttons(dispatcher, tracker_factory, domain, language, hello):
    tracker = tracker_factory("greet", slots={"language": language, "disclaimer_shown": False})
    events = await ActionGreet().run(dispatcher, tracker, domain)
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0].startswith(hello)
    assert HOTLINE in texts[1]  # the disclaimer says where to get personal advice
    assert [b["payload"] for b in topics_of(dispatcher.messages[-1]["buttons"])] == [
        "/hsg_definition", "/hsg_preparation", "/hsg_pain"]
    assert events == [SlotSet("disclaimer_shown", True)]


async def test_second_greeting_has_no_disclaimer(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("greet", slots={"language": "en", "disclaimer_shown": True})
    await ActionGreet().run(dispatcher, tracker, domain)
    assert len(dispatcher.messages) == 2


@pytest.mark.parametrize("language, other", [("en", "Something else"), ("vi", "Câu hỏi khác")])
async def test_clarify_offers_the_two_likeliest_topics_and_something_else(
    dispatcher, tracker_factory, domain, kb, language, other
):
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "greet", "confidence": 0.3},
               {"name": "hsg_sex_after", "confidence": 0.25}, {"name": "hsg_aftercare", "confidence": 0.2},
               {"name": "hsg_pain", "confidence": 0.1}]
    tracker = tracker_factory("nlu_fallback", slots={"language": language}, ranking=ranking)
    events = await ActionClarify().run(dispatcher, tracker, domain)
    assert events == [SlotSet("suggested_topics", ["hsg_sex_after", "hsg_aftercare"])]
    [message] = dispatcher.messages
    assert HOTLINE in message["text"]
    assert message["buttons"] == [
        {"title": kb.topics["hsg_sex_after"].title[language], "payload": "/hsg_sex_after"},
        {"title": kb.topics["hsg_aftercare"].title[language], "payload": "/hsg_aftercare"},
        {"title": other, "payload": "/request_human"},
    ]


async def test_a_topic_without_an_entry_goes_to_the_hotline(dispatcher, tracker_factory, domain):
    await ActionAnswerTopic().run(dispatcher, tracker_factory("greet"), domain)
    assert dispatcher.messages == [dict(dispatcher.messages[0], response="utter_handoff")]


async def test_drafts_go_to_the_hotline_when_review_is_required(
    dispatcher, tracker_factory, domain, monkeypatch
):
    monkeypatch.setattr(settings, "KB_REQUIRE_REVIEWED", True)
    await ActionAnswerTopic().run(dispatcher, tracker_factory("hsg_pain"), domain)
    assert dispatcher.messages[0]["response"] == "utter_handoff"


async def test_an_error_inside_an_action_still_answers_with_the_hotline(
    dispatcher, tracker_factory, domain, monkeypatch
):
    def broken(*_):
        raise RuntimeError("boom")

    monkeypatch.setattr(actions, "topic_buttons", broken)
    events = await ActionAnswerTopic().run(dispatcher, tracker_factory("hsg_pain"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff"]
    assert events == []


def asked(*questions, intent=None, language="en", text="..."):
    """A tracker whose latest message asks `questions`: (text, intent[, clearly_asked]) tuples."""
    tracker = make_tracker(intent or questions[0][1], text=text, slots={"language": language})
    tracker.latest_message["questions"] = [
        {"text": q[0], "intent": {"name": q[1], "confidence": 0.9},
         "intent_ranking": [{"name": q[1], "confidence": 0.9}],
         "clearly_asked": q[2] if len(q) > 2 else True}
        for q in questions
    ]
    return tracker


@pytest.mark.parametrize("language", ["en", "vi"])
async def test_several_questions_get_a_titled_brief_answer_each_in_order_then_one_set_of_buttons(
    dispatcher, domain, kb, language
):
    tracker = asked(("which day", "hsg_timing"), ("does it hurt", "hsg_pain"), language=language)
    events = await ActionAnswerTopic().run(dispatcher, tracker, domain)
    texts = [m["text"] for m in dispatcher.messages]
    for index, intent in enumerate(["hsg_timing", "hsg_pain"]):
        topic = kb.topics[intent]
        assert texts[index] == f"{topic.title[language]}\n{topic.brief[language]}"
        assert "buttons" not in dispatcher.messages[index] or not dispatcher.messages[index]["buttons"]
    # the pain brief leaves out the warning signs: they follow the answers once
    assert texts[2] == actions.messages()["warning_signs"][language]
    assert HOTLINE in texts[3]
    payloads = [b["payload"] for b in topics_of(dispatcher.messages[3]["buttons"])]
    assert payloads[:2] == ["/hsg_timing", "/hsg_pain"] and len(payloads) <= 4
    assert len(payloads) == len(set(payloads))
    assert len(texts) == 4
    assert SlotSet("last_topic", "hsg_timing") in events


@pytest.mark.parametrize("language, about", [("en", "About “IVF price”"), ("vi", "Về câu hỏi “IVF price”")])
async def test_a_question_outside_the_knowledge_base_gets_the_hotline_for_that_part_only(
    dispatcher, domain, kb, language, about
):
    tracker = asked(("does it hurt", "hsg_pain"), ("IVF price?", "out_of_scope"), language=language)
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0].endswith(kb.topics["hsg_pain"].brief[language])
    assert texts[1] == actions.messages()["warning_signs"][language]
    assert texts[2].startswith(about) and HOTLINE in texts[2]
    assert len(texts) == 4


async def test_an_unclear_question_is_named_only_when_clearly_asked(dispatcher, domain, kb):
    tracker = asked(("which day", "hsg_timing"), ("and the blue thing?", "nlu_fallback"))
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    assert dispatcher.messages[1]["text"].startswith("About “and the blue thing”: I'm not sure")

    quiet = CollectingDispatcher()
    tracker = asked(("vẫn chưa", "nlu_fallback", False), ("có đau không", "hsg_pain"), language="vi")
    await ActionAnswerTopic().run(quiet, tracker, domain)
    assert [m["text"] for m in quiet.messages] == [kb.topics["hsg_pain"].answer["vi"]]


async def test_a_topic_asked_twice_is_answered_once(dispatcher, domain, kb):
    tracker = asked(("does it hurt", "hsg_pain"), ("how bad is the pain", "hsg_pain"))
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    assert [m["text"] for m in dispatcher.messages] == [kb.topics["hsg_pain"].answer["en"]]


async def test_after_the_urgent_advice_the_other_questions_are_answered(dispatcher, domain, kb):
    tracker = asked(("fever 39 since last night", "report_urgent_symptom"), ("how much is it", "hsg_cost"),
                    intent="report_urgent_symptom")
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0] == f"{kb.topics['hsg_cost'].title['en']}\n{kb.topics['hsg_cost'].brief['en']}"
    assert len(texts) == 2


async def test_after_the_urgent_advice_alone_nothing_is_added(dispatcher, domain):
    tracker = asked(("soaking pads", "report_urgent_symptom"))
    events = await ActionAnswerTopic().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []
    assert events  # an event, so that the fallback policy sees the action ran


async def test_a_button_payload_without_questions_gets_the_topics_full_answer(dispatcher, domain, kb, tracker_factory):
    tracker = tracker_factory("hsg_timing", text="/hsg_timing", slots={"language": "vi"})
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == kb.topics["hsg_timing"].answer["vi"]


async def test_what_is_known_comes_before_a_part_the_assistant_is_not_sure_of(dispatcher, domain, kb):
    tracker = asked(("will they still do it on the 20th", "nlu_fallback"), ("can I have it with an infection", "hsg_contraindications"),
                    ("how do I reschedule", "hospital_booking"))
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0].endswith(kb.topics["hsg_contraindications"].brief["en"])
    assert texts[1].endswith(kb.topics["hospital_booking"].brief["en"])
    assert texts[2].startswith("About “will they still do it on the 20th”: I'm not sure")


def asked_specific(*questions, language="en"):
    """A tracker whose latest message asks (text, intent, specific answer or None) questions."""
    tracker = asked(*[(q[0], q[1]) for q in questions], language=language)
    for question, q in zip(tracker.latest_message["questions"], questions):
        question["specific"] = {"name": q[2], "confidence": 0.9}
    return tracker


@pytest.mark.parametrize("language, more", [("en", "More: What happens?"), ("vi", "Chụp như thế nào?")])
async def test_a_specific_question_gets_its_own_answer_word_for_word_and_a_way_to_the_topic(
    dispatcher, domain, kb, language, more
):
    tracker = asked_specific(("how long does it take", "hsg_procedure", "duration"), language=language)
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == kb.topics["hsg_procedure"].specific["duration"].answer[language]
    # "More: Chụp như thế nào?" passes Messenger's 20 characters: the title alone
    assert message["buttons"][0] == {"title": more, "payload": "/hsg_procedure"}
    assert len(message["buttons"]) <= 5  # Zalo shows five


async def test_a_specific_answer_the_knowledge_base_does_not_have_gives_the_topics_answer(dispatcher, domain, kb):
    tracker = asked_specific(("how long does it take", "hsg_procedure", "no_such_answer"))
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == kb.topics["hsg_procedure"].answer["en"]


async def test_two_specific_questions_of_one_topic_get_both_answers_under_their_questions(dispatcher, domain, kb):
    tracker = asked_specific(("how long does it take", "hsg_procedure", "duration"),
                             ("is there a needle", "hsg_procedure", "needle"),
                             ("and after, can I work", "hsg_aftercare", "work"), language="vi")
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    texts = [m["text"] for m in dispatcher.messages]
    for text, (intent, key) in zip(texts, [("hsg_procedure", "duration"), ("hsg_procedure", "needle"),
                                           ("hsg_aftercare", "work")]):
        specific = kb.topics[intent].specific[key]
        assert text == f"{specific.question['vi']}\n{specific.answer['vi']}"
    # specific answers are not the aftercare brief: no warning block, the closing line follows
    assert len(texts) == 4 and HOTLINE in texts[3]


async def test_after_the_urgent_advice_no_second_warning_block(dispatcher, domain, kb):
    tracker = asked(("fever 39 since last night", "report_urgent_symptom"), ("and the side effects", "hsg_side_effects"),
                    intent="report_urgent_symptom")
    await ActionAnswerTopic().run(dispatcher, tracker, domain)
    texts = [m["text"] for m in dispatcher.messages]
    assert actions.messages()["warning_signs"]["en"] not in texts
    assert len(texts) == 2


async def test_unreviewed_specific_answers_give_the_reviewed_topic_answer_when_review_is_required(
    dispatcher, domain, kb, monkeypatch
):
    import dataclasses
    topic = kb.topics["hsg_procedure"]
    reviewed = dataclasses.replace(topic, review_status="reviewed", reviewer="x", review_date="2026-12-07")
    monkeypatch.setitem(kb.topics, "hsg_procedure", reviewed)
    monkeypatch.setattr(settings, "KB_REQUIRE_REVIEWED", True)
    action = ActionAnswerTopic()
    action.kb = kb
    await action.run(dispatcher, asked_specific(("how long", "hsg_procedure", "duration")), domain)
    assert dispatcher.messages[0]["text"] == topic.answer["en"]


@pytest.mark.parametrize("language, titles", [("en", ["👍 Helpful", "👎 Not helpful"]),
                                              ("vi", ["👍 Hữu ích", "👎 Chưa hữu ích"])])
async def test_an_answer_ends_with_did_this_help_and_remembers_what_it_answered(
    dispatcher, domain, kb, language, titles
):
    tracker = asked_specific(("how long does it take", "hsg_procedure", "duration"),
                             ("does it hurt", "hsg_pain", None), language=language)
    events = await ActionAnswerTopic().run(dispatcher, tracker, domain)
    buttons = dispatcher.messages[-1]["buttons"]
    assert [b["payload"] for b in buttons[-2:]] == FEEDBACK
    assert [b["title"] for b in buttons[-2:]] == titles
    assert len(buttons) <= 5  # Zalo shows five: three topics and the pair
    assert SlotSet("last_answers", ["hsg_procedure/duration", "hsg_pain"]) in events


async def test_no_did_this_help_under_the_hotline(dispatcher, domain):
    tracker = asked(("IVF price?", "out_of_scope"))
    events = await ActionAnswerTopic().run(dispatcher, tracker, domain)
    assert all(b["payload"] not in FEEDBACK for m in dispatcher.messages for b in m.get("buttons") or [])
    assert SlotSet("last_answers", []) in events
