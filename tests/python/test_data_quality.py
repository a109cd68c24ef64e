"""The data checks of the warehouse, each made once (docs/decisions.md #84): the Great Expectations
suites (quarantine rates, reconciliation between tables, volumes, the raw inputs' columns) each
fail on data built to break them, pass on good data and say what they saw in words; an
expectation that errors fails its suite; memory is bounded by batches. What the suites no longer
restate (keys, nulls, value sets, ranges, the marts' columns and types) is a dbt data test or the
marts' enforced contract, and each such removed expectation is shown caught by its dbt test on the
same bad data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import CASES_DIR, PROJECT_DIR, run_pipeline
from lifecycle import quality_messages as messages
from lifecycle import validate as quality
from lifecycle.engines.duckdb import DuckDBWarehouse

DEFAULT_PARAMETERS = {"quarantine_warn_rate": 0.01, "quarantine_fail_rate": 0.10}
SUITES = sorted(path.stem for path in (PROJECT_DIR / "expectations").glob("*.json"))

# One change per suite that breaks exactly what the suite guards.
BREAKERS = {
    "raw_schema": "alter table raw.orders add column extra_column varchar",
    "raw_quality": "update audit.row_reconciliation set quarantine_rate = 0.5 where raw_table = 'orders'",
    # (the marts themselves with fewer rows than their inputs give them, mart_profiles recomputed
    # by dbt: test_mart_volume_is_compared_with_its_own_inputs_and_said_in_words)
    "marts_volume": "update audit.mart_profiles set volume_problem = 'fct_orders has 6 rows, expected 7: "
                    "one row per kept order' where mart_name = 'fct_orders'",
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
    assert {name for name, status in others.items() if status != "passed"} == set()


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
    [line] = result.sentences()
    # the table and the column in words, then GX's own first line of the error
    assert line.startswith("error fct_orders: could not check no_such_column: "), line


# No suite of the project reads a mart row by row any more (a row's nulls, sets and ranges are dbt
# tests, docs/decisions.md #84), but validate.py still reads any relation in batches, for the
# distributions to come: this suite, written for the tests only, keeps that machinery checked.
ROW_LEVEL_SUITE = {
    "name": "touchpoint_rows",
    "meta": {"dataset": {"kind": "relation", "relation": "marts.fct_touchpoints", "key": ["touchpoint_id"]}},
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "person_id"}, "severity": "critical"}
    ],
}


def write_suite(folder: Path, document: dict) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / f"{document['name']}.json").write_text(json.dumps(document))
    return folder


def test_tables_are_validated_in_bounded_batches(good_warehouse: Path, tmp_path: Path):
    big = tmp_path / "big.duckdb"
    shutil.copyfile(good_warehouse, big)
    with duckdb.connect(str(big)) as con:
        con.execute(
            "insert into marts.fct_touchpoints select 'x' || range, 'p', null, 'c', "
            "timestamp '2026-01-01', 'email', 'page_view', 'interest', null from range(5000)"
        )
    suites = write_suite(tmp_path / "expectations", ROW_LEVEL_SUITE)
    [result] = validate_file(big, tmp_path / "docs", DEFAULT_PARAMETERS, suites, batch_rows=2048)
    assert (result.batches, result.rows, result.status) == (3, 5006, "passed")


def test_a_whole_table_check_refuses_to_split(good_warehouse: Path, tmp_path: Path):
    big = tmp_path / "big.duckdb"
    shutil.copyfile(good_warehouse, big)
    with duckdb.connect(str(big)) as con:
        con.execute("insert into audit.mart_profiles select profiles.* from audit.mart_profiles as profiles, range(500)")
    with pytest.raises(quality.ValidationSetupError, match="does not fit one batch"):
        validate_file(big, tmp_path / "docs", DEFAULT_PARAMETERS, batch_rows=2048)


def test_validate_script_exit_status_and_docs(good_warehouse: Path, tmp_path: Path):
    import subprocess

    broken = broken_copy(good_warehouse, tmp_path, BREAKERS["customer_type_totals"])
    for warehouse, expected in ((good_warehouse, 0), (broken, 1)):
        done = subprocess.run(
            [sys.executable, str(PROJECT_DIR / "scripts" / "validate.py"), "--warehouse", str(warehouse),
             "--reports-dir", str(tmp_path / "reports")],
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == expected, done.stdout + done.stderr
        assert (tmp_path / "reports" / "data_docs" / "index.html").is_file()
        lines = [line for line in done.stdout.splitlines() if line.split(" ")[0] in {"PASSED", "FAILED", "WARNED", "ERRORED"}]
        assert len(lines) == len(SUITES)
    # the broken suite's line, then what broke it in words, indented beneath
    printed = done.stdout.splitlines()
    at = printed.index("FAILED   customer_type_totals (1 batch, 1 row)")
    assert printed[at + 1:at + 3] == [
        "    fail  customer_type_summary: the shares of persons add up to 1.1, not 1",
        "PASSED   marts_volume (1 batch, 6 rows)",
    ]


def test_mart_volume_is_compared_with_its_own_inputs_and_said_in_words(good_warehouse: Path, tmp_path: Path):
    """A mart that lost a row fails marts_volume, and the failing line says which mart and what
    was expected: mart_profiles recomputed by dbt on the damaged marts. (The funnel's 7 rows and
    the type summary's 5 were also expectations of those marts' own suites: said once, here.)"""
    import os
    import subprocess

    broken = broken_copy(
        good_warehouse, tmp_path,
        "delete from marts.fct_orders where order_id = 'o1';"
        "delete from marts.customer_lifecycle_stages where person_id = 'c1' and stage_rank = 3;"
        # an empty mart names its inputs, with the count written for people
        "delete from marts.fct_touchpoints;"
        "delete from marts.lifecycle_funnel where stage_rank = 7;"
        "insert into marts.customer_type_summary select 'vip', 0, 0, 0, 0, null;"
        "update audit.row_reconciliation set kept_rows = 1204 where raw_table = 'touchpoints'",
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
    volume = results["marts_volume"]
    assert volume.status == "failed"
    assert volume.lines() == [
        "FAILED   marts_volume (1 batch, 6 rows)",
        "    fail  customer_lifecycle_stages has 29 rows, expected 30: each person with a stage: one "
        "row per stage up to the highest one reached",
        "    fail  customer_type_summary has 6 rows, expected 5: one row per customer type, always",
        "    fail  fct_orders has 6 rows, expected 7: one row per kept order",
        "    fail  fct_touchpoints is empty although touchpoints has 1,204 kept rows",
        "    fail  lifecycle_funnel has 6 rows, expected 7: one row per lifecycle stage, always",
    ]


# --- what a failed or warned suite says (issue 12) ----------------------------------------------
# Each case builds the few tables one suite reads, directly with duckdb, and gives the exact lines
# the suite prints. No pipeline run: the sentences depend on the audit tables' values only.

RAW_RECONCILIATION = (
    "create schema audit; create table audit.row_reconciliation as select * from (values {rows}) "
    "as t(raw_table, raw_rows, kept_rows, collapsed_rows, quarantined_rows, after_as_of_rows, "
    "unaccounted_rows, quarantine_rate)"
)


def quarantine(table: str, **reasons: int) -> str:
    """audit.quarantined_<table> with so many rows of each reason (only the reason matters)."""
    rows = " union all ".join(
        f"select '{reason}' as quarantine_reason from range({rows})" for reason, rows in reasons.items()
    ) or "select null::varchar as quarantine_reason where false"
    return f"create table audit.quarantined_{table} as {rows}"


def reconciliation(*rows: str, quarantined_orders: dict[str, int] | None = None,
                   quarantined_touchpoints: dict[str, int] | None = None) -> list[str]:
    return [
        RAW_RECONCILIATION.format(rows=", ".join(rows)),
        quarantine("orders", **(quarantined_orders or {})),
        quarantine("touchpoints", **(quarantined_touchpoints or {})),
    ]


MART_PROFILES = (
    "create schema audit; create table audit.mart_profiles as select * from (values {rows}) "
    "as t(mart_name, row_count, volume_problem)"
)
GOOD_PROFILES = {
    "customer_lifecycle_stages": "('customer_lifecycle_stages', 30, null)",
    "customer_type_summary": "('customer_type_summary', 5, null)",
    "dim_customers": "('dim_customers', 6, null)",
    "fct_orders": "('fct_orders', 7, null)",
    "fct_touchpoints": "('fct_touchpoints', 1204, null)",
    "lifecycle_funnel": "('lifecycle_funnel', 7, null)",
}


def profiles(**changed: str) -> list[str]:
    return [MART_PROFILES.format(rows=", ".join({**GOOD_PROFILES, **changed}.values()))]


def contract_tables(suite: str, *changes: str) -> list[str]:
    """The tables of a schema suite's contract, as its value set lists them, then `changes`."""
    document = json.loads((PROJECT_DIR / "expectations" / f"{suite}.json").read_text())
    [contract] = [item["kwargs"]["value_set"] for item in document["expectations"]
                  if item["type"] == "expect_column_values_to_be_in_set"]
    tables: dict[str, list[str]] = {}
    for entry in contract:
        name, _, data_type = entry.partition(" ")
        relation, _, column = name.rpartition(".")
        tables.setdefault(relation, []).append(f"{column} {data_type}")
    schemas = sorted({relation.split(".")[0] for relation in tables})
    return [*(f"create schema {schema}" for schema in schemas),
            *(f"create table {relation} ({', '.join(columns)})" for relation, columns in tables.items()),
            *changes]


