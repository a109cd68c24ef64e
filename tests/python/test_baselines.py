"""Differential test: the dbt marts equal two independent implementations of the definitions.

Generated data (a few thousand persons, with every messy case of docs/definitions.md §2-3) goes
through the dbt pipeline, the hand-written DuckDB SQL script (baselines/duckdb_sql) and the pandas
implementation (baselines/pandas). Every mart and the row reconciliation must be equal cell by cell,
as multisets of rows. The as-of date is set before the end of the data, so that late versions and
late touchpoints are in play, and a rule var is changed from its default.
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

AS_OF = "2026-05-31"
RULE_VARS = ["lapsed_after_days=90"]


def run_module(module: str, *args: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=PROJECT_DIR, capture_output=True, text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("differential")
    raw = root / "raw"
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "generate_data.py"), "--persons", "3000",
         "--seed", "11", "--out", str(raw), "--bad-row-rate", "0.01", "--orders-per-buyer", "4"],
        check=True, capture_output=True, timeout=300,
    )
    run = run_pipeline(root / "dbt.duckdb", "--raw-dir", str(raw), "--as-of", AS_OF,
                       "--vars", *RULE_VARS)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    common = ["--raw-dir", str(raw), "--as-of", AS_OF, "--vars", *RULE_VARS]
    run_module("baselines.duckdb_sql", *common, "--out", str(root / "duckdb_sql.duckdb"))
    run_module("baselines.pandas", *common, "--out", str(root / "pandas"))
    return {"dbt": root / "dbt.duckdb", "duckdb_sql": root / "duckdb_sql.duckdb",
            "pandas": root / "pandas"}


def test_generated_data_exercises_every_rule(outputs: dict[str, Path]):
    """Not a vacuous comparison: every type, stage and disposition occurs in the data."""
    with duckdb.connect(str(outputs["dbt"]), read_only=True) as con:
        types = dict(con.execute("select customer_type, persons from marts.customer_type_summary").fetchall())
        stages = dict(con.execute("select lifecycle_stage, persons_entered from marts.lifecycle_funnel").fetchall())
        [(inferred, moved)] = con.execute("""
            select
                (select count(*) from marts.customer_lifecycle_stages where is_inferred),
                (select count(*) from marts.fct_touchpoints
                 where customer_id is null and person_id not like 'anon:%')
        """).fetchall()
        dispositions = con.execute("""
            select min(kept_rows), min(collapsed_rows), min(quarantined_rows), min(after_as_of_rows)
            from audit.row_reconciliation
        """).fetchone()
    assert all(types[t] > 0 for t in ("potential", "new", "regular", "loyal", "lapsed")), types
    assert all(count > 0 for count in stages.values()), stages
    assert inferred > 0 and moved > 0
    assert all(count > 0 for count in dispositions), dispositions


@pytest.mark.parametrize("baseline", ["duckdb_sql", "pandas"])
def test_dbt_marts_equal_the_baseline(outputs: dict[str, Path], baseline: str):
    diffs = compare(outputs["dbt"], outputs[baseline])
    assert [d.table for d in diffs] == list(TABLES)
    assert all(d.rows_dbt > 0 for d in diffs)
    mismatches = [d.describe() for d in diffs if not d.equal]
    assert not mismatches, "\n".join(mismatches)


def test_comparison_finds_one_changed_cell(outputs: dict[str, Path], tmp_path: Path):
    changed = tmp_path / "changed.duckdb"
    shutil.copy(outputs["duckdb_sql"], changed)
    with duckdb.connect(str(changed)) as con:
        con.execute("""
            update marts.fct_orders set amount = amount + 0.01
            where order_id = (select min(order_id) from marts.fct_orders)
        """)
    diffs = {d.table: d for d in compare(outputs["dbt"], changed)}
    assert diffs["marts.fct_orders"].only_in_dbt_count == 1
    assert diffs["marts.fct_orders"].only_in_baseline_count == 1
    assert all(d.equal for table, d in diffs.items() if table != "marts.fct_orders")
