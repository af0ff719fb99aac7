# Two commands do everything on a fresh machine:
#   make demo   install, build the demo practice once (SQLite), open the workstation
#   make test   install, run the whole test suite (SQLite and PostgreSQL)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test install lint bench check clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/billing-tui demo --keep-existing
	$(BIN)/billing-tui

# The suite runs on every core (pytest-xdist); PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto

test: $(STAMP)
	$(BIN)/ruff check billing_tui tests alembic
	$(BIN)/lint-imports
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check billing_tui tests alembic
	$(BIN)/ruff format --check billing_tui tests alembic
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/billing-tui bench $(BENCH_ARGS)

check: $(STAMP)
	$(BIN)/billing-tui check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
