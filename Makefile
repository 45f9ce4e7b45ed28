# Two set-up commands for a fresh machine (Python, pip, git, make): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck bench bench-profiles wheel-check clean

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
test: $(VENV)/.installed-test typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 --dist loadfile

lint: $(VENV)/.installed-test typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## mypy over the installed layout: sources/, cli/, destinations/, standin/ and queries/ install as
## mixpanel_data.*, which mypy cannot map from package-dir, so it reads them through a folder of
## symlinks laid out as installed (checked one by one, their imports of each other were Any).
typecheck: $(VENV)/.installed-test
	rm -rf .mypy-package/mixpanel_data && mkdir -p .mypy-package/mixpanel_data
	for entry in mixpanel_data/*; do ln -sfn ../../$$entry .mypy-package/mixpanel_data/; done
	for folder in sources cli destinations standin queries; do \
		ln -sfn ../../$$folder .mypy-package/mixpanel_data/$$folder; done
	cd .mypy-package && ../$(BIN)/mypy --config-file ../pyproject.toml mixpanel_data

## Throughput and memory at 1M events against the stand-in (see benchmarks/README.md).
## Profiles at 1M over the stand-in's engage paging: `make bench-profiles` (or BENCH_PROFILES=1).
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_events.py
	$(if $(BENCH_PROFILES),$(BIN)/python benchmarks/bench_profiles.py)

bench-profiles: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_profiles.py

clean:
	rm -rf $(VENV) .mp-demo .mypy-package build dist *.egg-info
