"""Finding the questions of a message, and folding their intents back into it (no model needed)."""
import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.guard import CURRENT_SYMPTOM
from components.multi_question import PART_OF, QuestionCombiner, QuestionSplitter
from components.questions import MAX_PARTS, asks_something, points_back, question_parts


def texts(message):
    return [text for text, _ in question_parts(message)]


@pytest.mark.parametrize("message, expected", [
    # the story is dropped, the question kept
    ("Chào bác sĩ, em 31 tuổi, cưới 3 năm chưa có tin vui, bác sĩ chỉ định chụp HSG. "
     "Cho em hỏi chụp có đau không ạ?", ["Cho em hỏi chụp có đau không ạ"]),
    ("TTC for 14 months, RE finally ordered an HSG for next week. Any tips on what to expect?",
     ["Any tips on what to expect"]),
    ("Em chụp HSG xong được 2 ngày, ra ít máu hồng, vậy có quan hệ được chưa ạ?",
     ["vậy có quan hệ được chưa ạ"]),
    # several questions: commas, "and"/"và", sentences
    ("Nên chụp ngày nào, có đau không, có ảnh hưởng gì không?",
     ["Nên chụp ngày nào", "có đau không", "có ảnh hưởng gì không"]),
    ("What happens during it, and will it hurt?", ["What happens during it", "and will it hurt"]),
    ("how long does it take and can I drive after?", ["how long does it take", "can I drive after"]),
    ("em 30t cuoi 2 nam van chua co con, bs bao chup voi trung, chup co dau k, mat bao lau a",
     ["chup co dau k", "mat bao lau a"]),
    ("I'm 34, one miscarriage last spring, my doctor ordered an HSG. Does it hurt? "
     "And can my husband come in with me?", ["Does it hurt", "And can my husband come in with me"]),
    ("chụp hsg có đau không và bao lâu thì có kết quả", ["chụp hsg có đau không", "bao lâu thì có kết quả"]),
    # the alternatives of one question are one question
    ("can I drive home after or do I need someone to pick me up? and when are the results ready",
     ["can I drive home after or do I need someone to pick me up", "and when are the results ready"]),
    ("Chụp có thấy u xơ không, kết quả trả trong ngày hay phải hẹn ạ?",
     ["Chụp có thấy u xơ không", "kết quả trả trong ngày hay phải hẹn ạ"]),
    # a piece that does not ask completes the question before it
    ("Will it hurt, I have a low pain threshold", []),  # one question with its context
    ("Does it hurt? I have a low pain threshold, any tips", ["Does it hurt", "any tips"]),
    ("My temperature is 38.5 since this morning, is that normal?", []),  # too short a story
    # a question that only points back is read with what it points at: here the whole message
    ("My temperature has been 38.5 since this morning, I had the HSG on Monday, is that normal?", []),
    ("Sau chụp em ra dịch màu nâu, hơi dính, không có mùi. Em có cần lo không ạ?", []),
    ("chup voi trung dc 2 hom r, van ra mau lam tam, k sot k dau. bt ko bs? thu 2 e di lam dc chua",
     ["chup voi trung dc 2 hom r, van ra mau lam tam, k sot k dau. bt ko bs", "thu 2 e di lam dc chua"]),
    ("Had my HSG this morning, cramps like day 1 of my period. No fever. Is that normal? "
     "And can I take ibuprofen?", ["Had my HSG this morning, cramps like day 1 of my period. No fever. "
                                   "Is that normal", "And can I take ibuprofen"]),
    # ... but not at an earlier question ("that" is its answer)
    ("Does the HSG hurt, and is that normal?", ["Does the HSG hurt", "and is that normal"]),
])
def test_questions_are_found_in_order(message, expected):
    assert texts(message) == expected


@pytest.mark.parametrize("message", [
    "chup hsg co dau ko",                       # one question: the whole message is read
    "does hsg hurt",
    "can I eat and drink before the test?",     # "and" inside one question is not a split
    "Can my husband come in and hold my hand?",
    "chụp xong rồi có được quan hệ không",
    "em sợ vi khuẩn bị đẩy vào tử cung",
    "kết quả em tắc vòi trái, em nên làm IVF hay mổ nội soi ạ?",
    "hello", "thanks a lot, bye", "", "/hsg_pain",
])
def test_a_message_that_is_one_question_is_not_cut(message):
    assert question_parts(message) == []


