"""The real-style scores (scripts/realstyle.py) on hand-made readings."""
from scripts.realstyle import URGENT, Case, Reading, score

KB = ["hsg_sex_after", "hsg_cost", "hsg_pain"]


def scored(asks, **reading):
    return score([Case("en", "...", tuple(asks))], [Reading(**reading)], KB)["en"]


def test_the_urgent_advice_first_answers_normal_recovery_questions_but_not_others():
    assert scored([URGENT, "hsg_sex_after"], urgent=True, urgent_first=True)["all_answered"] == 1.0
    assert scored([URGENT, "hsg_sex_after"], urgent=True, urgent_first=True)["main_answered"] == 1.0
    # without the urgent advice first, it answers nothing
    assert scored([URGENT, "hsg_sex_after"], urgent=True, urgent_first=False)["all_answered"] == 0.0
    # a question the urgent advice does not answer still needs its answer
    assert scored([URGENT, "hsg_cost"], urgent=True, urgent_first=True)["all_answered"] == 0.0
    assert scored([URGENT, "hsg_cost"], urgent=True, urgent_first=True, answered=["hsg_cost"])["all_answered"] == 1.0


def test_a_topic_not_asked_is_a_wrong_topic():
    report = scored(["hsg_pain", "hsg_cost"], answered=["hsg_pain", "hsg_sex_after"])
    assert report["wrong_topic"] == 1.0 and report["main_answered"] == 1.0 and report["all_answered"] == 0.0


def test_specific_question_outcomes_read_the_first_reply(kb):
    from scripts.evaluate import score_specific, specific_outcome

    case = {"text": "how long does it take", "lang": "en", "topic": "hsg_procedure", "specific": "duration"}
    duration = kb.topics["hsg_procedure"].specific["duration"].answer["en"]
    assert specific_outcome(kb, case, duration) == "leads_with_answer"
    assert specific_outcome(kb, case, kb.topics["hsg_procedure"].answer["en"]) == "topic_answer_instead"
    assert specific_outcome(kb, case, kb.topics["hsg_pain"].answer["en"]) == "wrong_answer"
    assert specific_outcome(kb, case, "Please call our hotline") == "no_answer"
    general = {**case, "specific": "general", "lang": "vi_unaccented"}
    assert specific_outcome(kb, general, kb.topics["hsg_procedure"].answer["vi"]) == "leads_with_answer"
    assert specific_outcome(kb, general, kb.topics["hsg_procedure"].specific["needle"].answer["vi"]) == "wrong_answer"
    report = score_specific([case, general], ["leads_with_answer", "wrong_answer"])
    assert report["all"]["leads_with_answer"] == 0.5 and report["vi_unaccented"]["wrong_answer"] == 1.0


def test_the_reply_reader_sees_specific_answers_and_the_filled_urgent_reply(kb, domain):
    from actions.actions import MESSAGE_KEYS
    from actions.hospital import hospital
    from actions.kb import load_messages
    from scripts.realstyle import ReplyReader
    from tests.conftest import ROOT

    reader = ReplyReader(kb, load_messages(ROOT / "data" / "messages.yml", MESSAGE_KEYS), domain)
    urgent = hospital().fill(" ".join(domain["responses"]["utter_urgent"][-1]["text"].split()), "vi")
    specific = kb.topics["hsg_aftercare"].specific["work"]
    reading = reader.read([{"text": urgent}, {"text": f"{specific.question['vi']}\n{specific.answer['vi']}"}], "vi")
    assert reading.urgent_first and reading.answered == ["hsg_aftercare"]
