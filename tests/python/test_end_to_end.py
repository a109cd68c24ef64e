"""End to end: the pipeline on hand-built raw folders, marts compared cell by cell, on every
target (DuckDB, PostgreSQL, Spark): the same models must give the same marts everywhere.

Each folder in cases/ holds raw/ (the input), case.json (as_of and vars) and expected/ (one CSV per
mart or audit table, computed by hand from docs/definitions.md and docs/decisions.md). Every
expected column is compared on every row; rows are matched as whole sorted lists, so a missing,
extra or duplicated row fails as surely as a wrong cell.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import (
    CASES_DIR, TARGETS, UNIT_TESTED_CASE, CaseBuilder, PipelineRun, format_cell, read_table,
)

CASES = sorted(path.name for path in CASES_DIR.iterdir() if (path / "expected").is_dir())


def case_targets(case: str) -> list[str]:
    """The targets a case is built on: all of them unless case.json lists fewer (a Spark build
    costs minutes of CI)."""
    case_file = json.loads((CASES_DIR / case / "case.json").read_text())
    return [target for target in TARGETS if target in case_file.get("targets", TARGETS)]


@pytest.fixture(
    scope="module",
    params=[(case, target) for target in TARGETS for case in CASES if target in case_targets(case)],
    ids=lambda param: f"{param[0]}-{param[1]}",
)
def case_run(request: pytest.FixtureRequest, build_case: CaseBuilder):
    case, target = request.param
    return CASES_DIR / case, build_case(case, target=target)


def expected_tables(case_dir: Path) -> list[Path]:
    return sorted((case_dir / "expected").glob("*.csv"))


def test_every_case_has_expected_tables():
    assert set(CASES) >= {"worked_example", "rules", "default_as_of"}
    for name in CASES:
        assert expected_tables(CASES_DIR / name), name


def test_marts_equal_hand_computed_values(case_run: tuple[Path, PipelineRun]):
    case_dir, run = case_run
    mismatches = []
    for expected_file in expected_tables(case_dir):
        table = expected_file.stem
        with expected_file.open(newline="") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            expected_rows = [tuple(row[column] for column in columns) for row in reader]
        actual = read_table(run, table, columns)
        actual_rows = [tuple(format_cell(row[column]) for column in columns) for row in actual]
        # floats are written with 6 decimals by hand; normalise the expected side the same way
        float_columns = {
            index
            for row in actual
            for index, column in enumerate(columns)
            if isinstance(row[column], float)
        }
        expected_rows = [
            tuple(
                f"{float(cell):.6f}" if index in float_columns and cell != "" else cell
                for index, cell in enumerate(row)
            )
            for row in expected_rows
        ]
        if sorted(actual_rows) != sorted(expected_rows):
            missing = sorted(set(expected_rows) - set(actual_rows))
            unexpected = sorted(set(actual_rows) - set(expected_rows))
            mismatches.append(
                f"{table} ({', '.join(columns)}):\n"
                f"  expected but not found: {missing}\n  found but not expected: {unexpected}\n"
                f"  row counts: expected {len(expected_rows)}, actual {len(actual_rows)}"
            )
    assert not mismatches, "\n".join(mismatches)


def test_summary_reports_as_of_and_row_dispositions(case_run: tuple[Path, PipelineRun]):
    case_dir, run = case_run
    reconciliation = case_dir / "expected" / "row_reconciliation.csv"
    dim_customers = read_table(run, "dim_customers", ["as_of_date"])
    as_of = format_cell(dim_customers[0]["as_of_date"])
    assert f"Summary as of {as_of}" in run.stdout
    if reconciliation.exists():
        with reconciliation.open(newline="") as handle:
            for row in csv.DictReader(handle):
                figures = [row[key] for key in (
                    "raw_rows", "kept_rows", "collapsed_rows", "quarantined_rows", "after_as_of_rows"
                )]
                line = next(
                    line for line in run.stdout.splitlines()
                    if line.strip().startswith(row["raw_table"] + " ")
                )
                assert line.split()[1:] == [f"{int(figure):,}" for figure in figures]


@pytest.mark.parametrize(
    ("case", "target"),
    [(case, target) for case in CASES for target in case_targets(case) if target != "duckdb"],
)
def test_summary_and_run_report_are_the_same_on_every_target(
    case: str, target: str, build_case: CaseBuilder
):
    reference, run = build_case(case), build_case(case, target=target)

    def summary(output: str) -> str:
        # up to the paths of the reports, which are the build's own
        text = output[output.index("Summary as of"):]
        return text[:text.index("\nreport: ")]

    assert summary(run.stdout) == summary(reference.stdout)
    reports = [
        json.loads((build.reports_dir / "run_report.json").read_text()) for build in (reference, run)
    ]
    for key in ("status", "as_of", "quarantine", "row_counts"):
        assert reports[1][key] == reports[0][key], key
    assert [step["name"] for step in reports[1]["steps"]] == [step["name"] for step in reports[0]["steps"]]
    assert {suite["suite"]: suite["status"] for suite in reports[1]["expectations"]} == {
        suite["suite"]: suite["status"] for suite in reports[0]["expectations"]
    }
    # unit tests run only when asked (--unit-tests): in the unit-tested case's build on this
    # target, never by default (the DuckDB reference)
    unit_tested = case == UNIT_TESTED_CASE
    counts = [report["dbt_results"]["counts"] for report in reports]
    assert [report["inputs"]["unit_tests"] for report in reports] == [False, unit_tested]
    assert not any(key.startswith("unit_test:") for key in counts[0])
    assert {key for key in counts[1] if key.startswith("unit_test:")} == (
        {"unit_test:pass"} if unit_tested else set()
    )
