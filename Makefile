# Xiaoneng — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PYTHON_CANDIDATES := python3.13 python3.12 python3
# pyenv (if present) honours .python-version; otherwise the first interpreter found that is >= 3.12.
PY := $(shell for p in $$(command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null) $(PYTHON_CANDIDATES); do \
        if $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)
PYTEST_ARGS ?=
XN_TEST_WORKERS ?= 2

.PHONY: run test venv lint bench clean

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PY)" ]; then echo "error: Python >= 3.12 is required (Django 6). Install it (e.g. 'pyenv install 3.13.0') and retry." >&2; exit 1; fi
	@echo "Using $(PY) ($$($(PY) -V))"
	@test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	@touch $@

venv: $(VENV)/.installed

run: venv  ## embedded SQLite, demo county, web + worker on http://127.0.0.1:8000
	$(VENV)/bin/xiaoneng demo

test: venv  ## the whole suite; PostgreSQL when DATABASE_URL is set
	$(VENV)/bin/pytest -n $(XN_TEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

bench: venv
	@ls bench/*.py

clean:
	rm -rf $(VENV) var
