"""Write-audit-publish: only a build that passed every check replaces the published warehouse,
atomically; readers are not disturbed; a failed or killed run leaves it byte-for-byte as it was."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from conftest import CASES_DIR, PIPELINE, PROJECT_DIR, read_table, run_pipeline

WORKED_EXAMPLE = CASES_DIR / "worked_example" / "raw"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def first_publication(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("first") / "lifecycle.duckdb"
    run = run_pipeline(warehouse, "--raw-dir", str(WORKED_EXAMPLE), "--as-of", "2026-06-30")
    assert run.returncode == 0, run.stderr[-3000:]
    return warehouse


@pytest.fixture
def published(first_publication: Path, tmp_path: Path) -> Path:
    """A published warehouse of this test's own (a copy of the module's first publication)."""
    warehouse = tmp_path / "wh" / "lifecycle.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(first_publication, warehouse)
    return warehouse


def types_by_person(warehouse: Path) -> dict[str, str]:
    rows = read_table(warehouse, "dim_customers", ["person_id", "customer_type"])
    return {row["person_id"]: row["customer_type"] for row in rows}


def test_successful_run_publishes_reports_and_keeps_a_backup(published: Path, tmp_path: Path):
    before = digest(published)
    run = run_pipeline(published, "--raw-dir", str(WORKED_EXAMPLE), "--as-of", "2026-12-31",
        "--vars", "load_date=2026-12-31", "-v")
    assert run.returncode == 0, run.stderr[-3000:]
    # -v: dbt's own log on the console too (test_console.py: not without it)
    assert "Running with dbt=" in run.stdout and "START sql table model" in run.stdout
    backup = published.with_name("lifecycle.previous.duckdb")
    assert digest(backup) == before
    assert not published.with_name("lifecycle.build.duckdb").exists()
    # at 2026-12-31 the single purchase of c2 on 2026-06-01 is 213 days old: lapsed
    assert types_by_person(published)["c2"] == "lapsed"
    assert types_by_person(backup)["c2"] == "new"

    reports = published.parent / "reports"
    report = json.loads((reports / "run_report.json").read_text())
    assert report["status"] == "succeeded"
    assert report["as_of"] == "2026-12-31"
    assert report["row_counts"]["marts.dim_customers"] == 6
    assert [step["name"] for step in report["steps"]] == [
        "prepare", "seed", "build", "validate", "docs", "publish"
    ]
    assert all(step["status"] == "ok" and step["seconds"] >= 0 for step in report["steps"])
    assert {suite["suite"] for suite in report["expectations"]} == {
        path.stem for path in (PROJECT_DIR / "expectations").glob("*.json")
    }
    assert report["quarantine"] == {"orders": {}, "touchpoints": {}}
    assert Path(report["docs"]["data_docs"]).is_file()
    assert Path(report["docs"]["dbt_docs"]).is_file()
    assert "# Run report: succeeded" in (reports / "run_report.md").read_text()


def test_run_that_fails_a_suite_leaves_the_published_warehouse_untouched(published: Path, tmp_path: Path):
    before = digest(published)
    dirty = tmp_path / "dirty"
    shutil.copytree(WORKED_EXAMPLE, dirty)
    with (dirty / "orders.csv").open("a") as handle:
        # 2 of 9 orders quarantined: 22 % is above the 10 % fail threshold of raw_quality
        handle.write("o8,c7,not-a-date,,completed,10.00,\no9,c7,2026-01-01T00:00:00Z,,completed,-5,\n")
    run = run_pipeline(published, "--raw-dir", str(dirty), "--as-of", "2026-06-30")
    assert run.returncode == 1
    error = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert error == [
        "error: validate failed: suites raw_quality did not pass (published warehouse untouched; "
        f"failed build kept at {published.with_name('lifecycle.build.duckdb')})"
    ]
    assert run.stderr.rstrip("\n").splitlines()[-1] == error[0]
    # what the failed build made of the rows is printed all the same, reasons included
    assert "  orders               9          7          0            2            0" in run.stdout
    assert "  quarantined orders: 1 invalid_amount" in run.stdout
    assert "  quarantined orders: 1 invalid_timestamp" in run.stdout
    assert digest(published) == before
    report = json.loads((published.parent / "reports" / "run_report.json").read_text())
    assert report["status"] == "failed"
    assert report["quarantine"]["orders"] == {"invalid_amount": 1, "invalid_timestamp": 1}
    failed = [suite for suite in report["expectations"] if suite["status"] == "failed"]
    assert [suite["suite"] for suite in failed] == ["raw_quality"]


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    answers = set()
    print("ready", flush=True)
    deadline = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < deadline:
        answers.add(con.execute(
            "select string_agg(person_id || '=' || customer_type, ',' order by person_id) "
            "from marts.dim_customers").fetchone()[0])
        time.sleep(0.05)
    print(len(answers), sorted(answers)[0], flush=True)
    """
)


