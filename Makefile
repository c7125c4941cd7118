# Two commands on a fresh clone, each setting itself up:
#   make run    check the bundled plans and render their agendas into agendas/
#   make test   run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-large clean editors vsix

# The stamp is written only when the whole set-up worked; a set-up that fails removes
# the environment it made, so that the next `make` starts clean instead of failing the
# same way until `make clean`.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "ipt-plan needs Python 3.11 or newer, and '$(PYTHON)' is" \
	       "$$($(PYTHON) --version 2>&1 || echo 'not installed')." >&2; \
	  echo "Name another one: make run PYTHON=python3.11 (or python3.12, ...)" >&2; exit 2; }
	@if [ -e $(VENV) ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  echo "Removing $(VENV), made by an older Python or a set-up that failed." >&2; rm -rf $(VENV); fi
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "Could not make $(VENV) with $(PYTHON) -m venv; on Debian and Ubuntu, install" \
	       "python3-venv first (sudo apt install python3-venv)." >&2; exit 2; }
	@$(BIN)/python -m pip install --quiet --upgrade pip && \
	  $(BIN)/python -m pip install --quiet -e '.[test]' || { rm -rf $(VENV); \
	  echo "Installing ipt-plan's dependencies into $(VENV) failed (see above); nothing is" \
	       "left half-made, so run make again once that is fixed." >&2; exit 2; }
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