MESSAGE_CASES = {
    # the quarantine rate: share per reason, the limit by its parameter's name
    "raw_quality above the fail rate": (
        "raw_quality",
        reconciliation("('orders', 1000, 889, 0, 111, 0, 0, 0.111)",
                       "('touchpoints', 1204, 1204, 0, 0, 0, 0, 0.0)",
                       quarantined_orders={"invalid_amount": 98, "missing_id": 13}),
        ["FAILED   raw_quality (1 batch, 2 rows)",
         "    fail  orders: 11.1 % of rows quarantined (invalid_amount 9.8 %, missing_id 1.3 %) "
         "> quarantine_fail_rate 10 %"],
    ),
    "raw_quality above the warn rate only": (
        "raw_quality",
        reconciliation("('orders', 1000, 1000, 0, 0, 0, 0, 0.0)",
                       "('touchpoints', 1204, 1183, 0, 21, 0, 0, 0.01744186046511628)",
                       quarantined_touchpoints={"no_identity": 20, "missing_id": 1}),
        ["WARNED   raw_quality (1 batch, 2 rows)",
         "    warn  touchpoints: 1.7 % of rows quarantined (no_identity 1.7 %, missing_id 0.1 %) "
         "> quarantine_warn_rate 1 %"],
    ),
    "raw_quality one table fails, the other warns": (
        "raw_quality",
        reconciliation("('orders', 9, 7, 0, 2, 0, 0, 0.2222222222222222)",
                       "('touchpoints', 1204, 1183, 0, 21, 0, 0, 0.01744186046511628)",
                       quarantined_orders={"invalid_amount": 1, "invalid_timestamp": 1},
                       quarantined_touchpoints={"no_identity": 21}),
        ["FAILED   raw_quality (1 batch, 2 rows)",
         "    fail  orders: 22.2 % of rows quarantined (invalid_amount 11.1 %, invalid_timestamp 11.1 %) "
         "> quarantine_fail_rate 10 %",
         "    warn  touchpoints: 1.7 % of rows quarantined (no_identity 1.7 %) > quarantine_warn_rate 1 %"],
    ),
    "raw_quality rows not accounted for": (
        "raw_quality",
        reconciliation("('orders', 1000, 990, 0, 5, 0, 5, 0.005)",
                       "('touchpoints', 1204, 1204, 0, 0, 0, 0, 0.0)",
                       quarantined_orders={"invalid_amount": 5}),
        ["FAILED   raw_quality (1 batch, 2 rows)",
         "    fail  orders: 1,000 raw rows but 990 kept + 0 collapsed + 5 quarantined + 0 after as_of; "
         "every raw row must be counted once"],
    ),
    # the marts' volumes: the audit model's own sentence
    "marts_volume": (
        "marts_volume",
        profiles(fct_orders="('fct_orders', 1204, 'fct_orders has 1,204 rows, expected 1,205: one row per kept order')",
                 fct_touchpoints="('fct_touchpoints', 0, "
                                 "'fct_touchpoints is empty although touchpoints has 1,204 kept rows')"),
        ["FAILED   marts_volume (1 batch, 6 rows)",
         "    fail  fct_orders has 1,204 rows, expected 1,205: one row per kept order",
         "    fail  fct_touchpoints is empty although touchpoints has 1,204 kept rows"],
    ),
    "marts_volume a mart not profiled": (
        "marts_volume",
        [MART_PROFILES.format(rows=", ".join(row for name, row in GOOD_PROFILES.items() if name != "lifecycle_funnel"))],
        ["FAILED   marts_volume (1 batch, 5 rows)",
         "    fail  mart_profiles has 5 rows, expected 6: one per mart"],
    ),
    "customer_type_totals": (
        "customer_type_totals",
        ["create schema audit", "create table audit.customer_type_totals as "
         "select 1204 as persons_in_summary, 1205 as persons_in_dim_customers, 0.99 as share_of_persons_total"],
        ["FAILED   customer_type_totals (1 batch, 1 row)",
         "    fail  customer_type_summary counts 1,204 persons but dim_customers has 1,205: every person "
         "has exactly one type",
         "    fail  customer_type_summary: the shares of persons add up to 0.99, not 1"],
    ),
    "customer_type_totals not one row": (
        "customer_type_totals",
        ["create schema audit", "create table audit.customer_type_totals as "
         "select 6 as persons_in_summary, 6 as persons_in_dim_customers, 1.0 as share_of_persons_total from range(2)"],
        ["FAILED   customer_type_totals (1 batch, 2 rows)",
         "    fail  customer_type_totals has 2 rows, expected 1"],
    ),
    # the raw inputs' columns: which column, and what the inputs' contract (definitions §2) says
    "raw_schema a column added": (
        "raw_schema",
        contract_tables("raw_schema", "alter table raw.orders add column extra_column varchar"),
        ["FAILED   raw_schema (1 batch, 15 rows)",
         "    fail  the raw inputs have 15 columns, expected 14 (none of the contracted ones missing)",
         "    fail  raw.orders.extra_column VARCHAR: not in the contract"],
    ),
    "raw_schema a column missing": (
        "raw_schema",
        contract_tables("raw_schema", "alter table raw.touchpoints drop column campaign"),
        ["FAILED   raw_schema (1 batch, 13 rows)",
         "    fail  the raw inputs have 13 columns, expected 14 (missing raw.touchpoints.campaign VARCHAR)"],
    ),
    # a row-level suite (written for the tests, ROW_LEVEL_SUITE): n of N rows over every batch,
    # examples named by the key
    "a row-level suite counted over every batch": (
        ROW_LEVEL_SUITE,
        ["create schema marts", "create table marts.fct_touchpoints as select 't' || range as touchpoint_id, "
         "case when range % 2 = 0 then null else 'p' end as person_id, timestamp '2026-01-01' as occurred_at, "
         "'interest' as lifecycle_stage from range(5000) order by range"],
        ["FAILED   touchpoint_rows (3 batches, 5,000 rows)",
         "    fail  fct_touchpoints: 2,500 of 5,000 rows have no person_id (touchpoint_id t0, t2, t4 and 2,497 more)"],
    ),
}


