"""Incremental runs give the same marts as a full refresh (README "Incremental runs").

Generated data is split into an initial load and two later batches (incremental_batches.py):
batch 1 brings new touchpoints and orders, late touchpoints dated before the latest day already
loaded (within the lookback), and the first identification of an anonymous_id whose touchpoints
were loaded two months earlier, and a touchpoint of the initial load sent again a day after the
batch's latest day (after that run's as_of); batch 2 brings newer rows, which move as_of past the
re-sent row, and the refund of an order completed three months earlier. The pipeline runs once
per batch on the same warehouse; then a new warehouse is built in full from the same raw folder,
and every mart and the reconciliation must be equal cell by cell.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from baselines.compare import TABLES, compare
from conftest import PROJECT_DIR, run_pipeline
from incremental_batches import Planted, split


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Planted]:
    root = tmp_path_factory.mktemp("incremental")
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "generate_data.py"), "--persons", "3000",
         "--seed", "5", "--out", str(root / "generated"), "--bad-row-rate", "0.01"],
        check=True, capture_output=True, timeout=300,
    )
    planted = split(root / "generated", root / "batches")
    raw = root / "raw"
    incremental = root / "incremental.duckdb"
    for batch in ("initial", "batch1", "batch2"):
        for table in ("orders", "touchpoints"):
            (raw / table).mkdir(parents=True, exist_ok=True)
            shutil.copy(root / "batches" / table / f"{batch}.parquet", raw / table)
        run = run_pipeline(incremental, "--raw-dir", str(raw))
        assert run.returncode == 0, f"{batch}: {run.stdout[-3000:]}{run.stderr[-3000:]}"
    full = root / "full.duckdb"
    run = run_pipeline(full, "--raw-dir", str(raw))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return incremental, full, planted


def test_runs_were_incremental(runs):
    """Not a full rebuild in disguise: rows loaded by the first run are still there, untouched."""
    incremental, full, _ = runs
    with duckdb.connect(str(incremental), read_only=True) as con:
        for table in ("staging.stg_raw__touchpoints", "staging.stg_raw__orders",
                      "intermediate.int_touchpoints_stitched", "intermediate.int_orders_numbered"):
            loads = con.execute(
                f"select count(*) from (select distinct loaded_at from {table})"
            ).fetchone()[0]
            assert loads == 3, table
        first_load_share = con.execute("""
            select count(*) filter (where loaded_at = (select min(loaded_at) from staging.stg_raw__touchpoints))
                / count(*)
            from staging.stg_raw__touchpoints
        """).fetchone()[0]
    assert first_load_share > 0.9
    with duckdb.connect(str(full), read_only=True) as con:
        assert con.execute("select count(distinct loaded_at) from staging.stg_raw__touchpoints").fetchone()[0] == 1


def test_planted_cases_reached_the_marts(runs):
    incremental, _, planted = runs
    assert planted.late_touchpoints > 0
    with duckdb.connect(str(incremental), read_only=True) as con:
        [(status, valid, number)] = con.execute(
            "select status, is_valid_purchase, purchase_number from marts.fct_orders where order_id = ?",
            [planted.refunded_order_id],
        ).fetchall()
        persons = con.execute(
            "select distinct person_id from marts.fct_touchpoints where anonymous_id = ?",
            [planted.identified_anonymous_id],
        ).fetchall()
        anonymous_person = con.execute(
            "select count(*) from marts.dim_customers where person_id = ?",
            ["anon:" + planted.identified_anonymous_id],
        ).fetchone()[0]
        old_touchpoints = con.execute(
            "select count(*) from marts.fct_touchpoints where anonymous_id = ? and customer_id is null",
            [planted.identified_anonymous_id],
        ).fetchone()[0]
        resent = con.execute(
            "select row_disposition from intermediate.int_touchpoints_deduplicated"
            " where touchpoint_id = ? order by occurred_at",
            [planted.resent_touchpoint_id],
        ).fetchall()
    assert resent == [("kept",), ("collapsed",)]
    assert (status, valid, number) == ("refunded", False, None)
    assert persons == [(planted.identifying_customer_id,)]
    assert anonymous_person == 0
    assert old_touchpoints >= 2


def test_incremental_marts_equal_a_full_refresh(runs):
    incremental, full, _ = runs
    diffs = compare(incremental, full)
    assert [d.table for d in diffs] == list(TABLES)
    mismatches = [d.describe() for d in diffs if not d.equal]
    assert not mismatches, "\n".join(mismatches)


def test_explicit_as_of_on_an_incremental_warehouse_rebuilds_in_full(runs, tmp_path: Path):
    """An as_of moves the past: the pipeline rebuilds every model instead of updating it."""
    incremental, _, _ = runs
    copy = tmp_path / "copy.duckdb"
    shutil.copy(incremental, copy)
    raw = incremental.parent / "raw"
    run = run_pipeline(copy, "--raw-dir", str(raw), "--as-of", "2026-06-01")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("select max(as_of_date) from marts.dim_customers").fetchone()[0].isoformat() == "2026-06-01"
        assert con.execute("select count(distinct loaded_at) from staging.stg_raw__touchpoints").fetchone()[0] == 1
