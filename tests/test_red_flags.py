"""The urgent safety net: current severe symptoms in both languages, not questions about them."""
import pytest

from components.red_flags import assess, entity_ruler_patterns, load_red_flags, matches_in
from tests.conftest import ROOT

URGENT = [
    "I've soaked 3 pads in an hour since my hsg is that normal",
    "i have a fever 39 since yesterday's hsg",
    "I have a high fever after the HSG",
    "the pain is getting worse and worse since the test",
    "I'm in severe pain right now",
    "I fainted after the test",
    "my wife passed out in the bathroom",
    "my face is swelling and I can't breathe after the dye",
    "I have a rash all over after the contrast",
    "foul smelling discharge since the procedure",
    "bleeding heavily with clots since this morning",
    "em chụp hsg xong chảy máu nhiều ướt 3 băng trong 1 tiếng có sao ko",
    "sốt 39 độ từ hôm qua sau khi chụp",
    "em đang sốt cao và ớn lạnh",
    "đau bụng dữ dội càng lúc càng đau",
    "em vừa bị ngất",
    "nổi mẩn ngứa khắp người, khó thở sau tiêm thuốc cản quang",
    "sau chụp 3 ngày dịch ra có mùi hôi lắm, có sao không ạ",
    "em bi sot cao tu sang",
    "chay mau nhieu qua",
    "vo em vua ngat xiu",
    "kho tho qua",
    "ra mau uot 2 bang trong 1 tieng",
]
NOT_URGENT = [
    "is spotting normal after hsg",
    "does hsg hurt",
    "what if I get a fever after",
    "can hsg cause an infection?",
    "is it normal to feel dizzy after hsg",
    "how long will the cramps last",
    "when should I call the doctor after the test",
    "I had an allergic reaction to CT contrast before, can I have HSG?",
    "I'm allergic to seafood, is the dye safe?",
    "chụp HSG có bị sốt không",
    "sau khi chụp nếu bị sốt thì sao",
    "ra máu lấm tấm sau chụp hsg có bình thường không",
    "vợ em chịu đau kém lắm, chụp hsg có đau lắm không ạ",
    "em bị dị ứng hải sản có chụp được không",
    "chup hsg co dau ko",
    "chup xong bi dau bung am i bao lau thi het",
    "khi nào cần đi khám lại sau chụp",
    # a worry is not an emergency
    "em sợ đau lắm, bạn em kể chụp đau muốn xỉu",
    "e so dau lam, nguong chiu dau cua e thap",
    "I'm terrified I'll faint on the table, my friend passed out during hers",
    "em bị dị ứng hải sản, ăn tôm là nổi mề đay, em sợ thuốc cản quang cũng vậy",
]
URGENT += [
    "my discharge smells awful and it's been 2 days since the test, is that normal?",
    # a worry said together with a current symptom still is one
    "em sợ quá, từ sáng nay em ra máu nhiều ướt đẫm băng",
    "I'm scared, I've had a fever of 39 since last night",
]


@pytest.fixture(scope="module")
def check(red_flag_nlp):
    return lambda text: assess(text, matches_in(red_flag_nlp(text.lower())))


@pytest.mark.parametrize("text", URGENT)
def test_current_severe_symptoms_are_urgent(check, text):
    result = check(text)
    assert result.urgent, (result.flags, result.reason)


@pytest.mark.parametrize("text", NOT_URGENT)
def test_questions_about_symptoms_are_not_urgent(check, text):
    result = check(text)
    assert not result.urgent, (result.flags, result.reason)


@pytest.mark.parametrize(
    "text, flag",
    [("sốt cao", "fever"), ("sot cao", "fever"), ("SỐT CAO", "fever"), ("ngất xỉu", "fainting"),
     ("ngat xiu", "fainting"), ("khó thở", "allergic_reaction"), ("kho tho", "allergic_reaction"),
     ("soaked 4 pads", "heavy_bleeding"), ("ướt hết 2 miếng băng", "heavy_bleeding")],
)
def test_red_flags_match_with_and_without_diacritics(red_flag_nlp, text, flag):
    assert flag in {f for _, f in matches_in(red_flag_nlp(text.lower()))}


def test_every_vietnamese_phrase_also_has_its_unaccented_pattern():
    patterns = {p["pattern"] for p in entity_ruler_patterns(load_red_flags(ROOT / "data/safety/red_flags.yml"))
                if isinstance(p["pattern"], str)}
    assert "chảy máu nhiều" in patterns and "chay mau nhieu" in patterns


def test_a_broken_red_flag_file_is_refused(tmp_path):
    path = tmp_path / "red_flags.yml"
    path.write_text("fever:\n  terms:\n    fr: [fièvre]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="fever.terms.fr"):
        load_red_flags(path)


@pytest.mark.parametrize("text, urgent", [
    ("Sáng thứ 7 em chụp, đến thứ 2 vẫn còn đau lâm râm như đến tháng, không sốt. Như vậy có bình thường không ạ?", False),
    ("khong sot, chi hoi dau bung lam ram", False),
    ("I have no fever but some cramps since yesterday", False),
    ("not bleeding much now and no fever, is that ok", False),
    ("em không bị sốt nhưng vẫn ra máu nhiều thấm băng vệ sinh từ sáng", True),  # the bleeding is not denied
    ("chảy máu nhiều, không cầm được", True),
    ("i have a fever since last night", True),
    # found by the development set's new messages (unaccented, chat spelling)
    ("e chup xong chieu qua, dem nay sot 38.7 do, run cam cap, lanh het nguoi. vay co bt ko a", True),
    ("may hom nay ra khi hu vang, mui tanh hoi lam, bung duoi dau moi ngay 1 nhieu hon, "
     "uong thuoc giam dau cung ko do", True),
])
def test_a_denied_symptom_is_not_an_emergency_and_the_others_still_are(check, text, urgent):
    assert check(text).urgent is urgent


@pytest.mark.parametrize("text, urgent", [
    # a pad soaked in an hour or less is urgent; one lasting hours, or a panty liner, is not
    ("Some red bleeding since the test, like a light period day, I'm changing my pad every 3-4 hours. Is that ok?",
     False),
    ("Em ra máu đỏ tươi sau chụp, giống ngày kinh ít, khoảng 4 tiếng mới phải thay băng một lần. Có cần lo không ạ?",
     False),
    ("Chụp được 2 ngày mà em vẫn ra ít máu hồng, chỉ thấm băng vệ sinh hằng ngày thôi. Có sao không?", False),
    ("e chup xong ra mau, cu 3 tieng thay bang 1 lan, vay co bt ko", False),
    ("I've been changing pads every hour since the test", True),
    ("I've soaked through a pad every 2 hours since this morning", True),
    ("em đang ra máu nhiều, 3 tiếng thay băng một lần", True),  # "ra máu nhiều" said
    ("ra máu ướt đẫm băng, cứ 2 tiếng phải thay", True),
    ("em thay 3 băng trong 1 tiếng", True),
])
def test_bleeding_said_to_be_light_is_not_an_emergency(check, text, urgent):
    assert check(text).urgent is urgent
