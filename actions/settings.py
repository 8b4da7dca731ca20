"""Settings of the action server, from environment variables with safe local defaults."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Folder of the knowledge base: one YAML file per topic.
KB_DIR = Path(os.environ.get("HSG_KB_DIR", ROOT / "data" / "kb"))
# The actions' own texts (greeting, disclaimer, "did you mean").
MESSAGES_FILE = Path(os.environ.get("HSG_MESSAGES_FILE", ROOT / "data" / "messages.yml"))
# Language of a reply when neither the client nor the text says. The same default is built into
# the response conditions of domain.yml (the unconditional variation is Vietnamese).
DEFAULT_LANGUAGE = "vi"
# "true": only entries a clinician marked `reviewed` are answered; drafts go to the hotline.
KB_REQUIRE_REVIEWED = os.environ.get("HSG_KB_REQUIRE_REVIEWED", "false").lower() in ("1", "true", "yes")
