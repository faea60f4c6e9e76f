# Everything a fresh machine needs, in two commands:
#   make demo   - set up, then run the main job
#   make test   - set up, then run the whole test suite
#   make test-fast - the suite without the tests marked `slow` (the edit loop; under a minute on 2 cores)
# Set-up = a virtual environment in .venv with anet and its test tools, plus Graphviz's `dot`, and Neovim and
# Chromium (with chromedriver) for the tests that drive a real editor and a real browser.

PYTHON ?= python3
VENV ?= .venv
# The CPU build of PyTorch the project is tested with; override for another build.
TORCH ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.anet-installed

.PHONY: setup test test-fast demo lint bench dot nvim chromium clean

setup: $(STAMP) dot nvim chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "$(TORCH)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

# Graphviz's `dot` renders figures; without it anet still writes .dot files and says so.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "installing graphviz (for the dot program)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq graphviz >/dev/null; }

# Neovim is the real editor `anet lsp`'s end-to-end test drives (headless); anet does not need it.
nvim:
	@command -v nvim >/dev/null 2>&1 || { \
	  echo "installing neovim (for the editor test of anet lsp)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq neovim >/dev/null; }

# Chromium and its driver are the real browser `anet runs serve`'s dashboard tests drive (headless); anet does
# not need them.
chromium:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { \
	  echo "installing chromium and chromedriver (for the browser tests of anet runs serve)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

test: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -n 2

test-fast: setup
	$(PY) -m pytest -n 2 -m "not slow"

# The main job: a small connection-learning-guided evolution on the built-in proxy task, seeded with
# the AssembleNet examples, ranking candidates on fitness and latency (measured at 16x112 on this machine; the
# front is RUN/pareto.json), then the best architecture compiled to PyTorch and drawn with the run's lineage.
# Run again, it resumes runs/demo (a no-op once finished); `make clean` removes it.
DEMO ?= runs/demo
DEMO_SEARCH ?= --seed $(filter-out examples/assemblenet_plus%,$(wildcard examples/*.anet)) --population 8 --rounds 12 --workers 2 --iterations 60 --size 32 \
  --objective pareto --deploy-shape 16x112

demo: setup
	@if [ -f $(DEMO)/journal.jsonl ]; then \
	  $(VENV)/bin/anet evolve --resume $(DEMO); \
	else \
	  $(VENV)/bin/anet evolve --out $(DEMO) $(DEMO_SEARCH); \
	fi
	$(VENV)/bin/anetc compile $(DEMO)/best.anet -o $(DEMO)/best.py
	$(VENV)/bin/anet info $(DEMO)/best.anet --frames 8 --size 32
	$(VENV)/bin/anet render $(DEMO)/best.anet -o $(DEMO)/best.svg
	$(VENV)/bin/anet render --lineage $(DEMO) -o $(DEMO)/lineage.svg
	@echo "runs/demo: candidates/*.anet, journal.jsonl, best.anet, best.py, best.svg, lineage.svg, fitness.png, pareto.json"

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Every measurement docs/ quotes, into runs/bench/*.txt; benchmarks run with --write-docs also rewrite
# their tables in docs/ (how long it all runs: docs/measurements.md).
bench: setup
	PYTHON=$(PY) benchmarks/run_all.sh runs/bench

clean:
	rm -rf $(VENV) build $(DEMO) .pytest_cache .ruff_cache .hypothesis
