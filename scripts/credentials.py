"""Write the Rasa credentials file for the channels whose environment variables are set.

credentials.yml holds the channels that need no secret (REST, socket.io). A messaging channel
is added when its variables are set, as `${VARIABLE}` references that Rasa expands when it
starts: secrets stay in the environment, never in a file.

Usage: python scripts/credentials.py OUT.yml   (scripts/run.sh writes var/credentials.yml)
"""
import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# channel key in credentials -> {credential field: environment variable}; the first variables
# are required, the ones listed in OPTIONAL may be left unset.
CHANNELS = {
    "channels.messenger.MessengerInput": {
        "verify": "FACEBOOK_VERIFY_TOKEN", "secret": "FACEBOOK_APP_SECRET",
        "page-access-token": "FACEBOOK_PAGE_ACCESS_TOKEN", "graph_url": "FACEBOOK_GRAPH_URL"},
    "channels.telegram.TelegramChannel": {
        "access_token": "TELEGRAM_ACCESS_TOKEN", "verify": "TELEGRAM_BOT_NAME",
        "webhook_url": "TELEGRAM_WEBHOOK_URL", "secret_token": "TELEGRAM_SECRET_TOKEN",
        "api_base": "TELEGRAM_API_BASE"},
    "channels.zalo.ZaloInput": {"app_id": "ZALO_APP_ID", "oa_secret_key": "ZALO_OA_SECRET_KEY",
                                "access_token": "ZALO_ACCESS_TOKEN", "api_base": "ZALO_API_BASE"},
}
OPTIONAL = {"ZALO_API_BASE", "FACEBOOK_GRAPH_URL", "TELEGRAM_API_BASE"}
SOCKETIO = "channels.socketio.GuardedSocketIOInput"


def credentials(environ=os.environ) -> dict:
    result = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8")) or {}
    socketio = result.get(SOCKETIO) or {}
    if environ.get("HSG_ALLOWED_ORIGINS"):  # web origins are not secret: written as they are
        socketio["cors_allowed_origins"] = [
            origin.strip() for origin in environ["HSG_ALLOWED_ORIGINS"].split(",") if origin.strip()]
    if environ.get("SOCKETIO_JWT_KEY"):
        socketio["jwt_key"] = "${SOCKETIO_JWT_KEY}"
        if environ.get("SOCKETIO_JWT_METHOD"):
            socketio["jwt_method"] = "${SOCKETIO_JWT_METHOD}"
    result[SOCKETIO] = socketio
    for channel, fields in CHANNELS.items():
        present = {field: var for field, var in fields.items() if environ.get(var)}
        required = {field for field, var in fields.items() if var not in OPTIONAL}
        if not present:
            continue
        missing = sorted(fields[f] for f in required - set(present))
        if missing:
            raise SystemExit(f"{channel}: set {', '.join(missing)} too, or none of its variables")
        result[channel] = {field: "${%s}" % var for field, var in present.items()}
    return result


def main(out: str) -> None:
    data = credentials()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(
        "# Written by scripts/credentials.py from credentials.yml and the environment.\n"
        + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    print("Channels: " + ", ".join(data))


if __name__ == "__main__":
    main(sys.argv[1])
