"""Which language to answer in: channel metadata, an explicit request, or the text itself.

`LanguageDetector` runs in the Rasa NLU pipeline and adds two entities that fill slots through
`from_entity` mappings (domain.yml):

- `language`: the language the message is written in, when the text tells (English or
  Vietnamese, with or without diacritics). A message that does not tell ("ok", "hsg?", "115")
  adds nothing, so the slot keeps the conversation's language.
- `language_preference`: an explicit choice, from the channel metadata `language` (the web
  widget's switch) or from the message itself ("answer in English", "nói tiếng Việt đi").

A reply is in `language_preference` when set, else in `language`: the response conditions in
domain.yml and `actions.replies.reply_language` apply that order (a test checks they agree).
"""
import logging
import re
import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent

from components.text import words

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "vi")

# Letters that only Vietnamese uses among the two languages (after lowercasing, NFC).
_VI_LETTERS = set(
    "ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
)

# Unaccented Vietnamese words and chat abbreviations that are not English words.
_VI_WORDS = set(
    """
    khong ko k kg khg hok hong hk kh dc dk duoc co la gi j bi chup tu cung voi trung em chi ban
    bac si bs ntn sao nao thi lam nay nhieu bao lau sau khi truoc xong roi r dau bung mau kinh
    nguyet thuoc uong kham benh vien gia tien quan he thai bau vo chong ck vk oi nha nhe nhi
    cho can phai thay minh toi hay nhu hoi cam chao vang da di ve tac ket qua ah ak ha hem
    nguoi duong nhung cua cac mot hai ba bon nam ngay thang tuan gio phut lan vay z muon biet
    xin dang ky hen goi tong dai chua dieu tri sot chay ngat xiu tho ngua huyet dich
    tieng viet anh noi tra loi giup hieu sinh con hiem xet nghiem phuong phap khoang tot xau
    toan nguy hiem thuong mk mik mn bt bth alo luon nua them nhau sang chieu mai hom ui uh um
    bn ti le thanh cong ra vao duoi tren trong ngoai xuat hien lai moi tai vi sao ma nen neu
    lieu hoac hay cung nhung hon nhat duoc biet noi dung c e
    """.split()
)
# Frequent English words, including short ones that are also valid Vietnamese syllables.
_EN_WORDS = set(
    """
    what how when where why who which is are was were does did can could should would will
    i my you your it its of in on to the an for with after before during test tubes tube
    pain hurt hurts painful have has had been get getting pregnant period periods bleeding
    normal dye x ray xray doctor hospital appointment book price cost much long take need hello
    hi hey thanks thank yes yeah yep nope please pls bye goodbye see soon am im ive feel feeling
    there this that these those from about any some more most very really just also and or
    but if then than many safe fever blood pads pad cramps spotting results result contrast
    allergy allergic radiation sex insurance procedure prepare eat drink wife husband partner
    we our us they them speak english vietnamese want know tell explain human person real bot
    someone talk call phone number morning night week weeks hour hours minute minutes since
    still now okay do not no me he she her him be by at up out so all one two three ty thx
    """.split()
)
# Tokens that say nothing about the language: acronyms patients use in both.
_NEUTRAL = set("hsg ivf iui amh ct mri ok oke okay bvs bhyt sdt app online ad admin hotline tks a".split())
# Words of both languages ("can" = cần, "the" = thế, "toi" = tôi/tối...) count for neither.
_NEUTRAL |= _VI_WORDS & _EN_WORDS
# A Vietnamese syllable without its diacritics: onset, vowel nucleus, coda.
_VI_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(uye|uya|uyu|oai|oay|oeo|uoi|uou|uay|uai|ieu|yeu|iu|ia|ie|ua|ue|ui|uo|uy|oa|oe|oi|ai|ao|"
    r"au|ay|eo|eu|ye|ou|[aeiouy])"
    r"(ch|ng|nh|[cmnpt])?$"
)

_EN_NAME = r"(english|eng|tieng anh|t anh)"
_VI_NAME = r"(vietnamese|viet|tieng viet|t viet)"
_SWITCH_CUE = (
    r"(speak|answer|reply|respond|talk|write|switch|change|use|in|please|pls|plz|noi|tra loi|"
    r"chuyen|doi|dung|bang|sang|qua|duoc|dc|ko|khong|nha|di|giup)"
)


def requested_language(text: Text) -> Optional[Text]:
    """The language a message explicitly asks for ("answer in English", "nói tiếng Việt đi")."""
    folded = " ".join(words(text))
    if not folded or len(folded.split()) > 12:
        return None  # a long message mentioning a language is a question, not a switch
    asks_en = re.search(rf"\b{_EN_NAME}\b", folded) and re.search(rf"\b{_SWITCH_CUE}\b", folded)
    asks_vi = re.search(rf"\b{_VI_NAME}\b", folded) and re.search(rf"\b{_SWITCH_CUE}\b", folded)
    if folded in ("english", "eng", "tieng anh"):
        return "en"
    if folded in ("vietnamese", "tieng viet", "viet"):
        return "vi"
    if asks_en and not asks_vi:
        return "en"
    if asks_vi and not asks_en:
        return "vi"
    return None


def detect_language(text: Text) -> Optional[Text]:
    """'vi', 'en', or None when the text does not tell (a number, "ok", "hsg?")."""
    lowered = text.lower()
    # NFC, so decomposed diacritics (some phone keyboards send them) count as letters.
    if any(ch in _VI_LETTERS for ch in unicodedata.normalize("NFC", lowered)):
        return "vi"
    vi = en = 0.0
    for token in words(lowered.replace("cam on", "cam_on")):
        if token == "cam_on":
            vi += 2
            continue
        if token.isdigit() or token in _NEUTRAL:  # before the word lists: they overlap
            continue
        if token in _VI_WORDS:
            vi += 1
        elif token in _EN_WORDS or not _VI_SYLLABLE.match(token):
            en += 1  # a word that cannot be a Vietnamese syllable is English (or a loanword)
        else:
            vi += 0.5  # could be Vietnamese, not a word we know
    if vi > en:
        return "vi"
    if en > vi:
        return "en"
    return None


def metadata_language(metadata: Any) -> Optional[Text]:
    """The `language` a client sent in the message metadata, if it is one we speak."""
    if not isinstance(metadata, dict):
        return None
    value = metadata.get("language")
    if not isinstance(value, str):
        return None
    value = value.strip().lower()[:2]
    return value if value in LANGUAGES else None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class LanguageDetector(StatelessComponent):
    """Adds `language` / `language_preference` entities to each user message."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = [
                e
                for e in message.get(ENTITIES, [])
                if e.get("entity") not in ("language", "language_preference")
            ]
            detected = detect_language(text)
            preference = requested_language(text) or metadata_language(message.get("metadata"))
            if preference:
                detected = preference
                entities.append(self._entity("language_preference", preference))
            if detected:
                entities.append(self._entity("language", detected))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    @staticmethod
    def _entity(name: Text, value: Text) -> Dict[Text, Any]:
        return {"entity": name, "value": value, "extractor": "LanguageDetector"}
