"""Masking of what identifies a patient (phone numbers, e-mail addresses, names) in logs and,
optionally, in stored conversations.

Patients type "my name is Lan, call me on 0912 345 678" into the chat. The bot needs none of it
(it answers about the test, never about a person), so:

- `install_log_masking()` (called by scripts/rasa_cli.py, i.e. in Rasa and in the action server)
  masks every log record when it is created: the message, its arguments and any traceback text.
  Rasa's structured logs (structlog) end up as standard log records too, so they are covered.
- `mask_event_data()` is used by the tracker store when `HSG_MASK_STORED_PII=true`.

What is masked: e-mail addresses -> [email]; runs of 9 or more digits (spaces, dots, dashes and
a leading + allowed between them: phone numbers, ID card numbers) -> [phone]/[number]; a name
introduced by a phrase such as "my name is", "tên em là", "em tên", "ho ten:" -> [name].
The hospital's own hotline is kept. A name written without such a phrase is not recognised
(no Vietnamese name recogniser is part of the stack): README, "Security and privacy".
"""
import logging
import re
from typing import Any, Dict, Text

from actions.hospital import hospital

HOTLINE_DIGITS = re.sub(r"\D", "", hospital().hotline)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# digits with single separators between them; at least 9 digits make it a phone/ID number
_NUMBER = re.compile(r"(?<![\w+])\+?\(?\d(?:[\s.\-()]?\d){8,}(?!\w)")
_PHONE_SHAPE = re.compile(r"^(?:\+?84|0)\d{8,10}$")

# phrases that introduce the writer's (or someone's) name; accented and unaccented Vietnamese
_NAME_CUES = [
    r"my name is", r"my name's", r"my full name is", r"name\s*:", r"i am called",
    r"t[eê]n (?:c[uủ]a )?(?:t[oô]i|em|m[iì]nh|ch[iị]|tui|t|e|con|v[oợ] (?:t[oô]i|em|m[iì]nh)) l[aà]",
    r"(?:t[oô]i|em|m[iì]nh|ch[iị]|tui|v[oợ] (?:t[oô]i|em|m[iì]nh)) t[eê]n(?: l[aà])?",
    r"t[eê]n l[aà]", r"h[oọ] (?:v[aà] )?t[eê]n(?: l[aà]|\s*:)?", r"t[eê]n\s*:",
]
# words that end a name: the sentence goes on after them
_STOP_WORDS = {
    # English
    "and", "i", "im", "i'm", "my", "from", "age", "aged", "years", "year", "phone", "email",
    "want", "would", "have", "has", "had", "is", "am", "was", "with", "please", "at", "on",
    "in", "but", "so", "can", "could", "do", "does", "did", "will", "the", "a", "to", "number",
    # Vietnamese, with and without diacritics
    "và", "va", "năm", "tuổi", "tuoi", "muốn", "muon", "hỏi", "hoi", "đang", "dang", "có", "co",
    "bị", "bi", "sinh", "ở", "o", "số", "so", "sđt", "sdt", "đt", "dt", "cho", "xin",
    "nhé", "nhe", "ạ", "a", "ko", "không", "khong", "là", "la", "đã", "da", "sẽ", "se",
    "muốn", "cần", "can", "định", "dinh", "chụp", "chup", "đi", "di", "mới", "moi", "hiện",
    "hien", "làm", "lam", "nha", "nhá", "vậy", "vay", "bác", "bac", "sĩ", "si", "bs", "em",
    "chị", "chi", "tôi", "toi", "mình", "gì", "gi", "để", "de", "của", "cua",
}
_NAME = re.compile(
    r"(?P<cue>\b(?:%s)(?!\w))(?P<space>\s*)(?P<name>[^\W\d_][\w'.-]*(?:\s+[^\W\d_][\w'.-]*){0,3})"
    % "|".join(_NAME_CUES), re.IGNORECASE | re.UNICODE)


def _number(match: "re.Match") -> Text:
    digits = re.sub(r"\D", "", match.group(0))
    if digits == HOTLINE_DIGITS:
        return match.group(0)
    return "[phone]" if _PHONE_SHAPE.match(re.sub(r"[^\d+]", "", match.group(0))) else "[number]"


def _name(match: "re.Match") -> Text:
    name, end = match.group("name"), 0
    for word in re.finditer(r"\S+", name):
        if word.group(0).lower().strip(".'") in _STOP_WORDS:
            break
        end = word.end()
    if not end:
        return match.group(0)
    return f"{match.group('cue')}{match.group('space')}[name]{name[end:]}"


def mask(text: Any) -> Any:
    """`text` with e-mail addresses, phone/ID numbers and introduced names replaced."""
    if not isinstance(text, str) or not text:
        return text
    text = _EMAIL.sub("[email]", text)
    text = _NUMBER.sub(_number, text)
    return _NAME.sub(_name, text)


def mask_event_data(data: Dict[Text, Any]) -> Dict[Text, Any]:
    """A stored event's dict with the patient's text masked (user text and its parse data)."""
    if data.get("event") != "user":
        return data
    data = dict(data)
    data["text"] = mask(data.get("text"))
    if isinstance(data.get("parse_data"), dict):
        data["parse_data"] = {**data["parse_data"], "text": mask(data["parse_data"].get("text"))}
    return data


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescape(match: "re.Match") -> Text:
    code = int(match.group(1), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF or code < 0x20 else chr(code)


def mask_log_message(message: Text) -> Text:
    """`mask` for a log line; JSON-escaped text (Rasa's structured logs write "t\\u00ean em
    l\\u00e0 ...") is unescaped first so that it is recognised."""
    if "\\u" in message:
        message = _JSON_ESCAPE.sub(_unescape, message)
    return mask(message)


_installed = False


def install_log_masking() -> None:
    """Mask every log record of this process from now on (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log it as it is, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask_log_message(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_log_message(formatter.formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(masked_record)
