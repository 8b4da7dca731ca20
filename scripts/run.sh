#!/usr/bin/env bash
# Start the action server, wait until it is healthy, then Rasa: the HTTP server (REST and
# socket.io channels) by default, or the terminal chat with `scripts/run.sh shell`.
# Stopping Rasa (Ctrl-C) stops the action server too. Logs of the action server: var/actions.log.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077  # the tracker database and the logs hold patients' questions: their owner only
mode=${1:-server}
: "${RASA_PORT:=5005}" "${ACTIONS_PORT:=5055}" "${WEB_PORT:=8080}"
: "${ACTION_ENDPOINT_URL:=http://127.0.0.1:${ACTIONS_PORT}/webhook}" "${TRACKER_SQLITE_PATH:=var/tracker.db}"
: "${PYTHONWARNINGS:=ignore::DeprecationWarning,ignore::PendingDeprecationWarning}"
: "${HSG_ALLOWED_ORIGINS:=http://localhost:${WEB_PORT},http://127.0.0.1:${WEB_PORT}}"  # the chat page's origin
export ACTION_ENDPOINT_URL TRACKER_SQLITE_PATH PYTHONWARNINGS HSG_ALLOWED_ORIGINS PYTHONPATH="$PWD"
mkdir -p var && chmod 700 var
.venv/bin/python scripts/credentials.py var/credentials.yml  # channels whose variables are set
.venv/bin/python scripts/endpoints.py var/endpoints.yml  # endpoints.yml on these ports

SANIC_HOST="${ACTIONS_HOST:-127.0.0.1}" .venv/bin/python scripts/actions_cli.py --actions actions --port "$ACTIONS_PORT" >var/actions.log 2>&1 &
actions_pid=$!
web_pid=""
trap 'kill "$actions_pid" $web_pid 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 120); do
  if curl -fs "http://127.0.0.1:${ACTIONS_PORT}/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$actions_pid" 2>/dev/null; then
    echo "The action server did not start:"; tail -n 20 var/actions.log; exit 1
  fi
  sleep 0.5
done
echo "Action server up on 127.0.0.1:${ACTIONS_PORT} (log: var/actions.log)"

if [ "$mode" = shell ]; then
  .venv/bin/python scripts/rasa_cli.py shell --model models/hsg.tar.gz --endpoints var/endpoints.yml
  exit
fi

.venv/bin/python -m http.server "$WEB_PORT" --bind 127.0.0.1 --directory web >var/web.log 2>&1 &
web_pid=$!

cat <<MSG
Web chat page: http://localhost:${WEB_PORT} (the demo hospital page with the chat widget)
Starting Rasa on http://127.0.0.1:${RASA_PORT} (the model takes about a minute to load).
Talk to it when the log says "Rasa server is up and running":
  curl -s localhost:${RASA_PORT}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{"sender": "me", "message": "chup hsg co dau ko", "metadata": {"language": "vi"}}'
  socket.io clients: http://127.0.0.1:${RASA_PORT}/socket.io (events user_uttered / bot_uttered)
  or a terminal chat: make shell
MSG
.venv/bin/python scripts/rasa_cli.py run --model models/hsg.tar.gz --endpoints var/endpoints.yml --credentials var/credentials.yml \
  --port "$RASA_PORT" --interface 127.0.0.1 --cors "${RASA_CORS:-}" ${RASA_ENABLE_API:+--enable-api}
