"""Shared fixtures: the real knowledge base, domain and spaCy pipeline, trackers and dispatchers."""
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
KB_INTENTS = [
    "hsg_definition", "hsg_purpose", "hsg_detects", "hsg_pain", "hsg_preparation",
    "hsg_medication", "hsg_contrast_allergy", "hsg_timing", "hsg_contraindications",
    "hsg_procedure", "hsg_side_effects", "hsg_aftercare", "hsg_sex_after", "hsg_fertility_after",
    "hsg_results", "hsg_radiation", "hsg_cost", "hospital_booking", "hospital_doctor",
    "hospital_contact",
]
CONVERSATION_INTENTS = [
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "request_human",
    "out_of_scope", "report_urgent_symptom",
]
# a patient's verdict on an answer (issue 12): mostly the buttons' payloads, sometimes typed
FEEDBACK_INTENTS = ["feedback_helpful", "feedback_not_helpful"]


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def kb():
    from actions.kb import load_kb

    return load_kb(ROOT / "data" / "kb")


@pytest.fixture(scope="session")
def red_flag_nlp():
    from components.red_flags import build_pipeline

    return build_pipeline(ROOT / "data" / "safety" / "red_flags.yml")


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(
    intent: Optional[str] = None,
    text: str = "",
    slots: Optional[Dict[str, Any]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    ranking: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    """A tracker whose latest message is `text` classified as `intent`."""
    intent_dict = {"name": intent, "confidence": 0.9} if intent else {}
    return Tracker(
        sender_id="test",
        slots={"language": None, "language_preference": None, "disclaimer_shown": True,
               "last_topic": None, **(slots or {})},
        latest_message={
            "text": text, "intent": intent_dict, "entities": [],
            "intent_ranking": ranking or ([intent_dict] if intent else []),
            "metadata": metadata or {},
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker_factory():
    return make_tracker


# live servers (tests/live.py), started once for every test module that uses them
from tests.live import hardened, servers, zalo_api  # noqa: E402,F401
