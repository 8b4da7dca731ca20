"""The questions of a patient's message: the parts to classify, found before the classifier runs.

Real patients tell a story and ask last ("Em 31 tuổi, cưới 3 năm chưa có con, bác sĩ chỉ định
chụp HSG, cho em hỏi chụp có đau không ạ?"), or ask two or three things at once ("Nên chụp ngày
nào, có đau không?", "how long does it take and can I drive home after?"). `question_parts`
cuts a message into pieces at sentence ends, commas and "and"/"và", keeps the pieces that ask
something (a question word, a question particle, "cho em hỏi", a question mark, a worry) and
drops the story. The classifier then reads each question on its own (components/multi_question.py).

Plain functions of the text, so they are tested without Rasa.
"""
import re
from dataclasses import dataclass
from typing import List, Text, Tuple

from components.text import canonical, canonical_text, fold

# At most this many questions are read from one message (more would not fit a phone screen).
MAX_PARTS = 3
# A single question is read apart from the rest of the message only when the rest is a story
# of at least this many words: "I have an iodine allergy, is HSG safe for me?" is one question.
MIN_STORY_WORDS = 10

# Sentence ends: ? ! ; and line breaks always; a full stop followed by a space (not 38.5, 1.5).
_SENTENCE_END = re.compile(r"(?<=[?!;…])\s*|\.(?=\s|$)\s*|\n+")
# Inside a sentence, a comma (also the Vietnamese habit of commas without a space).
_COMMA = re.compile(r"\s*[,，:]\s+|\s*[,，]\s*")
_WORD = re.compile(r"\w+")
# Words that join two questions ("... and can I drive home?", "... và mất bao lâu?"), folded.
# Not "or" / "hay là" / "hoặc": they join the alternatives of one question ("can I drive home
# or do I need someone to pick me up?").
_JOINERS = re.compile(
    r"\s+(?:and also|and|also|plus|&|va|voi ca|voi lai|con|them nua|ngoai ra)\s+"
)
_LEADING_JOINER = re.compile(
    r"^(?:and also|and|also|plus|but|so|or|then|va|voi lai|voi ca|con|them nua|ngoai ra|nhung|"
    r"vay|the|hay la|hoac|roi)\s+"
)

# English: a piece that starts with one of these words asks something.
_EN_STARTS = set(
    """
    what whats how hows when whens where wheres why who whos which whose can cant could couldnt
    should shouldnt shall would wouldnt will wont do does did dont doesnt didnt is isnt are arent
    was wasnt were am may might must any anything has hasnt have havent need tips advice
    """.split()
)
# English anywhere in a piece: asking or worrying without a question word first.
_EN_ASKS = re.compile(
    r"\b(?:wonder(?:ing)?|want(?:ed)? to (?:know|ask)|would like to (?:know|ask)|d like to (?:know|ask)|"
    r"question|tell me|explain|any (?:tips|advice|idea|ideas)|advice|what to expect|or not|"
    r"is it (?:ok|okay|normal|safe|true)|scared|afraid|terrified|worried|worry|nervous|anxious|"
    r"fear|freaking out|concerned|not sure (?:if|whether|how|what|when)|"
    r"can you|could you|please (?:tell|let|explain|advise)|let me know|i need to know)\b"
)
# Vietnamese (folded, abbreviations expanded): question phrases anywhere in a piece.
_VI_ASKS = re.compile(
    r"\b(?:bao lau|bao nhieu|bao gio|khi nao|luc nao|o dau|cho nao|dau vay|the nao|ra sao|lam sao|"
    r"tai sao|vi sao|sao|la gi|gi|nao|co phai|hay khong|hay chua|duoc khong|co nen|nen khong|"
    r"(?:cho|xin|muon|can|duoc) (?:em |minh |toi |chi |)hoi|hoi (?:ve|la|chut)|tu van|"
    r"giai dap|thac mac|muon biet|lieu|khong biet|ban khoan|phan van|lo lang|lo qua|lo so|"
    r"so (?:bi|la|dau|rang|qua|lam|nhat|minh|em|e|chup|thuoc|tia|anh|khong|nhat|that|kim)|"
    r"co\b(?: \w+){0,6} khong|"
    # the alternatives of a question: "trả trong ngày hay phải hẹn", "chụp ngày 8 hay là ngày 10"
    r"hay (?:la|phai|can|van|doi|de|se|chi|lai|cu|nen)|"
    r"may (?:ngay|gio|tuan|thang|lan|tieng|phut|hom|buoi|nam|vien|mui)|"
    r"(?:ngay|gio|tuan|thang|lan|tieng|phut|thu|tang|phong|khoa) may|"
    r"(?:cho|giup) (?:em|minh|toi|chi|e) (?:xin|biet)|xin (?:so|dia chi|thong tin|lich|hotline|sdt))\b"
)
# Vietnamese question particles at the end of a piece, after the polite endings are removed.
_VI_FINAL = {"khong", "chua", "nhi", "ha", "sao", "gi", "nao", "chang"}
_VI_POLITE_END = re.compile(
    r"(?:\s+(?:a|ah|ak|nha|nhe|nhen|voi|di|the|vay|oi|bac si|chi|em|ban|moi nguoi|ad|admin|"
    r"hen|luon|a bac si|vay a|the a|ha bac si))+$"
)


