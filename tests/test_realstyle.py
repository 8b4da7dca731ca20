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
