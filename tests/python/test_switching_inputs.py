"""One warehouse, changing inputs: the pipeline tells growth from any other change by itself.

A run whose raw inputs only grew since the published build (rows appended to a CSV file, new
Parquet parts) continues that build incrementally; after any other change (the demo data
instead of a raw folder or the reverse, a file rewritten or removed) it rebuilds from an empty
build and says so in one line. Either way the result equals a fresh build of the same inputs:
every table of the marts and audit schemas, row for row.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from lifecycle.build_inputs import BuildInputs, FileIdentity, why_not_incremental
from conftest import CASES_DIR, PipelineRun, run_pipeline

OWN_FILES = CASES_DIR / "worked_example" / "raw"
REBUILD_LINE = "inputs changed since the published build ("


def published_tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table of the marts and audit schemas as sorted rows (loaded_at, the time of the run
    that wrote a row, aside)."""
    tables: dict[str, list[tuple]] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('marts', 'audit') and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        for (name,) in names:
            columns = [
                row[0] for row in con.execute(f"describe {name}").fetchall() if row[0] != "loaded_at"
            ]
            rows = con.execute(f"select {', '.join(columns)} from {name}").fetchall()
            tables[name] = sorted(rows, key=repr)
    return tables


def assert_same_tables(actual: Path, expected: Path) -> None:
    left, right = published_tables(actual), published_tables(expected)
    assert sorted(left) == sorted(right)
    different = [name for name in left if left[name] != right[name]]
    assert not different, f"tables that differ from a fresh build: {different}"


def build_mode(run: PipelineRun) -> str:
    return json.loads((run.reports_dir / "run_report.json").read_text())["inputs"]["build"]


def run_ok(warehouse: Path, *args: str) -> PipelineRun:
    run = run_pipeline(warehouse, *args)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    return run


@pytest.fixture(scope="module")
def fresh_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fresh")
    builds = {"demo": root / "demo" / "w.duckdb", "own": root / "own" / "w.duckdb"}
    run_ok(builds["demo"])
    run_ok(builds["own"], "--raw-dir", str(OWN_FILES))
    return builds


def test_demo_own_demo_own_on_one_warehouse(fresh_builds: dict[str, Path], tmp_path: Path):
    warehouse = tmp_path / "w.duckdb"
    own = ("--raw-dir", str(OWN_FILES))
    steps = [("demo", ()), ("own", own), ("demo", ()), ("own", own)]
    for number, (inputs, args) in enumerate(steps):
        run = run_ok(warehouse, *args)
        switched = [line for line in run.stdout.splitlines() if line.startswith(REBUILD_LINE)]
        if number == 0:
            assert switched == [] and build_mode(run) == "full (nothing published yet)"
        else:
            before = "the demo data" if inputs == "own" else str(OWN_FILES)
            assert switched == [
                f"{REBUILD_LINE}{before} before, "
                f"{'the demo data' if inputs == 'demo' else OWN_FILES} now): full rebuild"
            ], run.stdout[-2000:]
        assert_same_tables(warehouse, fresh_builds[inputs])
    # the same inputs again: nothing changed, so the build is continued
    run = run_ok(warehouse, *own)
    assert build_mode(run) == "incremental"
    assert REBUILD_LINE not in run.stdout
    assert_same_tables(warehouse, fresh_builds["own"])


ORDERS_APPENDED = (
    "o90,c1,2026-06-29T10:00:00Z,,completed,12.00,\n"
    "o91,c6,2026-06-30T09:00:00Z,,paid,30.00,\n"
)


