# Two set-up commands for a fresh machine (Python, pip, git, make): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench wheel-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## Load the demo project from a local Mixpanel stand-in into DuckDB and print top events and DAU.
demo: $(VENV)/.installed
	$(BIN)/mp --format table demo --dir .mp-demo

## Install with test extras, lint, check the formatting, type-check and run the whole suite.
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Throughput and memory at 1M events against the stand-in (see benchmarks/README.md).
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_events.py

clean:
	rm -rf $(VENV) .mp-demo build dist *.egg-info
