# frontdesk — `make run` serves on http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/frontdesk db upgrade
	$(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest

check: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python infra/bench/language.py
	$(BIN)/python infra/bench/routing.py
	$(BIN)/python infra/bench/knowledge.py
	$(BIN)/python infra/bench/engine.py
	$(BIN)/python infra/bench/context.py

clean:
	rm -rf $(VENV) var build *.egg-info
