"""The Great Expectations suites: each fails on data built to break it and passes on good data;
an expectation that errors fails its suite; memory is bounded by batches."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import CASES_DIR, PROJECT_DIR, run_pipeline

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import validate as quality  # noqa: E402
from warehouse import DuckDBWarehouse  # noqa: E402

DEFAULT_PARAMETERS = {"quarantine_warn_rate": 0.01, "quarantine_fail_rate": 0.10}
SUITES = sorted(path.stem for path in (PROJECT_DIR / "expectations").glob("*.json"))

# One change per suite that breaks exactly what the suite guards.
BREAKERS = {
    "raw_schema": "alter table raw.orders add column extra_column varchar",
    "marts_schema": "alter table marts.fct_orders alter amount type double",
    "raw_quality": "update audit.row_reconciliation set quarantine_rate = 0.5 where raw_table = 'orders'",
    "marts_keys_and_volume": "update audit.mart_profiles set distinct_keys = row_count - 1 where mart_name = 'fct_orders'",
    # (also: a mart with fewer rows than its inputs give it, see
    # test_mart_volume_is_compared_with_its_own_inputs_and_said_in_words)
    "dim_customers": "update marts.dim_customers set customer_type = 'vip' where person_id = 'c1'",
    "customer_lifecycle_stages": "update marts.customer_lifecycle_stages set stage_rank = 9 where person_id = 'c1'",
    "fct_orders": "update marts.fct_orders set amount = -1 where order_id = 'o1'",
    "fct_touchpoints": "update marts.fct_touchpoints set person_id = null where touchpoint_id = 't1'",
    "lifecycle_funnel": "update marts.lifecycle_funnel set persons_entered = 1000 where stage_rank = 7",
    "customer_type_summary": "update marts.customer_type_summary set customer_type = 'potential' where customer_type = 'new'",
    "customer_type_totals": "update audit.customer_type_totals set share_of_persons_total = 1.1",
}


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo pipeline's published warehouse: every suite passes on it."""
    warehouse = tmp_path_factory.mktemp("good") / "lifecycle.duckdb"
    run = run_pipeline(warehouse, "--raw-dir", str(CASES_DIR / "worked_example" / "raw"))
    assert run.returncode == 0, run.stderr[-3000:]
    return warehouse


def broken_copy(good: Path, tmp_path: Path, statement: str) -> Path:
    copy = tmp_path / "broken.duckdb"
    shutil.copyfile(good, copy)
    with duckdb.connect(str(copy)) as con:
        if statement.startswith("alter table raw."):
            # raw.orders is a view over the fixture file in this warehouse: make it a table
            con.execute("create table raw.orders_copy as select * from raw.orders")
            con.execute("drop view raw.orders")
            con.execute("alter table raw.orders_copy rename to orders")
        con.execute(statement)
    return copy


def validate_file(path: Path, *args, **kwargs) -> list[quality.SuiteResult]:
    with DuckDBWarehouse(path) as wh:
        return quality.validate(wh, *args, **kwargs)


def statuses(results: list[quality.SuiteResult]) -> dict[str, str]:
    return {result.name: result.status for result in results}


def test_every_suite_has_a_breaker():
    assert set(BREAKERS) == set(SUITES)


def test_all_suites_pass_on_good_data(good_warehouse: Path, tmp_path: Path):
    results = validate_file(good_warehouse, tmp_path / "docs", DEFAULT_PARAMETERS)
    assert statuses(results) == {name: "passed" for name in SUITES}
    assert all(result.batches >= 1 for result in results)


@pytest.mark.parametrize("suite", sorted(BREAKERS))
def test_suite_fails_on_data_built_to_break_it(suite: str, good_warehouse: Path, tmp_path: Path):
    broken = broken_copy(good_warehouse, tmp_path, BREAKERS[suite])
    results = statuses(validate_file(broken, tmp_path / "docs", DEFAULT_PARAMETERS))
    assert results[suite] == "failed"
    others = {name: status for name, status in results.items() if name != suite}
    # a broken type also trips the row checks of that mart; nothing else may move
    allowed = {"marts_schema": {"fct_orders"}, "raw_schema": set()}.get(suite, set())
    assert {name for name, status in others.items() if status != "passed"} <= allowed


