# The two commands: `make run` (whole local stack) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test bench lint format setup tools clean-data synth deploy screenshots messages

run: setup
	$(BIN)/python manage.py devstack

test: setup
	@scripts/check_tools.sh --browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	@scripts/check_tools.sh --bench
	$(BIN)/python -m bench

# PNGs of every kind of page (desktop and phone, light and dark) into docs/screenshots/.
screenshots: setup
	@scripts/check_tools.sh --browser
	$(BIN)/python -m pytest tests/e2e/screenshots.py -p no:cacheprovider

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Compiled translations (locale/<language>/LC_MESSAGES/django.mo) from the .po files.
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

setup: tools $(INSTALLED) .local/dynamodb-local/DynamoDBLocal.jar static/vendor/.stamp $(MESSAGES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	msgfmt --check-format -o $@ $<

# After changing user-facing text: collect the strings into the .po files to translate.
messages: $(INSTALLED)
	$(BIN)/python manage.py makemessages --locale vi --ignore '.venv/*' --ignore 'cdk.out/*' --ignore 'deploy/*' --ignore '.local/*' --ignore 'bench/*' --ignore 'tests/*' --ignore '*/tests/*' --ignore '.data/*'

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
