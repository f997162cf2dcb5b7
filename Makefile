# Everything bootstraps .venv from a fresh clone; only Python 3.11+ is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo serve test lint format clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Switchboard needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,chatkit]'
	touch $(STAMP)

install: $(STAMP)

demo: install  ## migrate, load the demo companies if the database is empty, serve
	SWITCHBOARD_DEMO=true $(BIN)/switchboard demo

serve: install
	$(BIN)/switchboard serve

test: install  ## the whole suite, on SQLite and (when reachable) PostgreSQL and Redis
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/mypy src

format: install
	$(BIN)/ruff check --fix src tests migrations bench
	$(BIN)/ruff format src tests migrations bench

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
