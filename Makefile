# Two commands on a fresh clone, each setting itself up:
#   make run    check the bundled plans and render their agendas into agendas/
#   make test   run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-large clean editors vsix

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
	rm -rf $(VENV) build dist .pytest_cache .hypothesis $(VSCODE)/node_modules $(VSCODE)/*.vsix

# Not part of `make test`: timings on a shared machine are noise for a test, so the
# benchmark reports ratios against baselines measured in the same run. Both targets take
# options through BENCH_ARGS (make bench BENCH_ARGS="--quick", "--memory", "--runs 5").
# bench: the 2,000-plan batches and the single plans, a few minutes.
# bench-large: the 20,000-plan batches, about 17 minutes, 1.7 GB of disk (README.md).
BENCH_ARGS ?=

bench: $(STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

bench-large: $(STAMP)
	$(BIN)/python bench/bench.py --large $(BENCH_ARGS)

# The VS Code extension (editors/vscode), not part of `make test`: it needs Node 20 and npm.
# `make editors` installs its dev dependencies (@vscode/vsce, vscode-tmgrammar-test), after
# which `make test` also checks the TextMate grammar against the bundled plans; `make vsix`
# packages the extension into editors/vscode/ipt-plan.vsix.
VSCODE := editors/vscode

$(VSCODE)/node_modules/.installed: $(VSCODE)/package.json $(VSCODE)/package-lock.json
	cd $(VSCODE) && npm ci --no-audit --no-fund
	touch $@

editors: $(VSCODE)/node_modules/.installed

vsix: $(VSCODE)/node_modules/.installed
	cd $(VSCODE) && npx vsce package --skip-license --allow-missing-repository --out ipt-plan.vsix
