# `make demo` and `make test` do every set-up step themselves on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMPS := .stamps

.PHONY: demo test setup lint pytest jstest bench wheel docs clean

setup: $(STAMPS)/dev $(STAMPS)/hub-proxy

$(STAMPS)/system: scripts/install-system-deps
	@mkdir -p $(STAMPS)
	bash scripts/install-system-deps
	@touch $@

$(STAMPS)/dev: $(STAMPS)/system pyproject.toml labextension/package.json
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
# The editable install skips the Node packages when a build exists; the tests need the
# current ones (Jest, eslint, axe-core for the UI tests) whenever package.json changed.
	cd labextension && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm install
	bash scripts/post-install
	@touch $@

$(STAMPS)/hub-proxy: $(STAMPS)/dev scripts/install-hub-proxy
	VENV=$(VENV) bash scripts/install-hub-proxy
	@touch $@

demo: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PY) scripts/demo.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	bash scripts/lint-frontend

pytest: setup
	bash scripts/run-pytest

jstest: setup
	bash scripts/run-jstest

test: lint jstest pytest

# The settings tables in docs/ are made from the settings table (core/settings.py).
docs: setup
	$(PY) -m ilum_singleuser.core.settings_docs docs

bench: setup
	for b in bench/bench_*.py; do PATH="$(CURDIR)/$(BIN):$$PATH" $(PY) $$b || exit 1; done

# The wheel gets a fresh production build of the lab extension, not the development one.
wheel: setup
	rm -rf dist ilum_singleuser/labextension
	$(PY) -m pip wheel --no-deps -q -w dist .
	bash scripts/post-install

clean:
	rm -rf $(STAMPS) $(VENV) dist build labextension/node_modules labextension/lib ilum_singleuser/labextension
