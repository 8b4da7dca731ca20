"""Write Rasa's endpoints file for a local run on other ports or another database file.

endpoints.yml holds Rasa's usual local defaults (action server on localhost:5055, SQLite in
var/tracker.db), so `rasa run`, `rasa shell` and `rasa test` work in the project root with no
variable set. `make run` with ACTIONS_PORT (or ACTION_ENDPOINT_URL) or TRACKER_SQLITE_PATH set,
the live tests and the benchmark start Rasa with a copy of it that says where those are.

Usage: python scripts/endpoints.py OUT.yml   (scripts/run.sh writes var/endpoints.yml)
"""
import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def endpoints(environ=os.environ) -> dict:
    data = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    if environ.get("ACTION_ENDPOINT_URL"):
        data["action_endpoint"]["url"] = environ["ACTION_ENDPOINT_URL"]
    if environ.get("TRACKER_SQLITE_PATH"):
        data["tracker_store"]["db"] = environ["TRACKER_SQLITE_PATH"]
    return data


def main(out: str) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("# written by scripts/endpoints.py from endpoints.yml\n"
                         + yaml.safe_dump(endpoints(), sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
