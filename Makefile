# The two commands a newcomer types: `make run` and `make test`. Everything else is set up from here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two stamps: the app's own dependencies (all `make run` needs), and the test tools on top (`make test`, lint, ...).
APP_STAMP  := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install lint bench loadtest screenshots worker beat messages

$(APP_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "financeplanner needs Python 3.11 or newer.")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(APP_STAMP)

$(TEST_STAMP): $(APP_STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(TEST_STAMP)

install: $(TEST_STAMP)

# The demo on SQLite, tasks inline: http://127.0.0.1:8000/ (only the app's dependencies: no test tools)
run: $(APP_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  financeplanner demo:  http://127.0.0.1:8000/   log in as  demo / demo-password"
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The whole suite against real PostgreSQL, Redis, a Celery worker and Chromium.
test: $(TEST_STAMP)
	@scripts/ensure_services.sh
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/financeplanner} \
	CELERY_BROKER_URL=$${TEST_CELERY_BROKER_URL:-redis://127.0.0.1:6379/15} \
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# ruff's rules and format, and mypy over the services, selectors and engine ([tool.mypy] in pyproject.toml).
# All three run, so one failure does not hide the others.
lint: $(TEST_STAMP)
	status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_engine.py

messages: $(APP_STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

# The API load test (not part of `make test`): gunicorn + locust on 127.0.0.1, 50 users for 60 s, against PostgreSQL.
loadtest: $(TEST_STAMP)
	loadtest/run.sh
