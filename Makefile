# Strata — `make help` lists the targets. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PACKAGES := libs/contracts libs/planning libs/runtime libs/store libs/client libs/crypto tools/llm-sim \
	services/gateway services/ingest services/conversion services/worker services/rollup services/export \
	services/notify tools/cli
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install infra browser migrate up down demo test test-unit test-int test-e2e test-chaos lint logs bench-cost bench-throughput bench-scale bench-formats bench-export bench-progress bench-ratelimit bench-blobs models trace-demo asyncapi

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: constraints.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml) requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q -c constraints.txt $(foreach p,$(PACKAGES),-e $(p)) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## create the venv and install every package (torch pinned by constraints.txt)

infra: ## make sure RabbitMQ and Postgres are up and the strata database exists
	bash scripts/ensure-infra.sh

migrate: install infra ## apply database migrations
	source scripts/env.sh && $(VENV)/bin/strata-migrate

up: migrate ## start the simulator and every service in the background (logs in var/log)
	bash scripts/up.sh

down: ## stop what `make up` started
	bash scripts/down.sh

demo: up ## the whole job end to end: upload, run, export; last line is a JSON summary
	source scripts/env.sh && $(PY) scripts/demo.py

# `make test MARK="not chaos"` skips the chaos scenarios (markers: integration, e2e, chaos).
MARK ?=
browser: ## Debian's chromium for the browser tests (installed once; instant when present)
	bash scripts/ensure-browser.sh

test: install infra browser ## unit, integration, e2e and chaos tests (real RabbitMQ and Postgres), then lint
	$(PY) -m pytest $(if $(MARK),-m "$(MARK)") tests/unit tests/integration tests/e2e $(wildcard tests/chaos)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test-unit: install ## unit tests only (no I/O)
	$(PY) -m pytest tests/unit

test-int: install infra ## integration tests only
	$(PY) -m pytest tests/integration

test-e2e: install infra ## e2e tests only
	$(PY) -m pytest tests/e2e

test-chaos: install infra ## chaos scenarios only (private broker and database)
	$(PY) -m pytest -m chaos tests/chaos

lint: install ## ruff, the import contracts and the type checker
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench-cost: install infra ## naive vs default policy on a 200-block document; cost figures
	$(PY) bench/cost.py

bench-throughput: install infra ## a 50,000-block run through every service; blocks settled per second
	$(PY) bench/throughput.py

bench-ratelimit: install infra ## a run paced by a simulator input-token limit, three workers; last line limit_use/rate_limited_share/blocks
	$(PY) bench/ratelimit.py

bench-scale: install infra ## a 1,000,000-block run and a 50,000-block run before/after 5M finished overlays (long; not in make test)
	$(PY) bench/scale.py

bench-export: install infra ## a 1,000,000-overlay run exported in each format by strata-export; last line rows/s per format and peak_rss_mb
	$(PY) bench/export.py

asyncapi: install ## regenerate docs/asyncapi.json from the message contracts (a unit test checks it)
	$(PY) -m strata.runtime.asyncapi

trace-demo: install infra ## one document through every service with OTLP to an in-process receiver; last line block=<uid> services=<…> spans=<n>
	$(PY) bench/trace_demo.py

bench-formats: install ## the corpus through our converters and through docling directly; last line formats_ok/overhead
	$(PY) bench/formats.py

bench-blobs: install ## a 256 MiB blob streamed into and out of the local folder and moto's S3 server; last line MiB/s and peak_rss_growth_mib
	$(PY) bench/blobs.py

bench-progress: install infra ## 20,000-block run, 200 SSE clients (20 drop and resume); last line clients/events_missed/resume_ok/lag
	$(PY) bench/progress.py

.PHONY: chaos
chaos: install infra ## 5,000-block run, 10 worker kill -9s and a broker restart on a private RabbitMQ/Postgres; last line lost/duplicated/counters_exact/drain_s
	$(PY) bench/chaos.py

models: install ## fetch docling's layout + table weights for the standard PDF path (needs network)
	HF_HUB_OFFLINE=0 $(VENV)/bin/docling-tools models download layout tableformer -o var/models/docling
	@echo "set CONVERSION_DOCLING_ARTIFACTS_PATH=$(CURDIR)/var/models/docling"

logs: ## follow the service logs
	tail -F var/log/*.log

.PHONY: bench-quality
bench-quality: install ## the corpus through conversion against docling's reference Markdown; last line files/text_recall/.../scanned_recall
	$(PY) bench/quality.py $(or $(CORPUS),../shared/corpus)
