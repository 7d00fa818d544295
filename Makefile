# FairTrain: two commands for a newcomer.
#   make run   - create .venv, install, migrate the SQLite database, seed the demo, serve http://127.0.0.1:5000
#   make test  - install test needs and run the whole suite (SQLite, then PostgreSQL when TEST_DATABASE_URL is set)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCALSTRIPE_VENV := .venv-localstripe
LOCALSTRIPE_VERSION := 1.15.10
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite test-postgres test-deep install install-test db seed serve scheduler bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $(VENV)/.installed-run $@

$(LOCALSTRIPE_VENV)/bin/localstripe:
	$(PYTHON) -m venv $(LOCALSTRIPE_VENV)
	$(LOCALSTRIPE_VENV)/bin/pip install --quiet localstripe==$(LOCALSTRIPE_VERSION)

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test $(LOCALSTRIPE_VENV)/bin/localstripe

db: install
	$(BIN)/flask db upgrade

seed: db
	$(BIN)/flask demo seed

# Serve with the scheduler beside the web process (e-mails, expiry, payroll); both stop with Ctrl-C.
run: seed
	@echo ""
	@echo "FairTrain is starting on http://$(HOST):$(PORT)  (Ctrl-C stops it)"
	@$(BIN)/flask scheduler run > instance/scheduler.log 2>&1 & echo $$! > instance/scheduler.pid; \
	  trap 'kill $$(cat instance/scheduler.pid) 2>/dev/null; rm -f instance/scheduler.pid' EXIT INT TERM; \
	  $(BIN)/flask run --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/flask run --host $(HOST) --port $(PORT)

scheduler: install
	$(BIN)/flask scheduler run

test: install-test
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	  else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped (CI sets it)"; fi

test-sqlite:
	@echo "=== test suite on SQLite ==="
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

# Browser tests drive the UI and do not depend on the database engine: they run once, on SQLite.
test-postgres:
	@echo "=== test suite on PostgreSQL ($$TEST_DATABASE_URL) ==="
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

test-deep: install-test
	$(BIN)/python -m pytest --deep $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(LOCALSTRIPE_VENV) .pytest_cache test-artifacts