@pytest.mark.parametrize("case", sorted(MESSAGE_CASES))
def test_a_failing_suite_says_what_it_saw_in_words(case: str, tmp_path: Path):
    suite, statements, expected = MESSAGE_CASES[case]
    warehouse = tmp_path / "small.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for statement in statements:
            con.execute(statement)
    suites = tmp_path / "expectations"
    if isinstance(suite, dict):
        write_suite(suites, suite)
    else:
        suites.mkdir()
        shutil.copyfile(PROJECT_DIR / "expectations" / f"{suite}.json", suites / f"{suite}.json")
    [result] = validate_file(warehouse, tmp_path / "docs", DEFAULT_PARAMETERS, suites, batch_rows=2048)
    assert result.lines() == expected
    # the run report keeps the same sentences
    assert [f"{quality.LABELS[kind]:<5} {text}" for kind in ("errored", "failed", "warned")
            for text in result.as_dict()[kind]] == [line.strip() for line in expected[1:]]


def test_every_suite_kind_has_a_message_case():
    assert {suite for suite, _, _ in MESSAGE_CASES.values() if isinstance(suite, str)} == set(SUITES)


@pytest.mark.parametrize(("value", "text"), [
    (1204, "1,204"), (np.int64(1204), "1,204"), (np.float64(3.0), "3"), (-2.5, "-2.5"),
    (1234567.891, "1,234,567.89"), (0.001234, "0.0012"), (None, "null"), (float("nan"), "null"),
    (np.bool_(True), "true"), (pd.Timestamp("2026-01-01"), "2026-01-01"),
    (pd.Timestamp("2026-01-01 09:30"), "2026-01-01 09:30:00"),
    (np.datetime64("2026-01-01T09:30"), "2026-01-01 09:30:00"),
])
def test_values_are_written_for_people(value: object, text: str):
    assert messages.human(value) == text


