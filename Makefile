# leadflow: `make run` serves on http://127.0.0.1:8000, `make test` runs the suite on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_TEST_URL ?= $(or $(LEADFLOW_TEST_DATABASE_URL),postgresql://postgres@127.0.0.1:5432/postgres)
PYTEST_WORKERS ?= 2
WEB_VENDOR := src/leadflow/web/static/vendor

.PHONY: install run migrate serve worker test test-sqlite test-postgres lint bench clean demo browser compile

$(STAMP): pyproject.toml package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(WEB_VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(WEB_VENDOR)/htmx.min.js
	mkdir -p $(WEB_VENDOR)/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
		node_modules/swagger-ui-dist/LICENSE $(WEB_VENDOR)/swagger-ui/
	mkdir -p $(WEB_VENDOR)/chart
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md $(WEB_VENDOR)/chart/
	cp node_modules/@kurkle/color/LICENSE $(WEB_VENDOR)/chart/LICENSE-kurkle-color.md
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

PORT ?= 8000

install: $(STAMP)

migrate: install
	$(BIN)/leadflow migrate

demo: install
	$(BIN)/leadflow migrate
	$(BIN)/leadflow demo

run: install
	$(BIN)/leadflow migrate
	LEADFLOW_BASE_URL=$${LEADFLOW_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/leadflow serve --host 127.0.0.1 --port $(PORT)

worker: install
	LEADFLOW_BASE_URL=$${LEADFLOW_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/leadflow worker

lint: install
	$(BIN)/lint-imports

# The browser tests (tests/browser) drive Debian's Chromium; they run in the SQLite pass only.
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# Compiled modules ahead: every server and command a test starts imports them (PYTHONDONTWRITEBYTECODE may be set).
# One OpenMP thread per process: xdist runs one process per core already (spinning threads slow training 5x).
TEST_ENV := OMP_NUM_THREADS=1

compile: install
	$(BIN)/python -m compileall -q src tests

test-sqlite: install browser compile
	env -u LEADFLOW_TEST_DATABASE_URL LEADFLOW_BROWSER_TESTS=required $(TEST_ENV) $(BIN)/pytest -n $(PYTEST_WORKERS) \
		--durations=15 tests

test-postgres: install compile
	@if $(BIN)/python scripts/pg_reachable.py "$(PG_TEST_URL)"; then \
		echo "== the suite again on PostgreSQL"; \
		LEADFLOW_TEST_DATABASE_URL="$(PG_TEST_URL)" $(TEST_ENV) $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser" \
			--durations=15 tests; \
	fi

test: lint test-sqlite test-postgres

bench: install
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	test -x /usr/bin/time || (apt-get update && apt-get install -y time)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) *.egg-info src/*.egg-info
