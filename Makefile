# eks.access — the two commands that matter: `make demo` and `make test`.
# Everything runs on a fresh machine with Python 3.11 and Go; binaries are
# cached outside the repo (~/.cache/eks-access-sandbox), the venv in .venv/.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SANDBOX_ENV := .sandbox/env

.PHONY: help venv chromium sandbox sandbox-down sandbox-status demo test test-matrix sanity units packaging integration docs bench reliability clean

help:
	@echo "make demo            venv + sandbox + playbooks/site.yml on it (the main job): aws-auth on sandbox,"
	@echo "                     access entries on sandbox-api"
	@echo "make test            venv + sandbox + sanity + unit + packaging + integration tests"
	@echo "make sandbox         start the local EKS-like sandbox (no-op when up); CLUSTERS=N for N clusters"
	@echo "make sandbox-down    stop it;   make sandbox-status   report"
	@echo "make bench           side-by-side benchmarks on the sandbox (docs/benchmarks.md; not part of make test)"
	@echo "                     BENCH=eksctl make bench: case 1 and the eksctl cases only (builds eksctl once)"
	@echo "                     BENCH=fleet make bench: migrate_to_access_entries over 20 clusters, forks=10 vs 1"
	@echo "                     BENCH=report make bench: access_report over 20 clusters x 200 principals"
	@echo "make reliability     the reliability suite on the sandbox (docs/reliability.md; not part of make test)"
	@echo "make test-matrix     sanity + unit + smoke integration on each ansible-core x amazon.aws/kubernetes.core"
	@echo "                     combination (docs/testing.md#support-matrix; not part of make test)"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt tests/requirements.txt tests/requirements-sanity.txt
	@echo "[venv] creating $(VENV) with $$($(PYTHON) --version)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --upgrade pip
	@$(VENV)/bin/pip install --quiet -r tests/requirements.txt -r tests/requirements-sanity.txt
	@touch $@

# CLUSTERS=N: clusters with a real API server (sandbox, sandbox-2, ...; default 1).
# `make test` and `make integration` want 3, for the fleet test.
sandbox: venv
	@$(PY) tests/sandbox/sandbox.py up --clusters $(or $(CLUSTERS),1)

sandbox-down:
	@test -x $(PY) && $(PY) tests/sandbox/sandbox.py down || true

sandbox-status:
	@$(PY) tests/sandbox/sandbox.py status

demo: sandbox
	@source $(SANDBOX_ENV) && $$ANSIBLE_PLAYBOOK -i playbooks/inventory/sandbox.yml playbooks/site.yml --diff \
		-e eks_access_hosts=eks_clusters:eks_access_entry_clusters

# The access report's page is checked in headless Chromium (Debian package chromium), installed when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ echo "[chromium] installing the distribution's chromium package"; \
		  $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null || \
		  { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
		    $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null; }; }

test: CLUSTERS ?= 3
test: sandbox chromium
	@bash tests/run.sh all

# Venvs and collections per combination are cached in ~/.cache/eks-access-matrix.
# COMBOS="2.17/oldest 2.19/newest" or LAYERS="sanity units" narrow it (tests/matrix.sh).
test-matrix: sandbox
	@bash tests/matrix.sh

sanity: venv
	@bash tests/run.sh sanity

units: venv
	@bash tests/run.sh units

packaging: venv
	@bash tests/run.sh packaging

integration: CLUSTERS ?= 3
integration: sandbox chromium
	@bash tests/run.sh integration

# BENCH=fleet: the migration playbook over a fleet of 20 clusters (tests/bench/fleet_bench.py).
# BENCH=report: the access report playbook over 20 clusters x 200 principals (tests/bench/report_bench.py).
bench: CLUSTERS ?= $(if $(filter fleet report,$(BENCH)),20,3)
bench: sandbox
	@bash tests/run.sh bench

reliability: sandbox
	@bash tests/run.sh reliability

docs: venv
	@bash tests/run.sh docs

clean: sandbox-down
	rm -rf .sandbox tests/output
