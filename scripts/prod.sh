#!/usr/bin/env bash
# The production profile on one machine: the action server, REPLICAS Rasa servers sharing
# PostgreSQL (tracker store) and Redis (lock store), and nginx in front as the one public address
# (load balancing, request-size limit, a per-address rate limit as a flood backstop only, websocket
# upgrade for socket.io). The rate limit that matters is per conversation, in Rasa's channels
# (channels/limits.py): patients behind one NAT and the messaging platforms' webhooks share
# addresses. Behind the hospital's own proxy, PROD_TRUSTED_PROXIES (its addresses or CIDRs,
# space-separated) makes nginx take the client's address from X-Forwarded-For.
#   scripts/prod.sh up | down | status
# Everything it starts is recorded in $PROD_DIR (pids, logs, nginx.conf).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PROD_DIR:=var/prod}" "${PROD_PORT:=8000}" "${REPLICAS:=2}" "${PROD_RASA_BASE_PORT:=5100}"
: "${PROD_ACTIONS_PORT:=5150}" "${PROD_RATE:=100r/s}" "${PROD_BURST:=200}" "${PROD_MAX_BODY:=64k}"
: "${TRACKER_DB_HOST:=127.0.0.1}" "${TRACKER_DB_PORT:=5432}" "${TRACKER_DB_NAME:=hsg}"
: "${TRACKER_DB_USER:=postgres}" "${TRACKER_DB_PASSWORD:=}" "${TRACKER_DB_LOGIN_DB:=postgres}"
: "${REDIS_HOST:=127.0.0.1}" "${REDIS_PORT:=6379}" "${REDIS_DB:=1}" "${REDIS_PASSWORD:=}"
: "${PYTHONWARNINGS:=ignore::DeprecationWarning,ignore::PendingDeprecationWarning}"
# the web pages allowed to open the chat (set it to the hospital's site), stored text masked
: "${HSG_ALLOWED_ORIGINS:=http://127.0.0.1:$PROD_PORT,http://localhost:$PROD_PORT}" "${HSG_MASK_STORED_PII:=true}"
export HSG_ALLOWED_ORIGINS HSG_MASK_STORED_PII
export TRACKER_DB_HOST TRACKER_DB_PORT TRACKER_DB_NAME TRACKER_DB_USER TRACKER_DB_PASSWORD \
  TRACKER_DB_LOGIN_DB REDIS_HOST REDIS_PORT REDIS_DB REDIS_PASSWORD PYTHONWARNINGS
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false
export ACTION_ENDPOINT_URL="http://127.0.0.1:${PROD_ACTIONS_PORT}/webhook"
PY=.venv/bin/python

wait_up() {  # url pidfile log
  for _ in $(seq 240); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$2")" 2>/dev/null || { echo "failed to start: $1"; tail -n 30 "$3"; return 1; }
    sleep 0.5
  done
  echo "not up after 120 s: $1"; return 1
}

up() {
  umask 077  # databases and logs with patients' questions: their owner only
  mkdir -p "$PROD_DIR" && chmod 700 "$PROD_DIR"
  $PY scripts/credentials.py "$PROD_DIR/credentials.yml" >/dev/null
  SANIC_HOST="${ACTIONS_HOST:-127.0.0.1}" $PY scripts/actions_cli.py --actions actions --port "$PROD_ACTIONS_PORT" \
    >"$PROD_DIR/actions.log" 2>&1 & echo $! >"$PROD_DIR/actions.pid"
  upstream=""
  for i in $(seq "$REPLICAS"); do
    port=$((PROD_RASA_BASE_PORT + i))
    $PY scripts/rasa_cli.py run --model models/hsg.tar.gz --endpoints endpoints.prod.yml \
      --credentials "$PROD_DIR/credentials.yml" --port "$port" --interface 127.0.0.1 \
      >"$PROD_DIR/rasa-$i.log" 2>&1 & echo $! >"$PROD_DIR/rasa-$i.pid"
    upstream+="    server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
  done
  wait_up "http://127.0.0.1:$PROD_ACTIONS_PORT/health" "$PROD_DIR/actions.pid" "$PROD_DIR/actions.log"
  for i in $(seq "$REPLICAS"); do
    wait_up "http://127.0.0.1:$((PROD_RASA_BASE_PORT + i))/" "$PROD_DIR/rasa-$i.pid" "$PROD_DIR/rasa-$i.log"
  done
  dir=$(cd "$PROD_DIR" && pwd)
  realip=""
  for proxy in ${PROD_TRUSTED_PROXIES:-}; do realip+="  set_real_ip_from $proxy;"$'\n'; done
  [ -n "$realip" ] && realip+="  real_ip_header X-Forwarded-For;"$'\n'"  real_ip_recursive on;"$'\n'
  cat >"$PROD_DIR/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log $dir/nginx-access.log;
  client_body_temp_path $dir/nginx-body;
  proxy_temp_path $dir/nginx-proxy;
  client_max_body_size $PROD_MAX_BODY;
$realip  limit_req_zone \$binary_remote_addr zone=peraddress:10m rate=$PROD_RATE;
  limit_req_status 429;
  upstream rasa {
$upstream  }
  upstream rasa_sticky {  # socket.io: one client stays on one replica
    ip_hash;
$upstream  }
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:$PROD_PORT;
    location /socket.io/ {
      proxy_pass http://rasa_sticky;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 1h;
    }
    # the platforms' webhooks: signed (checked by the channels), from the platforms' few
    # addresses; limited per conversation in Rasa, never per address
    location ~ ^/webhooks/(facebook|zalo|telegram)/ {
      proxy_pass http://rasa;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_read_timeout 60s;
    }
    location /webhooks/ {
      limit_req zone=peraddress burst=$PROD_BURST nodelay;
      proxy_pass http://rasa;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_read_timeout 60s;
    }
    location = / { proxy_pass http://rasa; }
    location / { return 404; }  # Rasa's HTTP API is not exposed
  }
}
CONF
  nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx-error.log"
  echo "Production profile up: http://127.0.0.1:$PROD_PORT ($REPLICAS Rasa replicas, PostgreSQL $TRACKER_DB_HOST:$TRACKER_DB_PORT/$TRACKER_DB_NAME, Redis $REDIS_HOST:$REDIS_PORT/$REDIS_DB)"
}

down() {
  [ -f "$PROD_DIR/nginx.pid" ] && nginx -c "$(cd "$PROD_DIR" && pwd)/nginx.conf" -p "$(cd "$PROD_DIR" && pwd)" -s quit 2>/dev/null || true
  for pidfile in "$PROD_DIR"/*.pid; do
    [ -f "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  echo "Production profile down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down"; exit 2 ;;
esac
