"""scripts/export_audiences.py: one file per playbook action, exactly the rows of the mart."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import duckdb

from conftest import CASES_DIR, PROJECT_DIR, CaseBuilder

EXPORT = PROJECT_DIR / "scripts" / "export_audiences.py"
EXPECTED = CASES_DIR / "worked_example" / "expected" / "engagement_audiences.csv"
PLAYBOOK = PROJECT_DIR / "seeds" / "reference" / "customer_type_playbook.csv"


def export(warehouse: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXPORT), "--warehouse", str(warehouse), *args],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
    )


def expected_rows() -> list[dict[str, str]]:
    with EXPECTED.open(newline="") as handle:
        return list(csv.DictReader(handle))


def playbook_actions() -> set[str]:
    with PLAYBOOK.open(newline="") as handle:
        return {row["action_code"] for row in csv.DictReader(handle)}


def test_csv_files_hold_each_action_audience(build_case: CaseBuilder, tmp_path: Path):
    run = build_case("worked_example")
    result = export(run.warehouse, "--out-dir", str(tmp_path), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert {path.stem for path in tmp_path.glob("*.csv")} == playbook_actions()
    expected = expected_rows()
    for path in tmp_path.glob("*.csv"):
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            assert reader.fieldnames == list(expected[0].keys())
            actual = list(reader)
        wanted = sorted(
            (row for row in expected if row["action"] == path.stem), key=lambda row: row["person_id"]
        )
        assert actual == wanted, path.name


def test_parquet_files_and_a_chosen_action(build_case: CaseBuilder, tmp_path: Path):
    run = build_case("worked_example")
    result = export(run.warehouse, "--out-dir", str(tmp_path), "--format", "parquet",
                    "--action", "win_back_offer", "retarget")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["retarget.parquet", "win_back_offer.parquet"]
    with duckdb.connect() as con:
        rows = con.execute(
            "select person_id, customer_id, customer_type, action, channel, reason, "
            "cast(as_of_date as varchar) from read_parquet(?) order by person_id",
            [str(tmp_path / "win_back_offer.parquet")],
        ).fetchall()
        retarget = con.execute(
            "select person_id from read_parquet(?) order by person_id",
            [str(tmp_path / "retarget.parquet")],
        ).fetchall()
    assert rows == [(
        "c5", "c5", "lapsed", "win_back_offer", "email",
        "lapsed: valid purchases: 1; days since the last: 241; lapsed after 180 days", "2026-06-30",
    )]
    assert retarget == [("c1",), ("c6",)]


def test_unknown_action_and_missing_warehouse_are_one_line_errors(build_case: CaseBuilder, tmp_path: Path):
    run = build_case("worked_example")
    unknown = export(run.warehouse, "--out-dir", str(tmp_path), "--action", "send_flowers")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: unknown action send_flowers (the playbook has: ")
    assert not list(tmp_path.iterdir())
    missing = export(tmp_path / "nowhere.duckdb", "--out-dir", str(tmp_path))
    assert missing.returncode == 2
    assert "error: no warehouse at" in missing.stderr
