"""The hospital the assistant speaks for (data/hospital.yml): name, hotline, emergency number, links.

Loaded and checked once; `fill` puts the values into a text's placeholders (`{hotline}`...). The
knowledge base and the actions' texts are filled when they are loaded, Rasa's responses by
components/nlg.py, the web page from web/hospital.js (scripts/hospital_web.py). A placeholder
this module does not know stays as it is (the actions' own `{question}`, `{title}`).
"""
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Text

import yaml

ROOT = Path(__file__).resolve().parent.parent
HOSPITAL_FILE = Path(os.environ.get("HSG_HOSPITAL_FILE", ROOT / "data" / "hospital.yml"))
LANGUAGES = ("en", "vi")
KEYS = ("hospital", "hotline", "hotline_number", "emergency", "booking_url", "consultation_url")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(KEYS) + r")\}")
# how a person is reached on the hotline, per language
_PRESS = {"en": "{number} (press {key})", "vi": "{number} (bấm phím {key})"}


class HospitalError(ValueError):
    """data/hospital.yml is missing or has a wrong value."""


@dataclass(frozen=True)
class Hospital:
    name: Dict[Text, Text]
    hotline: Text
    hotline_key: Text
    emergency: Text
    booking_url: Text
    consultation_url: Text

    def hotline_text(self, language: Text) -> Text:
        if not self.hotline_key:
            return self.hotline
        return _PRESS[language].format(number=self.hotline, key=self.hotline_key)

    def values(self, language: Text) -> Dict[Text, Text]:
        return {"hospital": self.name[language], "hotline": self.hotline_text(language),
                "hotline_number": self.hotline, "emergency": self.emergency,
                "booking_url": self.booking_url, "consultation_url": self.consultation_url}

    def fill(self, text: Text, language: Text) -> Text:
        values = self.values(language)
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _fail(path: Path, message: Text) -> HospitalError:
    return HospitalError(f"{path}: {message}")


def parse_hospital(path: Path) -> Hospital:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise _fail(path, f"cannot be read ({error})") from error
    if not isinstance(data, dict):
        raise _fail(path, "must be a mapping of settings")
    name = data.get("name")
    if not isinstance(name, dict) or not all(isinstance(name.get(l), str) and name[l].strip()
                                             for l in LANGUAGES):
        raise _fail(path, "'name' needs 'en' and 'vi'")
    hotline = str(data.get("hotline") or "")
    if not re.fullmatch(r"\d[\d ]{6,}\d", hotline):
        raise _fail(path, f"'hotline' {hotline!r} must be digits, spaces allowed (\"1900 232 389\")")
    key = str(data.get("hotline_key") if data.get("hotline_key") is not None else "")
    if key and not re.fullmatch(r"[0-9*#]", key):
        raise _fail(path, f"'hotline_key' {key!r} must be one key (0-9, * or #) or empty")
    emergency = str(data.get("emergency") or "")
    if not re.fullmatch(r"\d{3}", emergency):
        raise _fail(path, f"'emergency' {emergency!r} must be a three-digit number (\"115\")")
    links = {}
    for field in ("booking_url", "consultation_url"):
        value = str(data.get(field) or "")
        if value and not re.fullmatch(r"https://[^\s\"'<>]+", value):
            raise _fail(path, f"'{field}' must be an https:// address or empty")
        links[field] = value
    review = data.get("review")
    if not isinstance(review, dict) or review.get("status") not in ("draft", "reviewed"):
        raise _fail(path, "'review.status' must be draft or reviewed")
    return Hospital(name={l: " ".join(name[l].split()) for l in LANGUAGES}, hotline=hotline,
                    hotline_key=key, emergency=emergency, **links)


@lru_cache(maxsize=None)
def hospital(path: Path = HOSPITAL_FILE) -> Hospital:
    """The hospital's settings, read and checked once per process."""
    return parse_hospital(path)
