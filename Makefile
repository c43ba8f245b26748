# eJia developer entry points. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv run test bench clean services

# (Re)install only when pyproject.toml is newer than the stamp.
venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VPY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

services:
	bash scripts/ensure-services.sh

run: venv
	$(VPY) -m services.embedded

test: venv services
	$(VENV)/bin/ruff check --quiet services shared tests bench
	$(VPY) -m pytest -q tests/unit tests/integration tests/e2e $(PYTEST_ARGS)

bench: venv services
	$(VPY) bench/outbox.py
	$(VPY) bench/members.py
	$(VPY) bench/dues.py
	$(VPY) bench/gateway.py

clean:
	rm -rf $(VENV) data
