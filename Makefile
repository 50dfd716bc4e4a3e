# Two commands for a fresh machine: `make demo` (set up and run the main job) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Debian packages the project needs (browser tests and PDF rendering use Debian's Chromium).
APT_PACKAGES := chromium postgresql-client
APT_STAMP := $(VENV)/.apt-stamp

.PHONY: setup system-deps demo test lint constraints bench clean

$(APT_STAMP):
	@mkdir -p $(VENV)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
	  && echo "installed:$$missing" \
	  || echo "warning: could not install$$missing (browser tests, PDF output and the local PostgreSQL check will be skipped)"; \
	fi
	@touch $@

# constraints.txt pins the versions the tests passed with, so a fresh machine installs the same ones.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

setup: $(STAMP) $(APT_STAMP)

system-deps: $(APT_STAMP)

demo: setup
	$(BIN)/alscell demo

# PostgreSQL tests run when ALSCELL_TEST_PG_URL is set; if it is not and the local server answers, use it.
LOCAL_PG_URL := postgresql+psycopg://postgres@127.0.0.1:5432/test

# Lint, format and type checks run before the tests; any finding fails `make test`.
lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

test: setup lint
	@if [ -z "$$ALSCELL_TEST_PG_URL" ] && command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -q; then \
	  echo "PostgreSQL tests on $(LOCAL_PG_URL)"; export ALSCELL_TEST_PG_URL=$(LOCAL_PG_URL); fi; \
	$(BIN)/pytest -n 2

constraints: setup
	@{ echo "# Versions the test suite passed with (pip freeze of the project venv, Python 3.11)."; \
	  echo "# make setup installs with: pip install -c constraints.txt -e '.[dev]'. Regenerate: make constraints"; \
	  $(BIN)/pip freeze --exclude-editable; } > constraints.txt

bench: setup
	$(BIN)/python benchmarks/import_canonical.py

clean:
	rm -rf $(VENV) out alscell.db alscell.db-wal alscell.db-shm