@dataclass(frozen=True)
class Piece:
    """A piece of a message: its text as typed, whether it asks, and where it starts a sentence."""

    text: Text
    asks: bool
    sentence_start: bool
    ends_with_question_mark: bool


# Question words that, typed with other diacritics, are ordinary words: "nạo" (curettage) is
# not "nào" (which), "hơi đau" (a bit painful) is not "hỏi" (ask), "liều" (dose) is not "liệu".
# Typed without diacritics they stay ambiguous and count as the question word.
_ACCENTED_CUES = {
    "nao": {"nào"}, "may": {"mấy"}, "hoi": {"hỏi"}, "so": {"sợ"}, "lo": {"lo"}, "lieu": {"liệu"},
    "chua": {"chưa"}, "ha": {"hả", "hà"}, "the": {"thế"}, "nen": {"nên"}, "gi": {"gì"},
    "sao": {"sao"}, "khong": {"không"}, "nhi": {"nhỉ"}, "chang": {"chăng", "chẳng"},
}


def cue_text(text: Text) -> Text:
    """The text folded for the question cues, with accented look-alikes of question words kept
    apart ("nạo" -> "nao_", which no cue matches)."""
    words = []
    for word in _WORD.findall(text.lower()):
        folded = fold(word)
        if folded != word and folded in _ACCENTED_CUES and word not in _ACCENTED_CUES[folded]:
            words.append(folded + "_")
        else:
            words.append(canonical(word))
    return " ".join(words)


def asks_something(text: Text) -> bool:
    """Does this piece of a message ask (or worry about) something, in English or Vietnamese?"""
    folded = cue_text(text)
    if not folded:
        return False
    core = _LEADING_JOINER.sub("", folded)
    first = core.split()[0] if core else ""
    if first in _EN_STARTS or _EN_ASKS.search(core):
        return True
    if _VI_ASKS.search(core):
        return True
    stripped = _VI_POLITE_END.sub("", core)
    return bool(stripped) and (stripped.split()[-1] in _VI_FINAL)


def _pieces(text: Text) -> List[Piece]:
    """The message cut at sentence ends, commas and joining words, each piece marked."""
    pieces = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        question_mark = sentence.endswith("?") or sentence.endswith("？")
        chunks = [c for c in _COMMA.split(sentence) if c.strip()]
        parts = []
        for chunk in chunks:
            if parts and len(_WORD.findall(parts[-1])) < 2:
                parts[-1] = f"{parts[-1]}, {chunk}"  # "Question: does it hurt", "Hi, ..."
            else:
                parts.extend(_split_on_joiners(chunk))
        for index, part in enumerate(parts):
            pieces.append(Piece(
                text=part.strip(" .!?;:-–—…？"),
                asks=asks_something(part),
                sentence_start=index == 0,
                ends_with_question_mark=question_mark and index == len(parts) - 1,
            ))
    return [p for p in pieces if p.text]


def _split_on_joiners(chunk: Text) -> List[Text]:
    """Cut at "and"/"và" only where both sides ask something ("can I eat and drink" stays whole)."""
    folded = fold(chunk)
    if len(folded) != len(chunk):  # folding changed the length (rare characters): keep whole
        return [chunk]
    for match in _JOINERS.finditer(folded):
        left, right = chunk[: match.start()], chunk[match.end():]
        if asks_something(left) and asks_something(right):
            return [left] + _split_on_joiners(right)
    return [chunk]


