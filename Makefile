# le-triage: every install step lives here. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PACKAGES := dovecot-imapd chromium
PYTEST_ARGS ?=
FUZZ_SECONDS ?= 120

.PHONY: install system-deps axe demo test lint typecheck unit fuzz bench profile container-check clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

# Debian packages the tests talk to (a real IMAP server, a real browser); installed only when missing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# the packaged dovecot service is not used: tests start their own on loopback
	-@if command -v systemctl >/dev/null && systemctl is-active -q dovecot 2>/dev/null; then systemctl stop dovecot; fi

# axe-core for the accessibility test of the public /guidelines page (test-time only, git-ignored folder).
AXE_VERSION := 4.14.1
AXE_JS := .cache/axe/node_modules/axe-core/axe.min.js
axe: $(AXE_JS)

$(AXE_JS):
	@command -v npm >/dev/null || { echo "npm not found: the accessibility test will be skipped"; exit 0; }
	npm install --prefix .cache/axe --no-audit --no-fund --silent axe-core@$(AXE_VERSION)

demo: install
	$(BIN)/triage demo

lint: install
	$(BIN)/ruff check triage nlp store tests bench

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q -m "not slow" $(PYTEST_ARGS)

# The whole suite on SQLite, then every database-facing test again on PostgreSQL.
test: install system-deps axe lint typecheck
	$(BIN)/pytest -q $(PYTEST_ARGS)
	TRIAGE_TEST_DATABASE=postgres $(BIN)/pytest -q -m "not browser and not slow" tests/store tests/triage $(PYTEST_ARGS)

fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q tests/triage/test_fuzz.py tests/triage/web/test_schemathesis.py $(PYTEST_ARGS)
	$(BIN)/python -m bench.fuzz_parse --extract -max_total_time=$(FUZZ_SECONDS)

bench: install system-deps
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Where the daemon's time goes (pyinstrument call tree in bench/results/profile_daemon.txt).
profile: install system-deps
	$(BIN)/python -m bench.profile

# Builds the Dockerfile with buildah on a debootstrapped bookworm and runs the image (minutes; not in `make test`).
container-check: install system-deps
	bash scripts/container-check.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/artifacts triage-data triage.db*