@pytest.mark.parametrize(("ratio", "text"), [
    (0.111, "11.1 %"), (0.1, "10 %"), (0.01744, "1.7 %"), (0.0004, "< 0.1 %"), (0.0, "0 %"), (1.0, "100 %"),
])
def test_shares_are_percentages_with_one_decimal(ratio: float, text: str):
    assert messages.percent(ratio) == text


# --- what the suites no longer restate: dbt tests and contracts (docs/decisions.md #84) ----------
# Each expectation removed from a suite, the bad data that failed it, and the dbt test that fails
# on that data now. The test's SQL is the one the demo build compiled (its manifest), run on a copy
# of the good warehouse with the bad data in it, inside a transaction rolled back after each case.
# The keys' NOT NULL columns are also constraints of the enforced contract: the database refuses
# the bad row before any test (shown by test_a_contract_not_null_refuses_a_missing_key); to show
# the test too, the constraint is dropped first.

def drop_not_null(table: str, column: str) -> str:
    return f"alter table marts.{table} alter column {column} drop not null; "


REMOVED_EXPECTATIONS = {
    # suite dim_customers
    "dim_customers person_id not null": (
        drop_not_null("dim_customers", "person_id") + "update marts.dim_customers set person_id = null where person_id = 'c1'",
        "not_null_dim_customers_person_id"),
    "dim_customers customer_type not null": (
        "update marts.dim_customers set customer_type = null where person_id = 'c1'",
        "not_null_dim_customers_customer_type"),
    "dim_customers customer_type in the five": (
        "update marts.dim_customers set customer_type = 'vip' where person_id = 'c1'",
        "relationships_dim_customers_customer_type__customer_type__ref_customer_types_"),
    "dim_customers lifecycle_stage in the seven": (
        "update marts.dim_customers set lifecycle_stage = 'sleeping' where person_id = 'c1'",
        "relationships_dim_customers_lifecycle_stage__lifecycle_stage__ref_lifecycle_stages_"),
    "dim_customers valid_order_count >= 0": (
        "update marts.dim_customers set valid_order_count = -1 where person_id = 'c1'",
        "at_least_dim_customers_valid_order_count__0"),
    "dim_customers lifetime_revenue >= 0": (
        "update marts.dim_customers set lifetime_revenue = -1 where person_id = 'c3'",
        "at_least_dim_customers_lifetime_revenue__0"),
    "dim_customers days_since_last_order >= 0": (
        "update marts.dim_customers set days_since_last_order = -1 where person_id = 'c3'",
        "at_least_dim_customers_days_since_last_order__0"),
    "dim_customers as_of_date not null": (
        "update marts.dim_customers set as_of_date = null where person_id = 'c1'",
        "not_null_dim_customers_as_of_date"),
    # suite customer_lifecycle_stages
    "customer_lifecycle_stages person_id not null": (
        drop_not_null("customer_lifecycle_stages", "person_id")
        + "update marts.customer_lifecycle_stages set person_id = null where person_id = 'c1'",
        "not_null_customer_lifecycle_stages_person_id"),
    "customer_lifecycle_stages lifecycle_stage in the seven": (
        "update marts.customer_lifecycle_stages set lifecycle_stage = 'sleeping' where person_id = 'c1' and stage_rank = 1",
        "relationships_customer_lifecycle_stages_lifecycle_stage__lifecycle_stage__ref_lifecycle_stages_"),
    "customer_lifecycle_stages stage_rank 1 to 7": (
        "update marts.customer_lifecycle_stages set stage_rank = 9 where person_id = 'c1' and stage_rank = 3",
        "relationships_customer_lifecycle_stages_stage_rank__stage_rank__ref_lifecycle_stages_"),
    "customer_lifecycle_stages entered_at not null": (
        "update marts.customer_lifecycle_stages set entered_at = null where person_id = 'c1' and stage_rank = 1",
        "not_null_customer_lifecycle_stages_entered_at"),
    "customer_lifecycle_stages exited_at >= entered_at": (
        "update marts.customer_lifecycle_stages set exited_at = entered_at - interval 1 day "
        "where person_id = 'c1' and stage_rank = 1",
        "expression_is_true_customer_lifecycle_stages_exited_at___exited_at_is_null_is_current_and_exited_at_"
        "entered_at_or_exited_at_is_null_"),
    # suite fct_orders
    "fct_orders order_id not null": (
        drop_not_null("fct_orders", "order_id") + "update marts.fct_orders set order_id = null where order_id = 'o1'",
        "not_null_fct_orders_order_id"),
    "fct_orders person_id not null": (
        "update marts.fct_orders set person_id = null where order_id = 'o1'",
        "not_null_fct_orders_person_id"),
    "fct_orders status in the six": (
        "update marts.fct_orders set status = 'lost' where order_id = 'o1'",
        "accepted_values_fct_orders_status__placed__paid__shipped__completed__cancelled__refunded"),
    "fct_orders amount not null": (
        "update marts.fct_orders set amount = null where order_id = 'o1'",
        "not_null_fct_orders_amount"),
    "fct_orders amount >= 0": (
        "update marts.fct_orders set amount = -1 where order_id = 'o1'",
        "at_least_fct_orders_amount__0"),
    "fct_orders purchase_number >= 1": (
        "update marts.fct_orders set purchase_number = 0 where order_id = 'o1'",
        "at_least_fct_orders_purchase_number__1"),
    # suite fct_touchpoints
    "fct_touchpoints touchpoint_id not null": (
        drop_not_null("fct_touchpoints", "touchpoint_id")
        + "update marts.fct_touchpoints set touchpoint_id = null where touchpoint_id = 't1'",
        "not_null_fct_touchpoints_touchpoint_id"),
    "fct_touchpoints person_id not null": (
        "update marts.fct_touchpoints set person_id = null where touchpoint_id = 't1'",
        "not_null_fct_touchpoints_person_id"),
    "fct_touchpoints occurred_at not null": (
        "update marts.fct_touchpoints set occurred_at = null where touchpoint_id = 't1'",
        "not_null_fct_touchpoints_occurred_at"),
    "fct_touchpoints lifecycle_stage in the seven": (
        "update marts.fct_touchpoints set lifecycle_stage = 'sleeping' where touchpoint_id = 't1'",
        "relationships_fct_touchpoints_lifecycle_stage__lifecycle_stage__ref_lifecycle_stages_"),
    # suite lifecycle_funnel (its 7 rows: marts_volume, test_mart_volume_is_compared_...)
    "lifecycle_funnel lifecycle_stage in the seven": (
        "update marts.lifecycle_funnel set lifecycle_stage = 'sleeping' where stage_rank = 7",
        "relationships_lifecycle_funnel_lifecycle_stage__lifecycle_stage__ref_lifecycle_stages_"),
    "lifecycle_funnel persons_entered never grows": (
        "update marts.lifecycle_funnel set persons_entered = 1000 where stage_rank = 7",
        "non_decreasing_within_lifecycle_funnel_persons_entered___funnel___stage_rank_desc"),
    "lifecycle_funnel persons_entered >= 0": (
        "update marts.lifecycle_funnel set persons_entered = -1 where stage_rank = 7",
        "at_least_lifecycle_funnel_persons_entered__0"),
    "lifecycle_funnel conversion_from_previous 0 to 1": (
        "update marts.lifecycle_funnel set conversion_from_previous = 1.5 where stage_rank = 2",
        "expression_is_true_lifecycle_funnel_conversion_from_previous__conversion_from_previous_between_0_and_1_"
        "or_conversion_from_previous_is_null"),
    "lifecycle_funnel conversion_from_first 0 to 1": (
        "update marts.lifecycle_funnel set conversion_from_first = -0.5 where stage_rank = 2",
        "expression_is_true_lifecycle_funnel_conversion_from_first__conversion_from_first_between_0_and_1_"
        "or_conversion_from_first_is_null"),
    "lifecycle_funnel median_days_from_previous >= 0": (
        "update marts.lifecycle_funnel set median_days_from_previous = -1 where stage_rank = 2",
        "at_least_lifecycle_funnel_median_days_from_previous__0"),
    # suite customer_type_summary (its 5 rows: marts_volume, test_mart_volume_is_compared_...)
    "customer_type_summary customer_type in the five": (
        "update marts.customer_type_summary set customer_type = 'vip' where customer_type = 'new'",
        "relationships_customer_type_summary_customer_type__customer_type__ref_customer_types_"),
    "customer_type_summary customer_type unique": (
        "update marts.customer_type_summary set customer_type = 'potential' where customer_type = 'new'",
        "unique_customer_type_summary_customer_type"),
    "customer_type_summary persons >= 0": (
        "update marts.customer_type_summary set persons = -1 where customer_type = 'new'",
        "at_least_customer_type_summary_persons__0"),
    "customer_type_summary revenue >= 0": (
        "update marts.customer_type_summary set revenue = -1 where customer_type = 'new'",
        "at_least_customer_type_summary_revenue__0"),
    "customer_type_summary valid_orders >= 0": (
        "update marts.customer_type_summary set valid_orders = -1 where customer_type = 'new'",
        "at_least_customer_type_summary_valid_orders__0"),
    # suite marts_keys_and_volume (now marts_volume): every mart's key unique and not null
    "dim_customers key unique": (
        "insert into marts.dim_customers select * from marts.dim_customers where person_id = 'c1'",
        "unique_dim_customers_person_id"),
    "customer_lifecycle_stages key unique": (
        "insert into marts.customer_lifecycle_stages select * from marts.customer_lifecycle_stages "
        "where person_id = 'c1' and stage_rank = 1",
        "unique_combination_of_columns_customer_lifecycle_stages_person_id__lifecycle_stage"),
    "customer_lifecycle_stages key not null": (
        "update marts.customer_lifecycle_stages set lifecycle_stage = null where person_id = 'c1' and stage_rank = 1",
        "not_null_customer_lifecycle_stages_lifecycle_stage"),
    "fct_orders key unique": (
        "insert into marts.fct_orders select * from marts.fct_orders where order_id = 'o1'",
        "unique_fct_orders_order_id"),
    "fct_touchpoints key unique": (
        "insert into marts.fct_touchpoints select * from marts.fct_touchpoints where touchpoint_id = 't1'",
        "unique_fct_touchpoints_touchpoint_id"),
    "lifecycle_funnel key unique": (
        "update marts.lifecycle_funnel set lifecycle_stage = 'awareness' where stage_rank = 2",
        "unique_lifecycle_funnel_lifecycle_stage"),
    "lifecycle_funnel key not null": (
        drop_not_null("lifecycle_funnel", "lifecycle_stage")
        + "update marts.lifecycle_funnel set lifecycle_stage = null where stage_rank = 7",
        "not_null_lifecycle_funnel_lifecycle_stage"),
    "customer_type_summary key not null": (
        drop_not_null("customer_type_summary", "customer_type")
        + "update marts.customer_type_summary set customer_type = null where customer_type = 'new'",
        "not_null_customer_type_summary_customer_type"),
    # suite raw_quality: the reconciliation table itself, one row per raw table
    "row_reconciliation one row per raw table": (
        "delete from audit.row_reconciliation where raw_table = 'touchpoints'",
        "assert_every_raw_row_is_accounted_for"),
    "row_reconciliation raw_table orders or touchpoints": (
        "update audit.row_reconciliation set raw_table = 'refunds' where raw_table = 'orders'",
        "accepted_values_row_reconciliation_raw_table__orders__touchpoints"),
}