def test_reader_holding_the_published_file_is_not_broken(published: Path):
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), "40"],
        stdout=subprocess.PIPE, text=True,
    )
    assert reader.stdout.readline().strip() == "ready"
    before = types_by_person(published)
    run = run_pipeline(published, "--raw-dir", str(WORKED_EXAMPLE), "--as-of", "2026-12-31",
        "--vars", "load_date=2026-12-31")
    assert run.returncode == 0, run.stderr[-3000:]
    out, _ = reader.communicate(timeout=120)
    distinct_answers, answer = out.split()
    assert distinct_answers == "1", "the reader saw the data change under its connection"
    assert answer == ",".join(f"{person}={kind}" for person, kind in sorted(before.items()))
    assert types_by_person(published)["c2"] == "lapsed"  # a new connection sees the new build


def test_killed_run_leaves_the_published_warehouse_intact(published: Path):
    before = digest(published)
    env = {k: v for k, v in os.environ.items() if k != "LIFECYCLE_WAREHOUSE"}
    process = subprocess.Popen(
        [sys.executable, str(PIPELINE), "--warehouse", str(published), "--raw-dir",
         str(WORKED_EXAMPLE), "--as-of", "2026-12-31",
        "--vars", "load_date=2026-12-31"],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    for line in process.stdout:
        if "[3/6] build" in line:  # the build file is being written now
            break
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    rest = process.stdout.read()
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    assert "interrupted by SIGTERM (published warehouse untouched" in rest
    assert digest(published) == before
    assert types_by_person(published)["c2"] == "new"

    again = run_pipeline(published, "--raw-dir", str(WORKED_EXAMPLE), "--as-of", "2026-12-31",
        "--vars", "load_date=2026-12-31")
    assert again.returncode == 0, again.stderr[-3000:]
    assert types_by_person(published)["c2"] == "lapsed"


def test_published_file_opens_with_the_oldest_supported_duckdb(published: Path):
    """The file is written in storage version v1.1.0: DuckDB 1.1.3 (make compat-venv) reads it."""
    compat_python = PROJECT_DIR / ".venv-compat" / "bin" / "python"
    if not compat_python.exists():
        subprocess.run(["make", "-s", "compat-venv"], cwd=PROJECT_DIR, check=True)
    done = subprocess.run(
        [str(compat_python), "-c",
         "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
         "print(duckdb.__version__, con.execute('select count(*) from marts.dim_customers').fetchone()[0])",
         str(published)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1.1.3", "6"]
    with duckdb.connect(str(published), read_only=True) as con:
        version = con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = 'lifecycle'"
        ).fetchone()
    # what DuckDB calls the storage format that STORAGE_VERSION 'v1.1.0' selects
    assert version == ("v1.0.0+",)


def test_validate_only_checks_the_published_warehouse(published: Path):
    env = {k: v for k, v in os.environ.items() if k != "LIFECYCLE_WAREHOUSE"}
    done = subprocess.run(
        [sys.executable, str(PIPELINE), "--warehouse", str(published), "--validate-only"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("PASSED ") == len(list((PROJECT_DIR / "expectations").glob("*.json")))
