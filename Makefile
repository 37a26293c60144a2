# One entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
STACK := MlflowPlatformPortfolio
# Node 20 is end of life; jsii prints a banner on every synth. Node 22+ is recommended.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help setup system-deps run synth catalog local test test-fast lint deploy destroy \
        publish-images lock lock-image bench cost cost-docs diagram clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==26.3"
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

$(CDK): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

system-deps: ## install nginx, MariaDB and shellcheck (Debian/Ubuntu packages)
	scripts/install_system_deps.sh

# checkov and pip-audit pin libraries (boto3 among them) that clash with the project's,
# so they live in a venv of their own.
.venv-tools/.installed: constraints-tools.txt scripts/install_tools.sh
	scripts/install_tools.sh
	touch $@

setup: $(VENV)/.installed $(CDK) .venv-tools/.installed system-deps ## everything the other targets need (idempotent)

synth: setup ## synthesize the portfolio and product templates into cdk.out/
	$(CDK) synth --quiet

catalog: synth ## print the catalog as an end user meets it
	$(PY) scripts/show_catalog.py

local: setup ## run MLflow core locally behind its auth proxy (Ctrl-C stops it)
	$(PY) scripts/local_stack.py $(LOCAL_ARGS)

run: catalog local ## the main job: synth, print the catalog, run MLflow core locally

test: setup ## the whole test suite (lint included); CI=true turns skips into failures
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: setup ## the suite without the integration tests
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

lint: setup ## ruff, cfn-lint on every synthesized template, shellcheck, hadolint
	$(PY) -m ruff check .
	$(PY) app.py >/dev/null
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json
	shellcheck scripts/*.sh $$(find docker service_templates -name '*.sh' 2>/dev/null)
	$(VENV)/bin/hadolint $$(find docker -name Dockerfile)

deploy: synth ## deploy the portfolio (needs AWS credentials and `cdk bootstrap`)
	$(CDK) deploy $(STACK) --require-approval broadening

destroy: setup ## remove the portfolio; refuses while provisioned products exist
	$(PY) scripts/destroy_portfolio.py

# The tag the current product versions pin (one source: mlflow_platform/catalog.py).
TAG ?= $(shell $(PYTHON) -c 'from mlflow_platform.catalog import IMAGE_TAG; print(IMAGE_TAG)')
publish-images: ## build and push the product images (needs Docker and ECR_REGISTRY); TAG defaults to the pinned one
	scripts/publish_images.sh $(TAG)

lock-image: setup ## re-pin the server image's closure with hashes (docker/mlflow_core/server/requirements.lock)
	$(PY) scripts/lock_server_image.py

lock: ## re-pin the transitive Python dependencies into constraints.txt
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

cost: synth ## monthly cost of each product and profile, idle and active
	$(PY) scripts/cost.py

cost-docs: synth ## regenerate the cost tables of docs/cost.md and README.md
	$(PY) scripts/cost.py --update-doc docs/cost.md
	$(PY) scripts/cost.py --update-summary README.md

diagram: synth ## regenerate docs/architecture.* from the synthesized templates
	$(PY) scripts/diagram.py

bench: setup ## benchmarks: print figures (synth time, proxy ratios, cold start, memory)
	$(PY) bench/run.py

clean: ## remove build output (not the snapshots, not the venv)
	rm -rf cdk.out .pytest_cache .ruff_cache
