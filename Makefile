# Two commands on a fresh clone, each setting itself up:
#   make run    check and list the bundled plans
#   make test   run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ipt-plan check plans/
	@echo "All bundled plans check clean."

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis

# Not part of `make test`: timings on a shared machine are noise for a test, so the
# benchmark reports ratios against baselines measured in the same run.
bench: $(STAMP)
	$(BIN)/python bench/bench.py
