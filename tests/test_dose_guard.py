"""A question about how much of a medicine to take goes to the hotline (components/dose_guard.py);
the knowledge base's own medicine questions and radiation doses do not."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from components.dose_guard import DoseQuestionGuard, asks_for_a_dose


@pytest.mark.parametrize("text", [
    "what's the max daily dose of ibuprofen",
    "is 600mg of ibuprofen ok after the test",
    "how many tablets of buscopan can I take",
    "can i take tylenol 3 times a day for the cramps",
    "which dose of letrozole do people usually start on",
    "how much paracetamol should i take for the pain",
    "clomid 100 mg or 50 mg?",
    "thuốc giảm đau uống mấy viên một lần ạ",
    "duphaston ngay uong bao nhieu vien",
    "e uong khang sinh doxycycline lieu the nao",
    "efferalgan 500 uống mấy lần 1 ngày",
])
def test_a_dose_asked_for_is_recognised(text):
    assert asks_for_a_dose(text)


@pytest.mark.parametrize("text", [
    "can I take ibuprofen before the hsg?",
    "should I take a painkiller an hour before",
    "what is the radiation dose of an hsg",
    "liều tia X khi chụp HSG có cao không",
    "lieu buc xa bao nhieu",
    "thuốc cản quang bơm vào bao nhiêu ml",
    "uống thuốc giảm đau trước khi chụp được không",
    "how many x-rays do they take",
    "do I need antibiotics after the hsg",
    "how much does the hsg cost",
    "em uống 2 viên panadol rồi vẫn đau",
])
def test_other_questions_are_left_to_the_classifier(text):
    assert not asks_for_a_dose(text)


def test_the_guard_hands_off_a_dose_question_but_never_an_urgent_one():
    dose = Message({"text": "is it ok to take 800mg ibuprofen 4 times a day",
                    "intent": {"name": "hsg_medication", "confidence": 0.9},
                    "intent_ranking": [{"name": "hsg_medication", "confidence": 0.9},
                                       {"name": "out_of_scope", "confidence": 0.05}]})
    urgent = Message({"text": "i took 800mg ibuprofen and still have severe pain and fever 39",
                      "intent": {"name": "report_urgent_symptom", "confidence": 1.0}})
    other = Message({"text": "can I take ibuprofen before the hsg?",
                     "intent": {"name": "hsg_medication", "confidence": 0.9}})
    DoseQuestionGuard().process([dose, urgent, other])
    assert dose.get("intent") == {"name": "out_of_scope", "confidence": 1.0}
    assert [r["name"] for r in dose.get("intent_ranking")] == ["out_of_scope", "hsg_medication"]
    assert urgent.get("intent")["name"] == "report_urgent_symptom"
    assert other.get("intent")["name"] == "hsg_medication"
