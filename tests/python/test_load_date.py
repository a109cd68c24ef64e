"""The load date (definitions §3, §5; decisions #64): a stray future date is quarantined instead of
moving as_of, an as_of after the load date is refused, and a row quarantined as future is kept by a
later run once the load date has reached it, incrementally as in a full refresh."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import CASES_DIR, format_cell, read_table, run_pipeline

WORKED_EXAMPLE = CASES_DIR / "worked_example" / "raw"
# the worked example has 7 orders: one quarantined row is more than the default fail rate (10 %)
LENIENT = "quarantine_fail_rate=0.5"
STRAY_ORDER = "o2099,c3,2099-01-01T00:00:00Z,,completed,10.00,\n"
# dated after the first run's load date (2026-07-01 + 1 day), before the second one's
LATE_ORDER = "o0710,c2,2026-07-10T12:00:00Z,,completed,15.00,\n"
LATE_TOUCHPOINT = "t0710,,c2,2026-07-10T12:00:00Z,email,email_open,\n"
# the day after the first load date: kept, but later than as_of (capped at the load date)
NEXT_DAY_TOUCHPOINT = "t0702,,c1,2026-07-02T08:00:00Z,email,email_open,\n"


def raw_folder(folder: Path, orders: str = "", touchpoints: str = "") -> Path:
    shutil.copytree(WORKED_EXAMPLE, folder)
    touchpoints = NEXT_DAY_TOUCHPOINT + touchpoints
    with (folder / "orders.csv").open("a") as handle:
        handle.write(orders)
    with (folder / "touchpoints.csv").open("a") as handle:
        handle.write(touchpoints)
    return folder


def customer_types(warehouse: Path) -> dict[str, str]:
    rows = read_table(warehouse, "dim_customers", ["person_id", "customer_type"])
    return {str(row["person_id"]): str(row["customer_type"]) for row in rows}


def as_of(warehouse: Path) -> str:
    return format_cell(read_table(warehouse, "dim_customers", ["as_of_date"])[0]["as_of_date"])


def quarantined(warehouse: Path, table: str, id_column: str) -> dict[str, str]:
    rows = read_table(warehouse, table, [id_column, "quarantine_reason"])
    return {str(row[id_column]): str(row["quarantine_reason"]) for row in rows}


def after_as_of(warehouse: Path) -> dict[str, int]:
    rows = read_table(warehouse, "row_reconciliation", ["raw_table", "after_as_of_rows"])
    return {str(row["raw_table"]): int(row["after_as_of_rows"]) for row in rows}


def build(warehouse: Path, raw: Path, load_date: str, *extra: str) -> None:
    run = run_pipeline(
        warehouse, "--raw-dir", str(raw), *extra, "--vars", f"load_date={load_date}", LENIENT
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Worked example (plus a touchpoint dated the next day) without and with future rows at
    load date 2026-07-01 (a copy of the second published file and its report kept); then the
    second warehouse again at 2026-07-15, incrementally, and the same input in full."""
    root = tmp_path_factory.mktemp("load_date")
    plain = raw_folder(root / "plain")
    future = raw_folder(root / "future", STRAY_ORDER + LATE_ORDER, LATE_TOUCHPOINT)
    paths = {name: root / name / "w.duckdb" for name in ("plain", "later", "later_full")}
    build(paths["plain"], plain, "2026-07-01")
    build(paths["later"], future, "2026-07-01")
    paths["first"] = root / "first.duckdb"
    shutil.copyfile(paths["later"], paths["first"])
    paths["first_report"] = root / "first_run_report.json"
    shutil.copyfile(paths["later"].parent / "reports" / "run_report.json", paths["first_report"])
    # incremental: the run starts from a copy of the published warehouse
    build(paths["later"], future, "2026-07-15")
    build(paths["later_full"], future, "2026-07-15", "--full-refresh")
    return paths


def test_a_stray_future_order_is_quarantined_and_moves_nothing(builds: dict[str, Path]):
    first = builds["first"]
    assert quarantined(first, "quarantined_orders", "order_id") == {
        "o2099": "future_timestamp", "o0710": "future_timestamp",
    }
    assert quarantined(first, "quarantined_touchpoints", "touchpoint_id") == {
        "t0710": "future_timestamp",
    }
    # not 2099-01-01, and not the kept touchpoint's 2026-07-02: as_of stops at the load date
    assert as_of(first) == as_of(builds["plain"]) == "2026-07-01"
    assert customer_types(first) == customer_types(builds["plain"])
    assert after_as_of(first) == after_as_of(builds["plain"]) == {"orders": 0, "touchpoints": 1}
    report = json.loads(builds["first_report"].read_text())
    assert report["load_date"] == "2026-07-01"
    assert report["inputs"]["vars"]["load_date"] == "2026-07-01"
    assert report["quarantine"]["orders"] == {"future_timestamp": 2}


def test_a_future_row_is_kept_once_the_load_date_reaches_it(builds: dict[str, Path]):
    later = builds["later"]
    # incremental: the rows quarantined as future were read again and are now kept
    assert quarantined(later, "quarantined_orders", "order_id") == {"o2099": "future_timestamp"}
    assert quarantined(later, "quarantined_touchpoints", "touchpoint_id") == {}
    assert as_of(later) == "2026-07-10"
    assert after_as_of(later) == {"orders": 0, "touchpoints": 0}
    with duckdb.connect(str(later), read_only=True) as con:
        loaded = con.execute(
            "select max(window_day), count(*) filter (where order_id = 'o0710'),"
            " count(distinct loaded_at)"
            " from staging.stg_raw__orders where quarantine_reason is null"
        ).fetchone()
    # the kept row is the latest window day (the next lookback starts from it), and the run was
    # incremental: orders older than the lookback kept the first run's loaded_at
    assert loaded == (dt.date(2026, 7, 10), 1, 2)
    for table, columns in (
        ("dim_customers", ["person_id", "customer_type", "as_of_date"]),
        ("fct_orders", ["order_id", "person_id", "ordered_at"]),
        ("fct_touchpoints", ["touchpoint_id", "person_id", "occurred_at"]),
        ("row_reconciliation", ["raw_table", "raw_rows", "kept_rows", "quarantined_rows"]),
    ):
        incremental = sorted(map(str, read_table(later, table, columns)))
        full = sorted(map(str, read_table(builds["later_full"], table, columns)))
        assert incremental == full, table
    report = json.loads((later.parent / "reports" / "run_report.json").read_text())
    assert report["load_date"] == "2026-07-15"
    assert "- load date: 2026-07-15" in (later.parent / "reports" / "run_report.md").read_text()


@pytest.mark.parametrize(
    ("given", "named"),
    [(["--as-of", "2026-07-02"], "--as-of"), (["--vars", "as_of=2026-07-02"], "as_of")],
)
def test_an_as_of_after_the_load_date_is_refused(given: list[str], named: str, tmp_path: Path):
    warehouse = tmp_path / "w.duckdb"
    vars_given = given[1:] if given[0] == "--vars" else []
    options = given if not vars_given else []
    run = run_pipeline(
        warehouse, "--raw-dir", str(WORKED_EXAMPLE), *options,
        "--vars", "load_date=2026-07-01", *vars_given,
    )
    assert run.returncode == 2, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stderr.splitlines() == [
        f"error: {named} 2026-07-02 is after the load date 2026-07-01: rows dated after it are "
        "not loaded yet (give an earlier as_of, or --vars load_date=YYYY-MM-DD)"
    ]
    assert run.stdout == ""
    # refused before anything was built: no warehouse, no build file, no reports
    assert list(tmp_path.iterdir()) == []
