"""The semantic layer: `mf query` (dbt-metricflow on DuckDB) gives the numbers of the marts.

Two queries on the worked example's warehouse, as a user would run them from the project folder:
persons and revenue per person by customer type (against customer_type_summary), and the stage
conversion metrics (against lifecycle_funnel.conversion_from_previous).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

from conftest import PROJECT_DIR, CaseBuilder

MF = Path(sys.executable).parent / "mf"
STAGES = ["awareness", "interest", "consideration", "decision", "purchase", "loyalty", "advocacy"]


def mf_query(warehouse: Path, out: Path, *args: str) -> list[dict[str, str]]:
    env = {**os.environ, "LIFECYCLE_WAREHOUSE": str(warehouse), "DBT_PROFILES_DIR": str(PROJECT_DIR)}
    # mf reads target/semantic_manifest.json as it is: write it for this warehouse first (the
    # relations in it are named after the warehouse file)
    parse = subprocess.run(
        [str(MF.parent / "dbt"), "parse", "--project-dir", str(PROJECT_DIR)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert parse.returncode == 0, parse.stdout[-3000:] + parse.stderr[-3000:]
    result = subprocess.run(
        [str(MF), "query", *args, "--csv", str(out), "--quiet"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0 and out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_persons_and_revenue_per_person_by_type_equal_the_type_summary(
    build_case: CaseBuilder, tmp_path: Path
):
    run = build_case("worked_example")
    # mf reads the warehouse through the dbt profile: give it a copy, the tests' file stays as is
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(run.warehouse, warehouse)
    rows = mf_query(
        warehouse, tmp_path / "types.csv",
        "--metrics", "persons,revenue_per_person", "--group-by", "customer__customer_type",
    )
    metrics = {
        row["customer__customer_type"]: (int(row["persons"]), Decimal(row["revenue_per_person"]))
        for row in rows
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        summary = {
            customer_type: (persons, average)
            for customer_type, persons, average in con.execute(
                "select customer_type, persons, avg_revenue_per_person "
                "from marts.customer_type_summary where persons > 0"
            ).fetchall()
        }
    assert {kind: (persons, round(average, 2)) for kind, (persons, average) in metrics.items()} == summary
    # SPEC §7: one person of each type but two potential ones
    assert metrics["potential"] == (2, Decimal(0))
    assert metrics["loyal"] == (1, Decimal("75.5"))


def test_stage_conversion_metrics_equal_the_funnel(build_case: CaseBuilder, tmp_path: Path):
    run = build_case("worked_example")
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(run.warehouse, warehouse)
    names = [f"conversion_{previous}_to_{stage}" for previous, stage in zip(STAGES, STAGES[1:])]
    (row,) = mf_query(warehouse, tmp_path / "conversion.csv", "--metrics", ",".join(names))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        funnel = dict(con.execute(
            "select lifecycle_stage, conversion_from_previous from marts.lifecycle_funnel"
        ).fetchall())
    for name, stage in zip(names, STAGES[1:]):
        assert abs(float(row[name]) - funnel[stage]) < 1e-9, name
    assert float(row["conversion_decision_to_purchase"]) == 0.8  # 4 of 5 deciders bought
