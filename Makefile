# eJia developer entry points. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv run test bench mutation clean services

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
	$(VPY) bench/imports.py

# Mutation testing of the rule modules against the unit tests ([tool.mutmut] in
# pyproject.toml; reviewed equivalents in mutation-equivalents.toml). Not part of
# `make test`: all of the rule modules are ~4,900 mutants, about 95 minutes on 2
# cores (mutmut 3.8.1 tests every mutant it is given again on each run).
# MUTATE='services.dues.ledger.*' runs one module's (the report still lists all:
# the others as not run); MUTMUT_ARGS=--max-children=N sets the parallelism.
MUTMUT_ARGS ?=
MUTATE ?= $$($(VPY) scripts/mutation_report.py --select)
mutation: venv
	@set -f; start=$$(date +%s); \
	$(VENV)/bin/mutmut run $(MUTMUT_ARGS) $(MUTATE) ; rc=$$?; \
	echo "mutmut run: exit $$rc, $$(( $$(date +%s) - start )) s wall"; \
	$(VPY) scripts/mutation_report.py

clean:
	rm -rf $(VENV) data mutants
