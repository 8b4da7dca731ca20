"""Text normalisation shared by the NLU components: accent folding and chat abbreviations."""
import re
import unicodedata
from typing import Dict, List, Text

# Vietnamese chat abbreviations -> the unaccented word they stand for. Only unambiguous ones:
# "bn" (bao nhiêu / bạn) and "v" (vậy / và) are left alone on purpose.
ABBREVIATIONS: Dict[Text, Text] = {
    "ko": "khong", "k": "khong", "kg": "khong", "khg": "khong", "hok": "khong", "hong": "khong",
    "hem": "khong", "kh": "khong", "hk": "khong", "hông": "khong",
    "dc": "duoc", "dk": "duoc", "đc": "duoc", "đk": "duoc", "dduoc": "duoc",
    "j": "gi", "z": "vay", "r": "roi", "ck": "chong", "vk": "vo", "bs": "bac si", "bsi": "bac si",
    "ntn": "nhu the nao", "e": "em", "mn": "moi nguoi", "bt": "binh thuong", "bth": "binh thuong",
    "mk": "minh", "mik": "minh", "mjk": "minh", "vs": "voi", "ks": "khach san",
    "sg": "sai gon", "xn": "xet nghiem", "tc": "tu cung", "vt": "voi trung", "ktr": "kinh nguyet",
}

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def fold(text: Text) -> Text:
    """Lowercase and remove Vietnamese diacritics: 'Chụp HSG có đau không' -> 'chup hsg co dau khong'."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", text.replace("đ", "d"))


def canonical(word: Text) -> Text:
    """The folded form of one word with chat abbreviations expanded.

    A word typed with diacritics is expanded only if it is itself an abbreviation ("đc"): "hồng"
    (pink) is not "hong" (không), "bể" is not "be".
    """
    lowered = word.lower()
    folded = fold(word)
    if lowered in ABBREVIATIONS:
        return ABBREVIATIONS[lowered]
    return ABBREVIATIONS.get(folded, folded) if folded == lowered else folded


def words(text: Text) -> List[Text]:
    """Folded word tokens of a text (abbreviations not expanded)."""
    return _TOKEN_RE.findall(fold(text))


def canonical_text(text: Text) -> Text:
    """The whole text folded, with abbreviations expanded, words separated by single spaces."""
    return " ".join(canonical(w) for w in _TOKEN_RE.findall(text))
