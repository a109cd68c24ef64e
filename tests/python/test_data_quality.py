"""The Great Expectations suites (quarantine rates, reconciliation between tables, volumes, the raw
inputs' columns): each fails on data built to break it, passes on good data and says what it saw
in words; an expectation that errors fails its suite; memory is bounded by batches."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import CASES_DIR, PROJECT_DIR, run_pipeline

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import quality_messages as messages  # noqa: E402
import validate as quality  # noqa: E402
from warehouse import DuckDBWarehouse  # noqa: E402

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
    "as t(mart_name, row_count, distinct_keys, null_keys, volume_problem)"
)
GOOD_PROFILES = {
    "customer_lifecycle_stages": "('customer_lifecycle_stages', 30, 30, 0, null)",
    "customer_type_summary": "('customer_type_summary', 5, 5, 0, null)",
    "dim_customers": "('dim_customers', 6, 6, 0, null)",
    "fct_orders": "('fct_orders', 7, 7, 0, null)",
    "fct_touchpoints": "('fct_touchpoints', 1204, 1204, 0, null)",
    "lifecycle_funnel": "('lifecycle_funnel', 7, 7, 0, null)",
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
        profiles(fct_orders="('fct_orders', 1204, 1204, 0, 'fct_orders has 1,204 rows, expected 1,205: one row per kept order')",
                 fct_touchpoints="('fct_touchpoints', 0, 0, 0, "
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

