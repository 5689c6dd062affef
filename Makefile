# The README's two commands: `make run` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test bench install system redis services web lint format clean

run: install system redis web
	$(BIN)/cnt db upgrade
	$(BIN)/cnt run

test: install system services web
	$(BIN)/pytest

bench: install system services web
	$(BIN)/python -m bench

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: run: sudo apt-get install -y python3-venv"; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip
	@echo "installing the project with the versions pinned in constraints.txt (the ones CI ran with)"
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	@rm -f $(VENV)/.installed-*; touch $@

# System programs: installed with apt-get when we can, otherwise the exact command to run.
SYSTEM_PROGRAMS := ffmpeg:ffmpeg ffprobe:ffmpeg redis-server:redis-server espeak-ng:espeak-ng \
                   chromium:chromium node:nodejs npm:npm
system:
	@missing=""; for pair in $(SYSTEM_PROGRAMS); do \
	  prog=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$prog >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | xargs); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
	    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing system programs; run: sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

# The pages' front-end packages (package.json, pinned by package-lock.json): `npm ci` again only
# when the lockfile changes. The app serves them from node_modules (api/web/assets.py).
WEB_STAMP := node_modules/.installed-$(shell cat package-lock.json 2>/dev/null | sha1sum | cut -c1-12)
web: system $(WEB_STAMP)

$(WEB_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-*; touch $@

# Start Redis (and, for tests, PostgreSQL) when installed but stopped.
redis:
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
	@for i in 1 2 3 4 5 6 7 8 9 10; do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0; sleep 0.5; done; echo "Redis did not start on 127.0.0.1:6379"; exit 1

services: redis
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  if ls /etc/postgresql >/dev/null 2>&1; then \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start; \
	  else echo "PostgreSQL is not installed; run: sudo apt-get install -y postgresql (tests use 127.0.0.1:5432, database test)"; exit 1; fi; }
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 0.5; done; echo "PostgreSQL did not start on 127.0.0.1:5432"; exit 1

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
