"""What the scripts print (scripts/console.py): a pipeline run fits on a screen, dbt's own log
goes to its file (and to the console with -v only), --quiet prints nothing on success, no
third-party warning reaches the user, and sizes are written the same way in every script."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import CaseBuilder, run_pipeline
from lifecycle.console import DbtProgress, parse_size, size_label

CASE = "worked_example"
STEP_LINE = re.compile(r"^\[(\d)/6\] (prepare|seed|build|validate|docs|publish)(: ok in \d+\.\d s)?$")


def test_a_default_run_prints_steps_progress_and_summary_only(build_case: CaseBuilder):
    run = build_case(CASE)
    lines = run.stdout.splitlines()
    assert len(lines) <= 60, run.stdout
    steps = [line for line in lines if STEP_LINE.match(line)]
    assert [STEP_LINE.match(line).group(2) for line in steps[::2]] == [
        "prepare", "seed", "build", "validate", "docs", "publish"
    ]
    assert all(line.endswith(" s") for line in steps[1::2])
    # the build's counter ends at its total; dbt's own lines are not on the console
    totals = re.findall(r"^  build (\d+)/(\d+) nodes$", run.stdout, re.MULTILINE)
    assert totals and totals[-1][0] == totals[-1][1], run.stdout
    assert "Running with dbt" not in run.stdout
    assert "Summary as of 2026-06-30" in run.stdout
    # no warning of a library the run does not use (PySpark's about pandas, on every GX import)
    assert "Warning" not in run.stderr, run.stderr
    dbt_log = (run.warehouse.with_name(run.warehouse.stem + ".dbt_target") / "dbt.log").read_text()
    assert "Running with dbt" in dbt_log and "START sql table model" in dbt_log


def test_quiet_prints_only_warnings(tmp_path: Path):
    # the demo data has a quarantine rate above the warn threshold on purpose
    run = run_pipeline(tmp_path / "w.duckdb", "--quiet")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        "warning: dbt test has_no_rows_quarantined_touchpoints_ found 5 rows (configured to warn)",
        "warning: dbt test has_no_rows_quarantined_orders_ found 8 rows (configured to warn)",
        "warning: dbt test relationships_fct_touchpoints_event_type__event_type__ref_lifecycle_"
        "event_stages_ found 45 rows (configured to warn)",
        "  WARNED   raw_quality (1 batch, 2 rows)",
        "      warn  orders: 1.6 % of rows quarantined (invalid_amount 0.4 %, invalid_timestamp "
        "0.4 %, missing_id 0.4 %, missing_customer_id 0.2 %, unknown_status 0.2 %) > "
        "quarantine_warn_rate 1 %",
    ]
    assert (tmp_path / "reports" / "run_report.json").is_file()


@pytest.mark.parametrize(
    ("text", "size"),
    [("20000", 20_000), ("20_000", 20_000), ("20,000", 20_000), ("100k", 100_000),
     ("1M", 1_000_000), ("2.5m", 2_500_000), (" 50M ", 50_000_000)],
)
def test_sizes_are_read_the_same_way_everywhere(text: str, size: int):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["0", "-5k", "many", "", "1.5", "k"])
def test_a_size_that_is_not_one_is_refused(text: str):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size(text)


def test_sizes_are_written_back_as_read():
    assert [size_label(size) for size in (999, 20_000, 1_000_000, 1_500_000, 50_000_000)] == [
        "999", "20k", "1M", "1500k", "50M"
    ]


def node_event(event_name: str, index: int, total: int, **data: object) -> SimpleNamespace:
    return SimpleNamespace(
        info=SimpleNamespace(name=event_name, level="info", msg=""),
        data=SimpleNamespace(index=index, total=total, **data),
    )


def test_progress_in_a_log_is_a_line_per_quarter_and_warnings_are_kept():
    stream = io.StringIO()
    progress = DbtProgress("build", stream)
    for index in range(1, 101):
        status = "warn" if index == 7 else "pass"
        progress(node_event("LogTestResult", index, 100, status=status, name=f"t{index}", num_failures=3))
    progress(SimpleNamespace(
        info=SimpleNamespace(name="Deprecation", level="warn", msg="a construct is deprecated\nmore"),
        data=None,
    ))
    progress.finish()
    assert stream.getvalue().splitlines() == [
        "  build 25/100 nodes", "  build 50/100 nodes", "  build 75/100 nodes", "  build 100/100 nodes"
    ]
    assert progress.warnings == [
        "dbt test t7 found 3 rows (configured to warn)", "dbt: a construct is deprecated"
    ]


def test_a_few_nodes_get_no_counter():
    stream = io.StringIO()
    progress = DbtProgress("seed", stream)
    for index in range(1, 7):
        progress(node_event("LogSeedResult", index, 6, status="success"))
    assert stream.getvalue() == ""