@pytest.fixture(scope="module")
def dbt_tests(good_warehouse: Path) -> dict[str, dict]:
    """The data tests of the good warehouse's build, by name, as its manifest has them."""
    manifest = json.loads((good_warehouse.parent / f"{good_warehouse.stem}.dbt_target" / "manifest.json").read_text())
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "test"}


@pytest.fixture(scope="module")
def judged_warehouse(good_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the good warehouse under the same file name (the compiled SQL names its catalog)."""
    copy = tmp_path_factory.mktemp("judged") / good_warehouse.name
    shutil.copyfile(good_warehouse, copy)
    return copy


def failing_rows(con: duckdb.DuckDBPyConnection, test: dict) -> int:
    """What dbt counts for a data test: the rows its SQL returns (it fails when there are any)."""
    return con.execute(f"select count(*) from ({test['compiled_code']}) as dbt_internal_test").fetchone()[0]


@pytest.mark.parametrize("case", sorted(REMOVED_EXPECTATIONS))
def test_a_removed_expectation_is_caught_by_its_dbt_test(
    case: str, dbt_tests: dict[str, dict], judged_warehouse: Path
):
    statements, test_name = REMOVED_EXPECTATIONS[case]
    test = dbt_tests[test_name]
    # an error-severity test, run by every build: it fails the run before anything is published
    assert test["config"]["severity"].lower() == "error"
    with duckdb.connect(str(judged_warehouse)) as con:
        assert failing_rows(con, test) == 0, f"{test_name} fails on the good warehouse"
        con.execute("begin")
        try:
            con.execute(statements)
            assert failing_rows(con, test) > 0, f"{test_name} does not see: {case}"
        finally:
            con.execute("rollback")


def test_a_contract_not_null_refuses_a_missing_key(judged_warehouse: Path):
    with duckdb.connect(str(judged_warehouse)) as con:
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("update marts.fct_orders set order_id = null where order_id = 'o1'")


def test_a_mart_that_breaks_its_contract_is_not_built(good_warehouse: Path, tmp_path: Path):
    """The suite marts_schema listed the six marts' columns and types; the marts' enforced contracts
    (every column's data_type in _marts__models.yml) say the same at build time: a mart whose SQL
    gives a column another type, drops one or adds one fails, and the run stops before publishing.
    Shown with dbt on a copy of the project whose marts were edited so."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copyfile(PROJECT_DIR / name, project / name)
    for folder in ("models", "macros", "seeds", "tests/generic"):
        shutil.copytree(PROJECT_DIR / folder, project / folder)
    edits = {  # the model, its last line instead of "select * from final", and the column it breaks
        "fct_orders": ("select * replace (cast(amount as double) as amount) from final", "amount"),
        "fct_touchpoints": ("select * exclude (campaign) from final", "campaign"),
        "lifecycle_funnel": ("select *, 1 as extra_column from final", "extra_column"),
    }
    for model, (last_line, _) in edits.items():
        path = project / "models" / "marts" / f"{model}.sql"
        text = path.read_text()
        assert text.rstrip().endswith("select * from final")
        path.write_text(text.rstrip().removesuffix("select * from final") + last_line + "\n")
    warehouse = tmp_path / good_warehouse.name
    shutil.copyfile(good_warehouse, warehouse)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--full-refresh", "--select", *edits,
         "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(tmp_path / "dbt_target"), "--log-path", str(tmp_path / "dbt_logs")],
        cwd=project, env={**os.environ, "LIFECYCLE_WAREHOUSE": str(warehouse), "DO_NOT_TRACK": "1"},
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode != 0, done.stdout[-3000:]
    results = json.loads((tmp_path / "dbt_target" / "run_results.json").read_text())["results"]
    outcomes = {result["unique_id"].split(".")[-1]: (result["status"], result["message"] or "")
                for result in results if result["unique_id"].startswith("model.")}
    assert set(outcomes) == set(edits)
    for model, (status, message) in outcomes.items():
        # dbt's words: "This model has an enforced contract that failed." and a table of the columns
        assert status == "error" and "enforced contract that failed" in message, (model, message)
        assert edits[model][1] in message, (model, message)