# A question that points back at what was just told and names nothing itself: "Is that
# normal?", "should I be worried?", "có sao không ạ?", "vậy có bình thường không bác sĩ?" (folded,
# with the person and the polite endings around it). Read alone it has no topic; it is read with
# the sentence before it, which says what "that" is.
_POINTS_BACK = re.compile(
    r"^(?:(?:so|but|and|then|ok|okay|hmm|doctor)\s+)*(?:"
    r"(?:is|was|are|were) (?:that|this|it|these|those|all this|all that)(?: still| all| really)?"
    r" (?:normal|ok|okay|alright|all right|fine|a problem|bad|serious|common|expected|usual|"
    r"dangerous|concerning|something to worry about|anything to worry about|a concern|"
    r"a bad sign|a good sign|something serious)"
    r"|should (?:i|we|she) (?:be )?(?:worried|worry|concerned|be concerned|scared|panic)"
    r"|do (?:i|we|she) need to (?:worry|be worried|be concerned)"
    r"|(?:is there )?anything to worry about|what does (?:that|this|it) mean|what could (?:that|this|it) be"
    r"|(?:how|what) about (?:that|this)"
    r")(?: or not| at all)?$"
    r"|^(?:(?:nhu vay|vay|the|the nay|nhu the|nhu the nay|nhu vay thi|vay thi|cai nay|cai do|"
    r"tinh trang nay|tinh trang do|hien tuong nay|em|e|minh|toi|chi|chi ay|vo em|co ay|"
    r"bac si|bac si oi|cho em hoi)\s+)*"
    r"(?:co sao|sao|co sao khong|co binh thuong khong|binh thuong khong|co phai binh thuong khong|"
    r"la binh thuong khong|co van de gi khong|co van de khong|co nguy hiem khong|nguy hiem khong|"
    r"co can lo khong|can lo khong|co phai lo khong|co dang lo khong|co lo khong|"
    r"co can di kham(?: lai)? khong|co phai di kham(?: lai)? khong|can di kham(?: lai)? khong|"
    r"la bi gi|la bi sao|la sao|la the nao|bi lam sao|co bi lam sao khong|co bi sao khong|"
    r"co anh huong gi khong|co anh huong khong|co sao khong vay|duoc khong|on khong|co on khong)"
    r"(?:\s+(?:a|ah|nha|nhe|vay|the|bac si|a bac si|bac si oi|chi|ban|ad|ha|nhi|khong))*$"
)


def points_back(text: Text) -> bool:
    """Is this question about what the sentence before it told ("is that normal?")?"""
    return bool(_POINTS_BACK.search(cue_text(text).strip()))


def question_parts(text: Text) -> List[Tuple[Text, bool]]:
    """The questions a message asks, in order, as (text, clearly_asked) pairs.

    A piece that asks starts a question; a piece that does not ask and follows a question in the
    same sentence completes it ("Will it hurt, I have a low pain threshold"); other pieces are the
    story and are dropped. A sentence that ends with "?" but has no asking piece is a question as
    a whole. `clearly_asked` is False for a question found only by a final particle such as
    "không"/"chưa", which a statement can end with too ("cưới 3 năm vẫn chưa").
    A question that only points back ("Is that normal?", "có sao không ạ?") is read with the
    sentence before it (`points_back`).
    Empty when the message is one question as a whole or asks nothing: then the whole message
    is what the classifier reads.
    """
    if not text or text.lstrip().startswith("/"):
        return []
    pieces = _pieces(text)
    questions: List[List] = []  # [text, clearly_asked]
    sentence: List[Piece] = []

    def close_sentence() -> None:
        if sentence and not any(p.asks for p in sentence) and sentence[-1].ends_with_question_mark:
            questions.append([", ".join(p.text for p in sentence), True])

    previous_asked = False
    told: List[Text] = []  # the sentences told since the last question, as told
    for piece in pieces:
        if piece.sentence_start:
            close_sentence()
            if sentence and not any(p.asks for p in sentence):
                told.append(", ".join(p.text for p in sentence))
            elif sentence:
                told = []
            sentence = []
            previous_asked = False
        sentence.append(piece)
        if piece.asks:
            earlier = sentence[:-1]
            if any(p.asks for p in earlier):  # "does it hurt, and is that normal?": left alone
                before = ""
            else:
                this_sentence = [", ".join(p.text for p in earlier)] if earlier else []
                before = ". ".join(told + this_sentence)
            question = piece.text
            if before and points_back(piece.text):
                question = before + ". " + piece.text
            questions.append([question, _clearly_asks(piece)])
            previous_asked = True
        elif previous_asked:
            questions[-1][0] += ", " + piece.text
            questions[-1][1] = questions[-1][1] or piece.ends_with_question_mark
    close_sentence()

    found = [(t, clear) for t, clear in questions if t.strip()]
    if not found:
        return []
    if len(found) == 1:
        story = len(_WORD.findall(text)) - len(_WORD.findall(found[0][0]))
        if story < MIN_STORY_WORDS:
            return []
    return found[:MAX_PARTS]


# The test itself named in a question ("chụp", "HSG", "the dye"): a question that does not name
# it and follows a question about something else ("thông vòi trứng ..., có đau không?") is
# about that other thing.
_NAMES_THE_TEST = re.compile(
    r"\b(?:hsg|hysterosalpingo\w*|histerosalpingo\w*|chup|x ?quang|x ?ray|xray|dye|contrast|"
    r"thuoc can quang|can quang|the test|this test|the procedure|the scan|tubal test|dye test)\b"
)


def names_the_test(text: Text) -> bool:
    """Does this question name the HSG test (or its dye) itself?"""
    return bool(_NAMES_THE_TEST.search(canonical_text(text)))


def _clearly_asks(piece: Piece) -> bool:
    folded = _LEADING_JOINER.sub("", cue_text(piece.text))
    if piece.ends_with_question_mark:
        return True
    first = folded.split()[0] if folded else ""
    if first in _EN_STARTS or _EN_ASKS.search(folded):
        return True
    return bool(_VI_ASKS.search(folded))