def test_appended_rows_run_incrementally_and_a_rewrite_rebuilds(tmp_path: Path):
    raw = tmp_path / "raw"
    shutil.copytree(OWN_FILES, raw)
    warehouse = tmp_path / "w.duckdb"
    run_ok(warehouse, "--raw-dir", str(raw))

    with (raw / "orders.csv").open("a") as handle:
        handle.write(ORDERS_APPENDED)
    run = run_ok(warehouse, "--raw-dir", str(raw))
    assert build_mode(run) == "incremental", run.stdout[-2000:]
    fresh = tmp_path / "fresh" / "w.duckdb"
    run_ok(fresh, "--raw-dir", str(raw))
    assert_same_tables(warehouse, fresh)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_orders where order_id in ('o90', 'o91')").fetchone()[0] == 2

    # a row changed in the middle of the file: not an append
    text = (raw / "orders.csv").read_text()
    (raw / "orders.csv").write_text(text.replace("o90,c1,", "o90,c2,"))
    run = run_ok(warehouse, "--raw-dir", str(raw))
    assert f"{REBUILD_LINE}orders.csv rewritten): full rebuild" in run.stdout.splitlines()
    assert build_mode(run) == "full (inputs changed: orders.csv rewritten)"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select person_id from marts.fct_orders where order_id = 'o90'").fetchone()[0] == "c2"


# Identity rules without a pipeline run: what counts as growth.

def identities(raw: Path) -> BuildInputs:
    return BuildInputs.of(raw, "2026-07-01")


@pytest.fixture
def parquet_raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    (raw / "orders").mkdir(parents=True)
    for part in ("part-0", "part-1"):
        duckdb.execute(f"copy (select '{part}' as order_id) to '{raw / 'orders' / part}.parquet'")
    shutil.copy(OWN_FILES / "touchpoints.csv", raw / "touchpoints.csv")
    return raw


def test_growth_is_new_parts_and_appended_lines(parquet_raw: Path):
    before = identities(parquet_raw)
    duckdb.execute(f"copy (select 'x' as order_id) to '{parquet_raw / 'orders' / 'part-2.parquet'}'")
    with (parquet_raw / "touchpoints.csv").open("a") as handle:
        handle.write("t99,a99,,2026-06-30T10:00:00Z,direct,page_view,\n")
    assert why_not_incremental(before, identities(parquet_raw), parquet_raw) is None


@pytest.mark.parametrize("change, reason", [
    ("rewrite part", "orders/part-1.parquet rewritten"),
    ("remove part", "orders/part-0.parquet removed"),
    ("shorten csv", "touchpoints.csv rewritten"),
    ("edit first line", "touchpoints.csv rewritten"),
    ("append to unterminated line", "touchpoints.csv rewritten"),
    ("earlier load date", "load date 2026-06-30 is before the published build's 2026-07-01"),
])
def test_any_other_change_is_not_growth(parquet_raw: Path, change: str, reason: str):
    touchpoints = parquet_raw / "touchpoints.csv"
    if change == "append to unterminated line":
        touchpoints.write_text(touchpoints.read_text().rstrip("\n"))
    before = identities(parquet_raw)
    load_date = "2026-07-01"
    if change == "rewrite part":
        duckdb.execute(f"copy (select 'changed' as order_id) to '{parquet_raw / 'orders' / 'part-1.parquet'}'")
    elif change == "remove part":
        (parquet_raw / "orders" / "part-0.parquet").unlink()
    elif change == "shorten csv":
        touchpoints.write_text("".join(touchpoints.read_text().splitlines(keepends=True)[:-1]))
    elif change == "edit first line":
        touchpoints.write_text(touchpoints.read_text().replace("touchpoint_id", "TOUCHPOINT_ID", 1))
    elif change == "append to unterminated line":
        with touchpoints.open("a") as handle:
            handle.write(",extra\n")
    elif change == "earlier load date":
        load_date = "2026-06-30"
    after = BuildInputs.of(parquet_raw, load_date)
    assert why_not_incremental(before, after, parquet_raw) == reason


def test_other_folder_and_demo_are_not_growth(parquet_raw: Path):
    demo = BuildInputs.of(None, "2026-07-01")
    own = identities(parquet_raw)
    assert why_not_incremental(demo, own, parquet_raw) == f"the demo data before, {parquet_raw} now"
    assert why_not_incremental(own, demo, None) == f"{parquet_raw} before, the demo data now"
    assert why_not_incremental(None, own, parquet_raw) == "the published build does not record its inputs"
    assert why_not_incremental(demo, demo, None) is None
    changed_project = BuildInputs(own.source, own.files, "another project", own.load_date)
    assert why_not_incremental(own, changed_project, parquet_raw) == (
        "the project's models, macros or reference seeds changed"
    )
    assert isinstance(own.files[0], FileIdentity)