def test_at_most_three_questions_are_read():
    message = "có đau không, mất bao lâu, bao giờ có kết quả, có cần nhịn ăn không, giá bao nhiêu"
    assert len(question_parts(message)) == MAX_PARTS == 3


def test_a_question_found_only_by_a_final_particle_is_not_clearly_asked():
    parts = dict(question_parts("Em cưới 3 năm vẫn chưa. Bác sĩ bảo chụp. Có đau không?"))
    assert parts == {"Em cưới 3 năm vẫn chưa": False, "Có đau không": True}


@pytest.mark.parametrize("text, asks", [
    ("ra ít máu hồng", False),          # "hồng" (pink) is not the chat spelling "hong" (không)
    ("ra it mau hong", True),           # without diacritics it may be: a question
    ("bác sĩ chỉ định chụp HSG", False),
    ("em sợ đau lắm", True), ("I'm terrified of the pain", True),
    ("mat bao lau", True), ("where is it done", True), ("my RE ordered it", False),
])
def test_asking_or_telling(text, asks):
    assert asks_something(text) is asks


def ranked(*pairs):
    return [{"name": n, "confidence": c} for n, c in pairs]


def classified(text, ranking, part=None, language="vi", symptom=None):
    message = Message(data={TEXT: text})
    message.set(INTENT, dict(ranking[0]))
    message.set(INTENT_RANKING_KEY, ranking)
    message.set(ENTITIES, [{"entity": "language", "value": language}])
    if part is not None:
        message.set(PART_OF, part)
    if symptom:
        message.set(CURRENT_SYMPTOM, symptom)
    return message


def combine(whole, *parts, **config):
    [message] = QuestionCombiner({"thresholds": {"en": 0.5, "vi": 0.4}, **config}).process([whole, *parts])
    return message


def test_the_splitter_adds_each_question_after_its_message():
    message = Message(data={TEXT: "Nên chụp ngày nào, có đau không?", "metadata": {"language": "vi"}})
    message.set(ENTITIES, [{"entity": "language", "value": "vi"}])
    batch = QuestionSplitter().process([message])
    assert [m.get(TEXT) for m in batch] == [message.get(TEXT), "Nên chụp ngày nào", "có đau không"]
    assert [m.get(PART_OF) for m in batch] == [None, 0, 1]
    assert batch[1].get(ENTITIES) == [{"entity": "language", "value": "vi"}]
    assert batch[2].get("metadata") == {"language": "vi"}


def test_several_questions_are_answered_in_the_order_asked():
    whole = classified("...", ranked(("hsg_pain", 0.5), ("hsg_timing", 0.3)))
    message = combine(whole, classified("ngày nào", ranked(("hsg_timing", 0.9), ("hsg_pain", 0.05)), 0),
                      classified("đau không", ranked(("hsg_pain", 0.95), ("hsg_timing", 0.01)), 1))
    assert [q["intent"]["name"] for q in message.get("questions")] == ["hsg_timing", "hsg_pain"]
    assert message.get(INTENT) == {"name": "hsg_timing", "confidence": 0.9}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["hsg_timing", "hsg_pain"]


def test_one_question_in_a_story_weighs_more_than_the_story():
    def story_and_question():
        return (classified("story...", ranked(("hsg_purpose", 0.7), ("hsg_pain", 0.2))),
                classified("có đau không", ranked(("hsg_pain", 0.8), ("hsg_purpose", 0.1)), 0))

    message = combine(*story_and_question(), question_weight=0.6)
    assert message.get(INTENT)["name"] == "hsg_pain"
    assert message.get(INTENT)["confidence"] == pytest.approx(0.6 * 0.8 + 0.4 * 0.2)
    # and with the question's weight at 0.2 the story would decide
    assert combine(*story_and_question(), question_weight=0.2).get(INTENT)["name"] == "hsg_purpose"


