"""Shared helpers: run the pipeline script as a user would, and read the warehouse it built."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
CASES_DIR = Path(__file__).resolve().parent / "cases"
PIPELINE = PROJECT_DIR / "scripts" / "run_pipeline.py"

# Where each compared table lives in the warehouse.
TABLE_SCHEMAS = {
    "dim_customers": "marts",
    "customer_lifecycle_stages": "marts",
    "fct_orders": "marts",
    "fct_touchpoints": "marts",
    "lifecycle_funnel": "marts",
    "customer_type_summary": "marts",
    "cohort_retention": "marts",
    "engagement_audiences": "marts",
    "customer_type_history": "marts",
    "customer_type_transitions": "marts",
    "row_reconciliation": "audit",
    "quarantined_orders": "audit",
    "quarantined_touchpoints": "audit",
}


@dataclass
class PipelineRun:
    returncode: int
    stdout: str
    stderr: str
    warehouse: Path


def run_pipeline(warehouse: Path, *args: str, timeout: int = 600) -> PipelineRun:
    """Runs scripts/run_pipeline.py in a subprocess, exactly as the README tells a user to."""
    env = {k: v for k, v in os.environ.items() if k != "LIFECYCLE_WAREHOUSE"}
    completed = subprocess.run(
        [sys.executable, str(PIPELINE), "--warehouse", str(warehouse), *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return PipelineRun(completed.returncode, completed.stdout, completed.stderr, warehouse)


def format_cell(value: object) -> str:
    """The text form used by the expected CSV files (see cases/*/expected)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value)


def read_table(warehouse: Path, table: str, columns: list[str]) -> list[dict[str, object]]:
    column_list = ", ".join(f'"{column}"' for column in columns)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select {column_list} from {TABLE_SCHEMAS[table]}.{table}")
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipeline")


CaseBuilder = Callable[..., PipelineRun]


@pytest.fixture(scope="session")
def build_case(tmp_path_factory: pytest.TempPathFactory) -> CaseBuilder:
    """Runs the pipeline on cases/<name>/raw with the case's as_of and vars (or another as_of),
    once per session for each (name, as_of): several test modules read the same warehouse."""
    builds: dict[tuple[str, str | None], PipelineRun] = {}

    def build(name: str, as_of: str | None = None) -> PipelineRun:
        case_dir = CASES_DIR / name
        case = json.loads((case_dir / "case.json").read_text())
        as_of = as_of or case.get("as_of")
        if (name, as_of) not in builds:
            args = ["--raw-dir", str(case_dir / "raw")]
            if as_of:
                args += ["--as-of", as_of]
            if case.get("vars"):
                args += ["--vars", *(f"{key}={value}" for key, value in case["vars"].items())]
            folder = tmp_path_factory.mktemp(f"{name}-{as_of or 'default'}")
            run = run_pipeline(folder / "warehouse.duckdb", *args)
            assert run.returncode == 0, f"pipeline failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
            builds[(name, as_of)] = run
        return builds[(name, as_of)]

    return build
