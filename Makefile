# The two commands: `make run` (whole local stack) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test bench lint format setup tools clean-data synth deploy

run: setup
	$(BIN)/python manage.py devstack

test: setup
	@scripts/check_tools.sh --browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	@scripts/check_tools.sh --bench
	$(BIN)/python -m bench

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

setup: tools $(INSTALLED) .local/dynamodb-local/DynamoDBLocal.jar static/vendor/.stamp

tools:
	@scripts/check_tools.sh

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

.local/dynamodb-local/DynamoDBLocal.jar:
	scripts/fetch_dynamodb_local.sh

static/vendor/.stamp: static/vendor.lock
	scripts/fetch_vendor.sh

# Removes the local stack's data (.data/). Tests never use it.
clean-data:
	rm -rf .data

# The AWS infrastructure (deploy/, one CDK app): synthesize every stack into cdk.out and
# check it with cdk-nag and cfn-lint. Offline, no AWS credentials needed.
synth: $(INSTALLED)
	$(BIN)/python -m deploy.synth

# Deploy every stack with the pinned CDK CLI, then run the one-off maintenance task.
# Needs AWS credentials, DEPLOY_DOMAIN and DEPLOY_CERTIFICATE_ARN (see deploy/config.py).
deploy: $(INSTALLED)
	$(BIN)/python -m deploy.preflight
	scripts/fetch_cdk_cli.sh
	cd deploy && ../.local/cdk/node_modules/.bin/cdk deploy --all
	$(BIN)/python -m deploy.run_task