def test_quarantine_rate_between_thresholds_only_warns(good_warehouse: Path, tmp_path: Path):
    broken = broken_copy(
        good_warehouse, tmp_path,
        "update audit.row_reconciliation set quarantine_rate = 0.05 where raw_table = 'orders'",
    )
    results = {r.name: r for r in validate_file(broken, tmp_path / "docs", DEFAULT_PARAMETERS)}
    assert results["raw_quality"].status == "warned"
    assert results["raw_quality"].warned and not results["raw_quality"].failed
    stricter = {"quarantine_warn_rate": 0.01, "quarantine_fail_rate": 0.04}
    assert statuses(validate_file(broken, tmp_path / "docs", stricter))["raw_quality"] == "failed"


def test_an_erroring_expectation_fails_its_suite(good_warehouse: Path, tmp_path: Path):
    suites = tmp_path / "expectations"
    suites.mkdir()
    (suites / "broken_suite.json").write_text(json.dumps({
        "name": "broken_suite",
        "meta": {"dataset": {"kind": "relation", "relation": "marts.fct_orders"}},
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "no_such_column"}}
        ],
    }))
    [result] = validate_file(good_warehouse, tmp_path / "docs", DEFAULT_PARAMETERS, suites)
    assert result.status == "errored"
    assert result.errored


def test_tables_are_validated_in_bounded_batches(good_warehouse: Path, tmp_path: Path):
    big = tmp_path / "big.duckdb"
    shutil.copyfile(good_warehouse, big)
    with duckdb.connect(str(big)) as con:
        con.execute(
            "insert into marts.fct_touchpoints select 'x' || range, 'p', null, 'c', "
            "timestamp '2026-01-01', 'email', 'page_view', 'interest', null from range(5000)"
        )
    results = {r.name: r for r in validate_file(big, tmp_path / "docs", DEFAULT_PARAMETERS, batch_rows=2048)}
    assert results["fct_touchpoints"].batches == 3
    assert results["fct_touchpoints"].rows == 5006
    assert results["fct_touchpoints"].status == "passed"


def test_a_whole_table_check_refuses_to_split(good_warehouse: Path, tmp_path: Path):
    big = tmp_path / "big.duckdb"
    shutil.copyfile(good_warehouse, big)
    with duckdb.connect(str(big)) as con:
        con.execute(
            "insert into marts.customer_type_summary select 'potential', 0, 0, 0, 0, null from range(3000)"
        )
    with pytest.raises(quality.ValidationSetupError, match="does not fit one batch"):
        validate_file(big, tmp_path / "docs", DEFAULT_PARAMETERS, batch_rows=2048)


def test_validate_script_exit_status_and_docs(good_warehouse: Path, tmp_path: Path):
    import subprocess

    broken = broken_copy(good_warehouse, tmp_path, BREAKERS["fct_orders"])
    for warehouse, expected in ((good_warehouse, 0), (broken, 1)):
        done = subprocess.run(
            [sys.executable, str(PROJECT_DIR / "scripts" / "validate.py"), "--warehouse", str(warehouse),
             "--docs-dir", str(tmp_path / "docs")],
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == expected, done.stdout + done.stderr
        assert (tmp_path / "docs" / "index.html").is_file()
        lines = [line for line in done.stdout.splitlines() if line.split(" ")[0] in {"PASSED", "FAILED", "WARNED", "ERRORED"}]
        assert len(lines) == len(SUITES)


def test_mart_volume_is_compared_with_its_own_inputs_and_said_in_words(good_warehouse: Path, tmp_path: Path):
    """A mart that lost a row fails marts_keys_and_volume, and the failing line says which mart
    and what was expected: mart_profiles recomputed by dbt on the damaged marts."""
    import os
    import subprocess

    broken = broken_copy(
        good_warehouse, tmp_path,
        "delete from marts.fct_orders where order_id = 'o1';"
        "delete from marts.customer_lifecycle_stages where person_id = 'c1' and stage_rank = 3",
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--select", "mart_profiles",
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(tmp_path / "dbt_target"), "--log-path", str(tmp_path / "dbt_logs")],
        cwd=PROJECT_DIR, env={**os.environ, "LIFECYCLE_WAREHOUSE": str(broken), "DO_NOT_TRACK": "1"},
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    results = {r.name: r for r in validate_file(broken, tmp_path / "docs", DEFAULT_PARAMETERS)}
    volume = results["marts_keys_and_volume"]
    assert volume.status == "failed"
    assert volume.failed == [
        "expect_column_values_to_be_null(volume_problem) e.g. ["
        "'customer_lifecycle_stages has 29 rows, expected 30: each person with a stage: one row "
        "per stage up to the highest one reached', "
        "'fct_orders has 6 rows, expected 7: one row per kept order']"
    ]
    assert "FAILED   marts_keys_and_volume (1 batch, 6 rows, failed: " in volume.line()
