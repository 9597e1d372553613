# Two commands on a fresh machine: `make run` serves the site, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench install

$(BIN)/dailypapers: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# KaTeX's stylesheet, script and fonts, served as the site's own static files.
KATEX := .npm/node_modules/katex/dist/katex.min.js
$(KATEX):
	npm install --silent --no-audit --no-fund --prefix .npm katex@0.16.22

install: $(BIN)/dailypapers $(KATEX)

run: install
	$(BIN)/dailypapers serve

lint: install
	$(BIN)/ruff check src bench

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/import_speed.py --postgres postgres://postgres@127.0.0.1:5432/
