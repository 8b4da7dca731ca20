# The command index of the HSG assistant. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10: the first python3.10 that works (pyenv installs included).
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(PY) scripts/rasa_cli.py
export PYTHONPATH := $(CURDIR)
# Old dependencies of Rasa 3.6 print DeprecationWarnings by the hundred; real errors still show.
export PYTHONWARNINGS := ignore::DeprecationWarning,ignore::PendingDeprecationWarning
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false

MODEL := models/hsg.tar.gz
SPACY_MODEL := build/spacy/red_flags
NLU_DATA := $(shell find data/nlu data/rules -name '*.yml' 2>/dev/null)
COMPONENTS := $(wildcard components/*.py)

export RASA_PORT ?= 5005
export ACTIONS_PORT ?= 5055
export WEB_PORT ?= 8080
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook
export TRACKER_SQLITE_PATH ?= var/tracker.db

.PHONY: stock purge-older-than report help install spacy web browser nginx prod-up prod-down train run actions shell test unit validate conversations eval bench bench-smoke lock clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt constraints.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (Rasa 3.6 needs it): install python3.10 or set PYTHON310=/path/to/python3.10"; exit 1; }
	$(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<24.1" 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@# Rasa ships the test stories of its `rasa init` template inside the package: `rasa test` in
	@# the project root (whose default path is ".") would collect them from .venv and fail.
	rm -rf $(VENV)/lib/python3.10/site-packages/rasa/cli/initial_project/tests
	touch $@

install: $(VENV)/.installed ## create .venv with the pinned dependencies

$(SPACY_MODEL)/.built: $(VENV)/.installed data/safety/red_flags.yml components/red_flags.py components/text.py
	$(PY) scripts/build_spacy.py data/safety/red_flags.yml $(SPACY_MODEL)
	touch $@

spacy: $(SPACY_MODEL)/.built ## build the project's spaCy pipeline (red-flag EntityRuler)

web/vendor/socket.io.min.js: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p web/vendor && cp web/node_modules/socket.io-client/dist/socket.io.min.js $@

web/hospital.js: data/hospital.yml actions/hospital.py scripts/hospital_web.py $(VENV)/.installed
	$(PY) scripts/hospital_web.py $@

web: web/vendor/socket.io.min.js web/hospital.js ## the web chat widget's front-end dependency (pinned in web/package-lock.json)

browser: ## Debian's chromium and chromedriver for the browser tests (installs them as root if missing)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

$(MODEL): $(VENV)/.installed $(SPACY_MODEL)/.built $(NLU_DATA) config.yml domain.yml $(COMPONENTS)
	$(RASA) train --data data/nlu data/rules --domain domain.yml --config config.yml \
		--out models --fixed-model-name hsg
	touch $@

train: $(MODEL) ## train the model into models/ (only when data, config or code changed)

run: $(MODEL) web ## set up as needed, start the action server, Rasa (REST + socket.io) and the web page
	scripts/run.sh

prod-up: $(MODEL) nginx ## production profile: action server, 2 Rasa replicas on PostgreSQL + Redis, nginx on :8000
	scripts/prod.sh up

prod-down: ## stop the production profile
	scripts/prod.sh down

nginx: ## Debian's nginx for the production profile (installs it as root if missing)
	@command -v nginx >/dev/null || command -v /usr/sbin/nginx >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }

purge-older-than: $(VENV)/.installed ## retention: delete conversations idle for DAYS days (TRACKER_DB_URL for PostgreSQL)
	@test -n "$(DAYS)" || { echo "usage: make purge-older-than DAYS=N"; exit 2; }
	$(PY) scripts/purge.py --days $(DAYS)

report: $(VENV)/.installed ## curator report: escalated questions, topics, languages (SINCE=days TOP=n OUT=dir; TRACKER_DB_URL)
	$(PY) scripts/report.py $(if $(SINCE),--since $(SINCE)) $(if $(TOP),--top $(TOP)) $(if $(OUT),--out $(OUT))

actions: $(VENV)/.installed ## start only the action server
	SANIC_HOST=$${ACTIONS_HOST:-127.0.0.1} $(PY) scripts/actions_cli.py --actions actions --port $(ACTIONS_PORT)

shell: $(MODEL) ## chat in the terminal (starts the action server too)
	scripts/run.sh shell

validate: $(VENV)/.installed ## check domain, NLU data and rules (fails on warnings)
	$(RASA) data validate --data data/nlu data/rules --domain domain.yml --config config.yml --fail-on-warning

unit: $(MODEL) web browser nginx ## pytest: knowledge base, actions, language, safety net, servers
	$(PY) -m pytest -q tests

conversations: $(MODEL) ## conversation tests (tests/test_conversations.yml)
	$(RASA) test core --model $(MODEL) --stories tests/test_conversations.yml \
		--fail-on-prediction-errors --out results/conversations

eval: $(MODEL) ## score the held-out NLU test set (tests/nlu/), fail below the thresholds
	$(PY) scripts/evaluate.py --model $(MODEL) --out results

stock: $(MODEL) ## conversation and live-server tests with stock Rasa (HSG_RASA_PATCHES=off)
	HSG_RASA_PATCHES=off $(RASA) test core --model $(MODEL) --stories tests/test_conversations.yml \
		--fail-on-prediction-errors --out results/conversations-stock
	HSG_RASA_PATCHES=off $(PY) -m pytest -q tests/test_servers.py

test: validate $(MODEL) unit conversations stock eval ## set up as needed and run every test

bench: $(MODEL) ## benchmark vs Rasa's default recipe, both trained (BENCH_ARGS=--reuse-models: cached peer)
	$(PY) scripts/bench.py $(BENCH_ARGS)

bench-smoke: $(MODEL) ## quick end-to-end run of the benchmark (small counts; trains the peer once, then cached)
	$(PY) scripts/bench.py --smoke --reuse-models $(BENCH_ARGS)

lock: ## re-pin constraints.txt from a fresh install of requirements.txt
	rm -rf /tmp/hsg-lock && $(PYTHON310) -m venv /tmp/hsg-lock
	/tmp/hsg-lock/bin/pip install --quiet --upgrade "pip<24.1" && /tmp/hsg-lock/bin/pip install --quiet -r requirements.txt
	{ echo "# pip freeze of a working .venv (Python 3.10); regenerate with 'make lock'."; /tmp/hsg-lock/bin/pip freeze; } > constraints.txt

clean: ## remove the venv, models, build and results
	rm -rf $(VENV) models build results var .pytest_cache web/node_modules web/vendor