def test_an_unclear_question_is_fallback_and_the_clear_one_leads():
    whole = classified("...", ranked(("hsg_pain", 0.5)))
    message = combine(whole, classified("abc", ranked(("hsg_cost", 0.3), ("hsg_pain", 0.25)), 0),
                      classified("đau không", ranked(("hsg_pain", 0.9)), 1))
    assert [q["intent"]["name"] for q in message.get("questions")] == ["nlu_fallback", "hsg_pain"]
    assert message.get(INTENT)["name"] == "hsg_pain"


def test_nothing_clear_is_fallback_with_the_likeliest_topics():
    whole = classified("hmm", ranked(("hsg_cost", 0.35), ("hospital_booking", 0.3)))
    message = combine(whole)
    assert message.get(INTENT) == {"name": "nlu_fallback", "confidence": 0.4}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["nlu_fallback", "hsg_cost", "hospital_booking"]
    assert message.get("questions")[0]["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize("language, answered", [("vi", True), ("en", False)])
def test_thresholds_differ_by_language(language, answered):
    whole = classified("...", ranked(("hsg_pain", 0.45), ("hsg_cost", 0.1)), language=language)
    assert (combine(whole).get(INTENT)["name"] == "hsg_pain") is answered


def test_close_second_is_unclear():
    whole = classified("...", ranked(("hsg_pain", 0.46), ("hsg_procedure", 0.40)))
    assert combine(whole).get(INTENT)["name"] == "nlu_fallback"


def test_a_topic_leads_over_a_question_for_the_hotline_and_a_repeat_is_answered_once():
    whole = classified("...", ranked(("out_of_scope", 0.6)))
    message = combine(whole, classified("ivf giá", ranked(("out_of_scope", 0.9)), 0),
                      classified("chụp có đau", ranked(("hsg_pain", 0.9)), 1),
                      classified("chụp đau nhiều", ranked(("hsg_pain", 0.8)), 2))
    assert [q["intent"]["name"] for q in message.get("questions")] == ["out_of_scope", "hsg_pain"]
    assert message.get(INTENT)["name"] == "hsg_pain"


def test_only_outside_questions_lead_to_the_hotline():
    whole = classified("...", ranked(("out_of_scope", 0.9)))
    message = combine(whole, classified("ivf giá", ranked(("out_of_scope", 0.9)), 0),
                      classified("iui giá", ranked(("out_of_scope", 0.8)), 1))
    assert message.get(INTENT)["name"] == "out_of_scope"


def test_a_current_symptom_in_any_part_makes_the_message_urgent():
    whole = classified("...", ranked(("hsg_cost", 0.6)))
    message = combine(whole, classified("sốt 39 độ từ tối qua", ranked(("hsg_side_effects", 0.7)), 0,
                                        symptom="happening now"),
                      classified("chụp hết bao nhiêu tiền", ranked(("hsg_cost", 0.9)), 1))
    assert message.get(INTENT) == {"name": "report_urgent_symptom", "confidence": 1.0}
    assert [q["intent"]["name"] for q in message.get("questions")] == ["report_urgent_symptom", "hsg_cost"]


def test_the_classifiers_unsure_guess_of_urgent_counts_for_one_question_only():
    # one question: a best guess of urgent is urgent, however unsure (the safety net's rule)
    assert combine(classified("...", ranked(("report_urgent_symptom", 0.3), ("hsg_pain", 0.2)))
                   ).get(INTENT)["name"] == "report_urgent_symptom"
    # a part of a longer message needs the threshold: "có sao không" alone is not an emergency
    whole = classified("...", ranked(("hsg_pain", 0.6)))
    message = combine(whole, classified("có sao không", ranked(("report_urgent_symptom", 0.3)), 0),
                      classified("có đau không", ranked(("hsg_pain", 0.9)), 1))
    assert message.get(INTENT)["name"] == "hsg_pain"


def test_several_messages_in_one_batch_keep_their_own_parts():
    first = classified("a", ranked(("hsg_pain", 0.9)))
    second = classified("b", ranked(("hsg_cost", 0.3)))
    part = classified("b1", ranked(("hsg_cost", 0.9)), 0)
    out = QuestionCombiner({}).process([first, second, part])
    assert out == [first, second]
    assert first.get(INTENT)["name"] == "hsg_pain"
    assert second.get(INTENT)["name"] == "hsg_cost"


def test_a_question_after_one_for_the_hotline_that_does_not_name_the_test_goes_there_too():
    whole = classified("...", ranked(("out_of_scope", 0.7)))
    message = combine(whole, classified("thông vòi trứng làm ở đâu", ranked(("out_of_scope", 0.9)), 0),
                      classified("có đau không", ranked(("hsg_pain", 0.9)), 1))
    assert [q["intent"]["name"] for q in message.get("questions")] == ["out_of_scope"]
    assert message.get(INTENT)["name"] == "out_of_scope"
    # one that names the test is its own question
    whole = classified("...", ranked(("out_of_scope", 0.7)))
    message = combine(whole, classified("IVF giá bao nhiêu", ranked(("out_of_scope", 0.9)), 0),
                      classified("chụp HSG có đau không", ranked(("hsg_pain", 0.9)), 1))
    assert [q["intent"]["name"] for q in message.get("questions")] == ["out_of_scope", "hsg_pain"]


def test_a_worry_is_not_made_urgent_by_an_unsure_guess():
    whole = classified("em sợ đau lắm, nghe bạn kể đau muốn xỉu",
                       ranked(("report_urgent_symptom", 0.35), ("hsg_pain", 0.3)))
    assert combine(whole).get(INTENT)["name"] != "report_urgent_symptom"


def test_a_piece_of_story_taken_for_a_question_is_not_answered():
    whole = classified("...", ranked(("hsg_results", 0.6)))
    message = combine(whole, classified("chưa kịp hỏi gì", ranked(("story", 0.7), ("hsg_timing", 0.2)), 0),
                      classified("bao lâu có kết quả", ranked(("hsg_results", 0.95)), 1))
    assert [q["intent"]["name"] for q in message.get("questions")] == ["hsg_results"]


def test_a_message_that_only_tells_a_story_gets_its_likeliest_topic_or_did_you_mean():
    told = classified("I had my HSG yesterday", ranked(("story", 0.8), ("hsg_aftercare", 0.15)))
    message = combine(told)
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert "story" not in [r["name"] for r in message.get(INTENT_RANKING_KEY)]


def test_a_following_question_leans_on_the_previous_ones_subject():
    def ask(context_weight):
        whole = classified("...", ranked(("hsg_contrast_allergy", 0.6)))
        return combine(whole, classified("is the dye iodine", ranked(("hsg_contrast_allergy", 1.0)), 0),
                       classified("how does it leave the body", ranked(("hsg_aftercare", 0.56), ("hsg_side_effects", 0.1)), 1),
                       context_weight=context_weight)
    # on its own the second would be (wrongly) aftercare; with the context, it is not answered as such
    assert [q["intent"]["name"] for q in ask(0.0).get("questions")] == ["hsg_contrast_allergy", "hsg_aftercare"]
    assert "hsg_aftercare" not in [q["intent"]["name"] for q in ask(0.35).get("questions")]
    # a second question clear on its own keeps its topic
    whole = classified("...", ranked(("hsg_timing", 0.6)))
    message = combine(whole, classified("ngày nào", ranked(("hsg_timing", 0.95)), 0),
                      classified("đau không", ranked(("hsg_pain", 0.95)), 1), context_weight=0.3)
    assert [q["intent"]["name"] for q in message.get("questions")] == ["hsg_timing", "hsg_pain"]


def test_a_short_message_is_never_story():
    message = combine(classified("no", ranked(("deny", 0.43), ("story", 0.39), ("greet", 0.03))))
    assert message.get(INTENT)["name"] == "deny"
    assert message.get(INTENT)["confidence"] == pytest.approx(0.43 * 0.85 / 0.46)


def test_chit_chat_and_the_hotline_need_less_confidence_than_a_topic():
    assert combine(classified("ok", ranked(("affirm", 0.38), ("deny", 0.08)))).get(INTENT)["name"] == "affirm"
    assert combine(classified("gia vang", ranked(("out_of_scope", 0.33), ("hsg_cost", 0.1)))
                   ).get(INTENT)["name"] == "out_of_scope"
    assert combine(classified("hmm", ranked(("hsg_cost", 0.38), ("affirm", 0.1)))
                   ).get(INTENT)["name"] == "nlu_fallback"


def test_an_unclear_question_most_likely_about_a_topic_already_answered_is_folded_into_it():
    def ask(fold):
        whole = classified("...", ranked(("hsg_aftercare", 0.9)), language="en")
        return [q["intent"]["name"] for q in combine(
            whole, classified("can i drive myself home", ranked(("hsg_aftercare", 0.97)), 0, "en"),
            classified("do i need someone to pick me up", ranked(("hsg_aftercare", 0.42), ("request_human", 0.26)), 1, "en"),
            classified("when will i know the results", ranked(("hsg_results", 0.3), ("hsg_cost", 0.2)), 2, "en"),
            context_weight=0.0, fold_into_answered=fold).get("questions")]
    assert ask(False) == ["hsg_aftercare", "nlu_fallback", "nlu_fallback"]
    # the second goes with the aftercare answer; the third, unclear about another topic, stays unsure
    assert ask(True) == ["hsg_aftercare", "nlu_fallback"]


def test_the_context_folds_a_question_into_the_previous_topic_but_never_vetoes_a_clear_one():
    def ask(may_veto, second):
        whole = classified("...", ranked(("hsg_preparation", 0.9)))
        return [q["intent"]["name"] for q in combine(
            whole, classified("chuẩn bị gì trước khi chụp", ranked(("hsg_preparation", 0.99)), 0),
            second, thresholds={"vi": 0.5}, context_weight=0.3, context_may_veto=may_veto,
            fold_into_answered=True).get("questions")]

    def clear_pain():  # with the context: pain 0.7 * 0.62 = 0.434 (under 0.5), preparation 0.311
        return classified("có đau nhiều không", ranked(("hsg_pain", 0.62), ("hsg_preparation", 0.02)), 1)

    assert ask(True, clear_pain()) == ["hsg_preparation", "nlu_fallback"]
    assert ask(False, clear_pain()) == ["hsg_preparation", "hsg_pain"]
    # pulled to the previous topic by the context: part of that answer either way
    bring = classified("mang theo giấy tờ gì", ranked(("hsg_medication", 0.55), ("hsg_preparation", 0.4)), 1)
    assert ask(False, bring) == ["hsg_preparation"]


def test_after_a_current_symptom_whether_it_is_normal_is_not_answered():
    whole = classified("...", ranked(("report_urgent_symptom", 1.0)), language="en", symptom="happening now")
    message = combine(whole, classified("is this normal", ranked(("hsg_side_effects", 0.85)), 0, "en"),
                      classified("how long till we can have sex", ranked(("hsg_sex_after", 0.99)), 1, "en"),
                      classified("keep taking the antibiotics?", ranked(("hsg_medication", 0.95)), 2, "en"),
                      classified("and when are the results ready", ranked(("hsg_results", 0.95)), 3, "en"))
    assert message.get(INTENT)["name"] == "report_urgent_symptom"
    # nor sex in a day or two, nor "take what was prescribed": she needs to be seen first; other
    # questions are answered
    assert [q["intent"]["name"] for q in message.get("questions")] == ["hsg_results"]
    # without a current symptom the same question is answered
    calm = combine(classified("...", ranked(("hsg_side_effects", 0.8)), language="en"),
                   classified("is this normal", ranked(("hsg_side_effects", 0.85)), 0, "en"))
    assert [q["intent"]["name"] for q in calm.get("questions")] == ["hsg_side_effects"]


@pytest.mark.parametrize("text, expected", [
    ("Is that normal", True), ("should I be worried", True), ("so is this something to worry about", True),
    ("có sao không ạ", True), ("vay co sao ko a", True), ("bt ko bs", True), ("Như vậy có bình thường không bác sĩ", True),
    ("Em có cần lo không ạ", True), ("co can di kham lai ko", True),
    ("is HSG normal for a 40 year old", False), ("chụp có đau không", False), ("có quan hệ được không", False),
    ("is it normal to bleed after hsg", False), ("does it hurt", False),
])
def test_a_question_that_only_points_back(text, expected):
    assert points_back(text) is expected
