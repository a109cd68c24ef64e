# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export DBT_PROFILES_DIR := $(CURDIR)
# dbt writes no anonymous usage events from here (there is no network to send them to anyway).
export DO_NOT_TRACK := 1

.PHONY: setup compat-venv docs-assets browser engines demo test lint dbt-build pytest clean lock

setup: $(STAMP)

$(STAMP):
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	# the project's Python package (lifecycle/, lifecycle_dev/, baselines/), editable: no copy to
	# keep in step; built by the venv's setuptools and the locked wheel, nothing downloaded
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

## DuckDB 1.1.3, the oldest release the published warehouse is tested to open with.
compat-venv: $(VENV)-compat/.installed
$(VENV)-compat/.installed:
	rm -rf $(VENV)-compat
	$(PYTHON) -m venv $(VENV)-compat
	$(VENV)-compat/bin/pip install --quiet --disable-pip-version-check duckdb==1.1.3
	touch $@

## Offline copies of the styles and scripts Data Docs load from CDNs (npm registry). Without npm
## the docs keep their CDN links and need a network to show their tables.
DOCS_ASSETS := lifecycle/data_docs_assets
docs-assets: $(DOCS_ASSETS)/node_modules/.package-lock.json
$(DOCS_ASSETS)/node_modules/.package-lock.json: $(DOCS_ASSETS)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(DOCS_ASSETS) --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else echo "WARNING: npm not found: Data Docs will load their assets from CDNs"; fi

## Headless Chromium for the Data Docs test (Debian packages); tests skip loudly without it.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) || \
		echo "WARNING: could not install chromium: the Data Docs browser test will be skipped"

## The other engines the tests run the models on: PostgreSQL server binaries (initdb, pg_ctl; the
## tests start a throwaway server) and Java 17 for the local Spark session. Installed from Debian's
## packages when missing; without them the tests fail with the reason (they never skip).
engines:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || \
		echo "WARNING: no PostgreSQL server binaries and apt-get failed: the postgres tests will fail"
	@command -v java >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) || \
		echo "WARNING: no Java and apt-get failed: the spark tests will fail"

## Run the pipeline on the bundled demo data and print the summary.
demo: setup docs-assets
	$(BIN)/python scripts/run_pipeline.py

## Every check: SQL lint, dbt build with all data and unit tests on the demo data, pytest.
test: setup lint dbt-build pytest

# In the checks a deprecated dbt construct is an error, not a warning that scrolls by.
lint dbt-build pytest: export DBT_WARN_ERROR_OPTIONS := {"error": ["Deprecations"]}

lint: setup
	LIFECYCLE_WAREHOUSE=$(CURDIR)/target/lint.duckdb $(BIN)/sqlfluff lint models macros tests

# --full-refresh: the check builds everything from scratch, whatever an earlier run left in target/
# --unit-tests: every dbt unit test runs here, once (pipeline runs leave them out by default)
dbt-build: setup docs-assets
	$(BIN)/python scripts/run_pipeline.py --warehouse target/test_demo.duckdb --full-refresh --unit-tests

pytest: setup compat-venv docs-assets browser engines
	$(BIN)/python -m pytest

clean:
	rm -rf target logs warehouse/*.duckdb warehouse/reports warehouse/spark warehouse/postgres $(VENV) $(VENV)-compat

## Re-resolve the pins from pyproject.toml (needs the package index).
lock:
	rm -rf /tmp/lifecycle-lock && $(PYTHON) -m venv /tmp/lifecycle-lock
	/tmp/lifecycle-lock/bin/pip install --quiet . wheel
	(echo "# Fully pinned environment (pip freeze of a fresh venv). Regenerate with: make lock"; \
	 /tmp/lifecycle-lock/bin/pip freeze --exclude customer-lifecycle-warehouse) > requirements.lock
