# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export DBT_PROFILES_DIR := $(CURDIR)
# dbt writes no anonymous usage events from here (there is no network to send them to anyway).
export DO_NOT_TRACK := 1

.PHONY: setup demo test lint dbt-build pytest docs clean lock

setup: $(STAMP)

$(STAMP):
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

## Run the pipeline on the bundled demo data and print the summary.
demo: setup
	$(BIN)/python scripts/run_pipeline.py

## Every check: SQL lint, dbt build with all data and unit tests on the demo data, pytest.
test: setup lint dbt-build pytest

# In the checks a deprecated dbt construct is an error, not a warning that scrolls by.
lint dbt-build pytest: export DBT_WARN_ERROR_OPTIONS := {"error": ["Deprecations"]}

lint: setup
	LIFECYCLE_WAREHOUSE=$(CURDIR)/target/lint.duckdb $(BIN)/sqlfluff lint models macros tests

# --full-refresh: the check builds everything from scratch, whatever an earlier run left in target/
dbt-build: setup
	$(BIN)/python scripts/run_pipeline.py --warehouse target/test_demo.duckdb --full-refresh

pytest: setup
	$(BIN)/python -m pytest

clean:
	rm -rf target logs warehouse/*.duckdb $(VENV)

## Re-resolve the pins from pyproject.toml (needs the package index).
lock:
	rm -rf /tmp/lifecycle-lock && $(PYTHON) -m venv /tmp/lifecycle-lock
	/tmp/lifecycle-lock/bin/pip install --quiet .
	(echo "# Fully pinned environment (pip freeze of a fresh venv). Regenerate with: make lock"; \
	 /tmp/lifecycle-lock/bin/pip freeze --exclude customer-lifecycle-warehouse) > requirements.lock
