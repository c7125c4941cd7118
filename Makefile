# Two commands on a fresh clone, each setting itself up:
#   make run    check the bundled plans and render their agendas into agendas/
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
	$(BIN)/ipt-plan render plans/ -o agendas
	@echo "Agendas for each plan are in agendas/plans/<plan>.iptplan/ (overview.md, session-01.md, ...)."

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis

# Not part of `make test`: timings on a shared machine are noise for a test, so the
# benchmark reports ratios against baselines measured in the same run.
bench: $(STAMP)
	$(BIN)/python bench/bench.py
