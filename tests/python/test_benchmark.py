"""CI smoke test of scripts/benchmark.py at a tiny size: every step runs and is reported.

Not a timed test: it checks that the benchmark measures what it says (each step, where the dbt
steps' time went, the results files) and that, with --verify, the dbt marts equal both
baselines and the incremental run equals a full recompute.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT_DIR

STEPS = ["generate data", "dbt full build", "DuckDB SQL script", "pandas", "GX validation",
         "dbt incremental (+1 %)", "DuckDB SQL script on initial + new"]


def test_benchmark_smoke(tmp_path: Path):
    completed = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "benchmark.py"), "--sizes", "20k",
         "--data-dir", str(tmp_path / "data"), "--results-dir", str(tmp_path / "results"), "--verify"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    stored = json.loads((tmp_path / "results" / "results.json").read_text())
    assert list(stored) == ["20k"]
    size = stored["20k"]
    assert 19_000 < size["touchpoints"] < 21_000
    assert size["new_touchpoints"] > 0 and size["new_orders"] > 0
    assert size["duckdb_memory_limit"] == "3GB"  # the profile's, recorded with the figures
    steps = {step["step"]: step for step in size["steps"]}
    assert list(steps) == STEPS
    for name, step in steps.items():
        assert step["status"] == "ok", step
        assert step["seconds"] > 0 and step["peak_rss_mib"] > 50
    for name in ("dbt full build", "dbt incremental (+1 %)"):
        # the pipeline's time split from its own log: the dbt build apart from parse, seeds and GX
        step = steps[name]
        assert re.fullmatch(
            r"seed [\d.]+ s, build [\d.]+ s \(models [\d.]+ s, tests [\d.]+ s\), GX validate [\d.]+ s",
            step["note"],
        ), step["note"]
        assert 0 < step["build_seconds"] < step["seconds"]
    assert size["checks"] == [
        "dbt full build vs DuckDB SQL script: equal in all 7 tables",
        "dbt full build vs pandas: equal in all 7 tables",
        "dbt incremental vs full recompute: equal in all 7 tables",
    ]
    report = (tmp_path / "results" / "results.md").read_text()
    assert "### 20k touchpoints" in report
    assert "cores" in report and "GiB memory" in report
    assert "| dbt full build | ok |" in report
    assert "dbt full build / DuckDB script:" in report
    assert "dbt build step alone / DuckDB script:" in report


def test_csv_inputs_and_side_by_side_report(tmp_path: Path):
    """The CSV path without running dbt: the split data written as <table>.csv (initial load, and
    initial + new for the incremental step) and the CSV-vs-Parquet table of the report."""
    import duckdb

    from lifecycle_dev import benchmark

    folder = tmp_path / "20k"
    with duckdb.connect() as con:
        for part, ids in (("raw", "range(3)"), ("new", "range(3, 5)")):
            for table in ("touchpoints", "orders"):
                (folder / part / table).mkdir(parents=True)
                con.execute(f"copy (select 'id,' || i as id, null::varchar as note from {ids} t (i)) "
                            f"to '{folder / part / table}/{part}-00000.parquet' (format parquet)")
    raw, with_new, written = benchmark.prepare_csv(folder)
    assert written is not None and written.step == "write CSV" and written.rows == 2 * (3 + 5)
    assert (raw / "touchpoints.csv").read_text().splitlines() == [
        "id,note", '"id,0",', '"id,1",', '"id,2",']
    assert len((with_new / "orders.csv").read_text().splitlines()) == 1 + 5
    assert benchmark.prepare_csv(folder)[2] is None  # written once, then reused

    def size(file_format: str, full: float, build: float) -> benchmark.SizeResult:
        return benchmark.SizeResult(
            "20k", 2000, 20_000, 4_000, 200, 80, "now", file_format, steps=[
                benchmark.StepResult("dbt full build", "ok", full, 24_000, 500.0, build_seconds=build),
                benchmark.StepResult("pandas", "skipped", note="--skip pandas"),
            ])

    results = tmp_path / "results"
    benchmark.write_results(results, [size("parquet", 40.0, 20.0), size("csv", 50.0, 26.0)])
    assert list(json.loads((results / "results.json").read_text())) == ["20k", "20k csv"]
    report = (results / "results.md").read_text()
    assert "### 20k touchpoints\n" in report and "### 20k touchpoints, CSV input" in report
    assert "### 20k touchpoints: CSV vs Parquet input" in report
    assert "| dbt full build | 40.00 | 50.00 | +10.00 | 1.25x |" in report
    assert "| dbt build step alone | 20.00 | 26.00 | +6.00 | 1.30x |" in report
    assert "| pandas | - | - | - | - |" in report
