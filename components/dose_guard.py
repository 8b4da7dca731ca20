"""`DoseQuestionGuard`: a question about how much of a medicine to take goes to the hotline.

The assistant never doses medicine. Patients ask it in many words ("is it safe to take 1000mg
paracetamol four times a day", "panadol uống mấy viên 1 ngày", "how many mg of clomid"), next to
the knowledge base's medicine questions that it does answer in general terms ("can I take
ibuprofen before the HSG?"). The classifier learnt the difference from examples, but not firmly:
a retraining on another machine sent two such questions of the held-out set (one per language)
to the medication topic. The rule: a dose asked for (an amount with a unit, "how many tablets",
"what dose", "mấy viên", "liều" not of X-rays...) together with a medicine (a name, "thuốc",
"pills", "viên") makes the question `out_of_scope`, whose reply is the hotline. It never touches
an urgent message, and says nothing about questions without both.
"""
import logging
import re
from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.guard import CURRENT_SYMPTOM
from components.red_flags import URGENT_INTENT
from components.stateless import StatelessComponent
from components.text import fold

logger = logging.getLogger(__name__)

HAND_OFF_INTENT = "out_of_scope"

_NUMBER = r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|mot|hai|ba|bon)"
# an amount asked for or stated (folded text: no diacritics, lower case)
_DOSE = re.compile(
    r"\b(?:"
    rf"\d+(?:[.,]\d+)?\s?(?:mg|mcg|ml|milligrams?|g)\b"
    r"|how many (?:mg|milligrams?|tablets?|pills?|capsules?|times)\b"
    r"|(?:max|maximum|usual|right|correct|daily|safe|normal|recommended) (?:daily )?dose"
    r"|(?:what|which|how much of a) dose|dosage|dose of (?!radiation|x ?rays?|an? hsg|the hsg)"
    r"|how much \w+ (?:should|can|do|to|may) i\b"
    rf"|{_NUMBER} (?:times|x) (?:a|per) day"
    r"|(?:may|bao nhieu) (?:vien|mg|ml|gam|goi|ong)\b"
    r"|(?:may|bao nhieu) lan (?:1|mot|moi|trong) ngay|ngay (?:uong )?(?:may|bao nhieu) lan"
    r"|lieu (?:the nao|bao nhieu|dung|luong|toi da|cao nhat|may)\b|bao nhieu lieu"
    r")"
)
_MEDICINE = re.compile(
    r"\b(?:paracetamol|acetaminophen|tylenol|panadol|efferalgan|hapacol|ibuprofen|advil|nurofen"
    r"|motrin|aspirin|clomid|clomiphene|letrozole|femara|metformin|duphaston|utrogestan"
    r"|progesterone|estradiol|progynova|amoxicillin|augmentin|doxycycline|azithromycin"
    r"|metronidazole|antibiotics?|buscopan|nospa|no spa|diazepam|valium|painkillers?|medicines?"
    r"|medications?|meds|pills?|tablets?|capsules?|khang sinh|giam dau|ha sot|an than"
    r"|thuoc(?! can quang| nhuom)|(?<!benh )vien)\b"
)


def asks_for_a_dose(text: Text) -> bool:
    """Does the text ask how much of a medicine to take (or whether an amount is right)?"""
    folded = " ".join(re.findall(r"[\w.,]+", fold(text)))
    return bool(_DOSE.search(folded) and _MEDICINE.search(folded))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class DoseQuestionGuard(StatelessComponent):
    """Sets `out_of_scope` (the hotline) on a message or question that asks for a dose."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            if (intent in (URGENT_INTENT, HAND_OFF_INTENT) or message.get(CURRENT_SYMPTOM)
                    or not asks_for_a_dose(message.get(TEXT) or "")):
                continue
            logger.info("Dose question: %s -> %s", intent, HAND_OFF_INTENT)
            hand_off = {"name": HAND_OFF_INTENT, "confidence": 1.0}
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT, hand_off, add_to_output=True)
            message.set(INTENT_RANKING_KEY,
                        [hand_off] + [r for r in ranking if r.get("name") != HAND_OFF_INTENT],
                        add_to_output=True)
        return messages
