# Everything a fresh machine needs, in two commands:
#   make demo   - set up, then run the main job
#   make test   - set up, then run the whole test suite
# Set-up = a virtual environment in .venv with anet and its test tools, plus Graphviz's `dot`.

PYTHON ?= python3
VENV ?= .venv
# The CPU build of PyTorch the project is tested with; override for another build.
TORCH ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.anet-installed

.PHONY: setup test demo lint bench dot clean

setup: $(STAMP) dot

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

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2

demo: setup
	$(VENV)/bin/anet check examples/*.anet
	$(VENV)/bin/anet fmt --check examples/*.anet
	$(VENV)/bin/anet import examples/published-structures.json --name assemblenet50 --classes 339 -o build/assemblenet50.anet
	$(VENV)/bin/anet export build/assemblenet50.anet -o build/assemblenet50.json

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check dsl cli

bench: setup
	$(PY) benchmarks/language_speed.py

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis
