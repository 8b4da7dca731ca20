"""The hospital as configuration (data/hospital.yml): checked at start, used by every text."""
import os
import re
import subprocess
import sys

import pytest
import yaml

from actions.hospital import HospitalError, hospital, parse_hospital
from tests.conftest import ROOT

SETTINGS = yaml.safe_load((ROOT / "data" / "hospital.yml").read_text(encoding="utf-8"))


def _write(tmp_path, **changes):
    path = tmp_path / "hospital.yml"
    path.write_text(yaml.safe_dump({**SETTINGS, **changes}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("changes, message", [
    ({"hotline": "call us"}, "'hotline'"),
    ({"emergency": "1150"}, "'emergency'"),
    ({"hotline_key": "press 0"}, "'hotline_key'"),
    ({"booking_url": "http://example.org/book"}, "'booking_url' must be an https"),
    ({"name": {"en": "Only English"}}, "'name'"),
    ({"review": {"status": "ok"}}, "review.status"),
])
def test_a_wrong_setting_stops_the_start_naming_the_file_and_the_setting(tmp_path, changes, message):
    with pytest.raises(HospitalError, match=re.escape(message)) as error:
        parse_hospital(_write(tmp_path, **changes))
    assert "hospital.yml" in str(error.value)


def test_placeholders_are_filled_in_the_reply_language_and_others_are_left_alone():
    settings = hospital()
    assert settings.fill("call {hotline} or {emergency}", "en") == "call 1900 232 389 (press 0) or 115"
    assert settings.fill("gọi {hotline}", "vi") == "gọi 1900 232 389 (bấm phím 0)"
    assert settings.fill("About “{question}”: {hospital}", "en") == \
        "About “{question}”: Central Park International General Hospital"


def test_no_text_writes_the_hotline_or_the_hospital_name_itself():
    """Every text takes them from data/hospital.yml (the sources quote the article as it is)."""
    texts = []
    for path in sorted((ROOT / "data" / "kb").glob("*.yml")):
        entry = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("title", "answer", "brief"):
            texts += list(entry[key].values())
        for specific in entry.get("specific") or []:
            texts += list(specific["answer"].values()) + list(specific["question"].values())
    messages = yaml.safe_load((ROOT / "data" / "messages.yml").read_text(encoding="utf-8"))
    texts += [t for value in messages.values() for t in value.values()]
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    texts += [v["text"] for variations in domain["responses"].values() for v in variations]
    for text in texts:
        flat = " ".join(text.split())
        assert "232 389" not in flat and "Central Park" not in flat, flat
        assert not re.search(r"(?<![\d.])115(?![\d.])", flat), flat


def test_another_hospital_deploys_by_editing_the_file(tmp_path):
    path = _write(tmp_path, name={"en": "Riverside Women's Hospital", "vi": "Bệnh viện Phụ sản Bờ Sông"},
                  hotline="1800 123 456", hotline_key="")
    code = (
        "from actions.actions import ActionAnswerTopic, messages\n"
        "from actions.kb import load_kb\n"
        "kb = load_kb('data/kb')\n"
        "print(kb.topics['hospital_contact'].answer['vi'])\n"
        "print(messages()['greet']['en'])\n"
        "from components.nlg import HospitalNLG\n"
        "from rasa.shared.core.domain import Domain\n"
        "nlg = HospitalNLG(None, Domain.load('domain.yml'))\n"
        "print(nlg.generate_from_slots('utter_handoff', {'language_preference': 'en'}, 'rest')['text'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "HSG_HOSPITAL_FILE": str(path)}, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    kb_text, greet, handoff = result.stdout.strip().splitlines()[-3:]
    assert "Bệnh viện Phụ sản Bờ Sông" in kb_text and "1800 123 456" in kb_text
    assert "bấm phím" not in kb_text  # no key to press at this hospital
    assert "Riverside Women's Hospital" in greet
    assert "1800 123 456" in handoff and "{" not in handoff


@pytest.mark.parametrize("slots, expected", [
    ({"language_preference": "en"}, "Call 115 now"),
    ({"language_preference": None, "language": "en"}, "Call 115 now"),
    ({"language_preference": None, "language": "vi"}, "Chị gọi 115 ngay"),
])
def test_rasa_responses_get_the_hospital_values_in_the_reply_language(domain, slots, expected):
    from rasa.shared.core.domain import Domain

    from components.nlg import HospitalNLG

    nlg = HospitalNLG(None, Domain.load(str(ROOT / "domain.yml")))
    text = nlg.generate_from_slots("utter_urgent", slots, "rest")["text"]
    assert expected in text and "{" not in text
    assert ("1900 232 389 (press 0)" if "Call" in expected else "1900 232 389 (bấm phím 0)") in text


def test_the_web_page_gets_the_settings_from_the_generated_script(tmp_path):
    out = tmp_path / "hospital.js"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "hospital_web.py"), str(out)], check=True, timeout=60)
    script = out.read_text(encoding="utf-8")
    assert '"hotline": "1900 232 389 (bấm phím 0)"' in script and "Central Park" in script
    page = (ROOT / "web" / "index.html").read_text(encoding="utf-8")
    assert 'src="hospital.js"' in page and 'data-hospital="hotline"' in page
