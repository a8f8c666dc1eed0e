# Two commands set everything up from a fresh clone (needs python3 >= 3.11, make, node/npm):
#   make run    development portal + background worker on http://127.0.0.1:8000 (PORT=8102 moves
#               it, and the links in e-mails and actas with it)
#   make test   the whole test suite on SQLite, then on a throwaway PostgreSQL
# Re-runs reuse .venv and node_modules: stamp files re-install only when
# pyproject.toml, constraints.txt or package-lock.json change.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Where e-mails and the acta de entrega link to: the address `make run` listens on
# (settings.PORTAL_URL; override for a proxy, e.g. PORTAL_URL=https://flujos.example.pe).
PORTAL_URL ?= http://$(HOST):$(PORT)
PYTEST_ARGS ?=
# Override to try `make run` before a command exists, e.g. WORKER_CMD='sleep infinity'.
WORKER_CMD ?= $(PY) manage.py run_worker

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
VENDOR_STAMP := portal/static/vendor/.copied

.PHONY: help setup run test lint clean constraints

help:
	@echo "make run    set up, migrate, seed the demo admin, org tree and officers, start portal + worker"
	@echo "make test   set up, run pytest on SQLite and on a throwaway PostgreSQL"
	@echo "make lint   ruff check, then mypy on engine/, portal/, pdf/"
	@echo "make clean  remove .venv, node_modules and copied assets (keeps var/)"

# --- set-up -----------------------------------------------------------------------------
$(PY):
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is required")'
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -c constraints.txt -e '.[test]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(VENDOR_STAMP): $(NODE_STAMP) scripts/vendor_assets.mjs
	node scripts/vendor_assets.mjs
	@touch $@

setup: $(PY_STAMP) $(VENDOR_STAMP)

# --- run --------------------------------------------------------------------------------
run: export DEBUG := 1
run: export PORTAL_URL := $(PORTAL_URL)
run: setup
	@mkdir -p "$${VAR_DIR:-var}/staticfiles"  # whitenoise warns when STATIC_ROOT is missing
	$(PY) manage.py migrate --noinput
	$(PY) manage.py deploy_processes
	$(PY) manage.py seed_admin --base-url $(PORTAL_URL)
	$(PY) manage.py seed_demo --base-url $(PORTAL_URL)
	@echo "Starting the portal on http://$(HOST):$(PORT)/ and the worker; Ctrl-C stops both."
	$(PY) scripts/run_together.py \
		"$(PY) manage.py runserver $(HOST):$(PORT)" \
		"$(WORKER_CMD)"

# --- test -------------------------------------------------------------------------------
# DEBUG=1 because settings are read at import: it selects plain static storage (no
# collectstatic manifest needed) and dev defaults; pytest-django still runs the tests
# with settings.DEBUG False. Both halves always run; either failing fails the target.
test: setup
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	mkdir -p "$$tmp/sqlite/staticfiles" "$$tmp/postgres/staticfiles"; \
	echo; echo "======== Test suite on SQLite ========"; \
	env -u DATABASE_URL DEBUG=1 VAR_DIR="$$tmp/sqlite" $(PY) -m pytest $(PYTEST_ARGS); \
	sqlite=$$?; \
	echo; echo "======== Test suite on PostgreSQL (throwaway cluster) ========"; \
	DEBUG=1 VAR_DIR="$$tmp/postgres" $(PY) scripts/throwaway_pg.py -- $(PY) -m pytest $(PYTEST_ARGS); \
	pg=$$?; \
	echo; echo "make test: SQLite half exit code $$sqlite, PostgreSQL half exit code $$pg"; \
	[ $$sqlite -eq 0 ] && [ $$pg -eq 0 ]

# mypy imports the settings (django-stubs plugin), which need DEBUG=1 outside production.
lint: $(PY_STAMP)
	$(PY) -m ruff check .
	DEBUG=1 $(PY) -m mypy engine portal pdf

constraints: $(PY_STAMP)
	@{ sed -n '1,3p' constraints.txt; \
	   $(PY) -m pip freeze --exclude-editable | grep -vi '^siagie[-_]flujos'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) node_modules portal/static/vendor .pytest_cache .ruff_cache
