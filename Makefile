# Two commands do all the setup: `make serve` (install, migrate, load the article, serve on 127.0.0.1:8000)
# and `make test` (install the test tools, run the whole suite). Both are safe to run again.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: serve install install-dev migrate load test verify clean prod loadtest \
	check check-format check-lint check-types check-complexity check-lines check-migrations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Loads the article fixtures once (a second run keeps curators' edits) and records them in the history.
load: migrate
	$(BIN)/python manage.py load_article

serve: load
	$(BIN)/python manage.py runserver $(HOST)

# Production: gunicorn + whitenoise with DEBUG off; needs SECRET_KEY and ALLOWED_HOSTS (README, "Run in production").
prod: load
	PYTHON=$(BIN)/python scripts/serve-production

# The full load run against gunicorn (README, "Load test"); CI runs a short version in tests/system/test_load.py.
loadtest: install-dev
	$(BIN)/python scripts/loadtest.py $(LOADTEST_ARGS)

verify: load
	$(BIN)/python manage.py verify_evidence

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The code checks CI runs before the tests (.ci/run) and pre-commit before a commit (.pre-commit-config.yaml): format,
# lint, types, complexity (no function above radon grade C), module size (400 lines) and no missing migration.
# `make -k check` runs them all and reports every failure, not only the first.
check: check-format check-lint check-types check-complexity check-lines check-migrations

check-format: install-dev
	$(BIN)/ruff format --check .

check-lint: install-dev
	$(BIN)/ruff check .

check-types: install-dev
	$(BIN)/mypy

check-complexity: install-dev
	PYTHON=$(BIN)/python scripts/check-complexity

check-lines:
	scripts/check-lines

check-migrations: install-dev
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
