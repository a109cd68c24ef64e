"""Bad flags, values and paths for every user-facing script: one line `error: ...`, exit 2 (or 1
where a failed check is the honest answer), never a traceback, and nothing run before the refusal
(each case takes a second or two)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR

SCRIPTS = PROJECT_DIR / "scripts"
DEV_TOOLS = {"local_postgres"}

# (script, arguments, exit status, a fragment of the error line). In the arguments {tmp} is a
# fresh folder, {file} a text file, {folder} an empty folder, {not_duckdb} a text file named
# .duckdb, {empty_duckdb} a DuckDB file without any table, {missing} a path that does not exist.
CASES = [
    # run_pipeline.py (every case gives --warehouse in {tmp}: if one were not refused, it would
    # build there, not in the project's warehouse)
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--as-of", "2026-13-01"], 2, "--as-of"),
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--as-of", ""], 2, "--as-of"),
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--target", "oracle"], 2, "--target"),
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--bogus"], 2, "--bogus"),
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--vars", "novalue"], 2, "KEY=VALUE"),
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--vars", "lapsed_after_days=-5"], 2, "lapsed_after_days"),
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--raw-dir", "{file}"], 2, "is not a folder"),
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--raw-dir", "{missing}"], 2, "is not a folder"),
    ("run_pipeline", ["--warehouse", "{folder}"], 2, "is a folder"),
    ("run_pipeline", ["--warehouse", "{not_duckdb}"], 2, "not a DuckDB database file"),
    ("run_pipeline", ["--warehouse", "{not_duckdb}", "--full-refresh"], 2, "not a DuckDB database file"),
    ("run_pipeline", ["--warehouse", "{file}/w.duckdb"], 2, "--warehouse"),
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--reports-dir", "{file}"], 2, "--reports-dir"),
    ("run_pipeline", ["--warehouse", "{tmp}/w.duckdb", "--reports-dir", "{file}/reports"], 2, "--reports-dir"),
    ("run_pipeline", ["--validate-only", "--warehouse", "{missing}"], 2, "no published warehouse"),
    ("run_pipeline", ["--validate-only", "--warehouse", "{not_duckdb}"], 2, "not a DuckDB database file"),
    ("run_pipeline", ["--validate-only", "--warehouse", "{empty_duckdb}"], 2, "not a warehouse"),
    # validate.py
    ("validate", [], 2, "--warehouse"),
    ("validate", ["--warehouse", "{missing}"], 2, "no warehouse"),
    ("validate", ["--warehouse", "{folder}"], 2, "is a folder"),
    ("validate", ["--warehouse", "{not_duckdb}"], 2, "not a DuckDB database file"),
    ("validate", ["--warehouse", "{empty_duckdb}"], 2, "not a warehouse"),
    ("validate", ["--warehouse", "{empty_duckdb}", "--batch-rows", "0"], 2, "--batch-rows"),
    ("validate", ["--warehouse", "{empty_duckdb}", "--batch-rows", "-5"], 2, "--batch-rows"),
    ("validate", ["--warehouse", "{empty_duckdb}", "--batch-rows", "lots"], 2, "--batch-rows"),
    ("validate", ["--warehouse", "{empty_duckdb}", "--expectations-dir", "{missing}"], 2, "--expectations-dir"),
    ("validate", ["--warehouse", "{empty_duckdb}", "--expectations-dir", "{folder}"], 2, "--expectations-dir"),
    ("validate", ["--warehouse", "{empty_duckdb}", "--reports-dir", "{file}"], 2, "--reports-dir"),
    ("validate", ["--warehouse", "{empty_duckdb}", "-v", "--quiet"], 2, "not allowed with argument"),
    ("validate", ["--warehouse", "{empty_duckdb}", "--vars", "quarantine_fail_rate=x"], 2, "quarantine_fail_rate"),
    ("validate", ["--target", "oracle"], 2, "--target"),
    # report.py
    ("report", ["--warehouse", "{missing}"], 2, "no warehouse"),
    ("report", ["--warehouse", "{folder}"], 2, "is a folder"),
    ("report", ["--warehouse", "{not_duckdb}"], 2, "not a DuckDB database file"),
    ("report", ["--warehouse", "{empty_duckdb}"], 2, "not a warehouse"),
    ("report", ["--warehouse", "{empty_duckdb}", "--reports-dir", "{file}"], 2, "--reports-dir"),
    ("report", ["--warehouse", "{empty_duckdb}", "--reports-dir", "{file}/reports"], 2, "--reports-dir"),
    # export_audiences.py
    ("export_audiences", ["--warehouse", "{empty_duckdb}", "--out-dir", "{file}"], 2, "--out-dir"),
    ("export_audiences", ["--warehouse", "{empty_duckdb}", "--out-dir", "{file}/x"], 2, "--out-dir"),
    ("export_audiences", ["--warehouse", "{empty_duckdb}", "--out-dir", "/proc/lifecycle-audiences"], 2, "--out-dir"),
    ("export_audiences", ["--warehouse", "{missing}", "--out-dir", "{tmp}/a"], 2, "no warehouse"),
    ("export_audiences", ["--warehouse", "{folder}", "--out-dir", "{tmp}/a"], 2, "is a folder"),
    ("export_audiences", ["--warehouse", "{not_duckdb}", "--out-dir", "{tmp}/a"], 2, "not a DuckDB database file"),
    ("export_audiences", ["--warehouse", "{empty_duckdb}", "--out-dir", "{tmp}/a"], 2, "not a warehouse"),
    ("export_audiences", ["--warehouse", "{empty_duckdb}", "--format", "xls"], 2, "--format"),
    # generate_data.py
    ("generate_data", ["--persons", "0", "--out-dir", "{tmp}/o"], 2, "--persons"),
    ("generate_data", ["--persons", "-1", "--out-dir", "{tmp}/o"], 2, "--persons"),
    ("generate_data", ["--persons", "many", "--out-dir", "{tmp}/o"], 2, "--persons"),
    ("generate_data", ["--persons", "", "--out-dir", "{tmp}/o"], 2, "--persons"),
    ("generate_data", ["--out-dir", "{tmp}/o"], 2, "--persons"),
    ("generate_data", ["--persons", "10", "--out-dir", "{file}"], 2, "--out-dir"),
    ("generate_data", ["--persons", "10", "--out-dir", "{file}/o"], 2, "--out-dir"),
    ("generate_data", ["--persons", "1.5", "--out-dir", "{tmp}/o"], 2, "--persons"),
    ("generate_data", ["--persons", "10x", "--out-dir", "{tmp}/o"], 2, "--persons"),
    ("generate_data", ["--persons", "10", "--out-dir", "{tmp}/o", "--seed", "-1"], 2, "--seed"),
    ("generate_data", ["--persons", "10", "--out-dir", "{tmp}/o", "--bad-row-rate", "2"], 2, "--bad-row-rate"),
    ("generate_data", ["--persons", "10", "--out-dir", "{tmp}/o", "--bad-row-rate", "x"], 2, "--bad-row-rate"),
    ("generate_data", ["--persons", "10", "--out-dir", "{tmp}/o", "--touchpoints-per-person", "nan"], 2, "--touchpoints-per-person"),
    ("generate_data", ["--persons", "10", "--out-dir", "{tmp}/o", "--orders-per-buyer", "0.5"], 2, "--orders-per-buyer"),
    ("generate_data", ["--persons", "10", "--out-dir", "{tmp}/o", "--end", "2020-01-01"], 2, "--end"),
    ("generate_data", ["--persons", "10", "--out-dir", "{tmp}/o", "--start", "someday"], 2, "--start"),
    # benchmark.py
    ("benchmark", ["--data-dir", "{tmp}/d", "--results-dir", "{tmp}/r", "--sizes", "0"], 2, "--sizes"),
    ("benchmark", ["--data-dir", "{tmp}/d", "--results-dir", "{tmp}/r", "--sizes", "-5k"], 2, "--sizes"),
    ("benchmark", ["--data-dir", "{tmp}/d", "--results-dir", "{tmp}/r", "--sizes", "big"], 2, "--sizes"),
    ("benchmark", ["--data-dir", "{tmp}/d", "--results-dir", "{tmp}/r", "--seed", "-1"], 2, "--seed"),
    ("benchmark", ["--data-dir", "{tmp}/d", "--results-dir", "{tmp}/r", "--pandas-max-gib", "-1"], 2, "--pandas-max-gib"),
    ("benchmark", ["--data-dir", "{tmp}/d", "--results-dir", "{tmp}/r", "--pandas-max-gib", "nan"], 2, "--pandas-max-gib"),
    ("benchmark", ["--data-dir", "{file}", "--results-dir", "{tmp}/r", "--sizes", "1k"], 2, "--data-dir"),
    ("benchmark", ["--data-dir", "{tmp}/d", "--results-dir", "{file}", "--sizes", "1k"], 2, "--results-dir"),
    ("benchmark", ["--data-dir", "{tmp}/d", "--results-dir", "{file}/r", "--sizes", "1k"], 2, "--results-dir"),
    # local_postgres.py (test infrastructure with a CLI)
    ("local_postgres", [], 2, "command"),
    ("local_postgres", ["start"], 2, "--dir"),
    ("local_postgres", ["start", "--dir", "{file}"], 2, "--dir"),
    ("local_postgres", ["stop", "--dir", "{file}"], 2, "--dir"),
]


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "a_file.txt").write_text("not a folder\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "not_duckdb.duckdb").write_text("order_id,amount\n1,2\n")
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    return {
        "tmp": str(tmp_path), "file": str(tmp_path / "a_file.txt"), "folder": str(tmp_path / "folder"),
        "not_duckdb": str(tmp_path / "not_duckdb.duckdb"), "empty_duckdb": str(tmp_path / "empty.duckdb"),
        "missing": str(tmp_path / "missing" / "nothing.duckdb"),
    }


@pytest.mark.parametrize(
    "script, arguments, status, fragment",
    CASES,
    ids=[f"{script}:{' '.join(arguments)}" for script, arguments, _, _ in CASES],
)
def test_bad_input_is_one_line(
    paths: dict[str, str], script: str, arguments: list[str], status: int, fragment: str
):
    # the developers' tools run as modules (lifecycle_dev), the product's as the README's scripts
    entry = ["-m", f"lifecycle_dev.{script}"] if script in DEV_TOOLS else [str(SCRIPTS / f"{script}.py")]
    command = [sys.executable, *entry, *(a.format(**paths) for a in arguments)]
    run = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output[-3000:]
    error_lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, run.stderr[-3000:]
    assert fragment in error_lines[0], error_lines[0]
    assert run.returncode == status, output[-3000:]


@pytest.mark.parametrize("command, script", [
    ("run", "run_pipeline"), ("validate", "validate"), ("report", "report"),
    ("export-audiences", "export_audiences"),
])
def test_lifecycle_command_is_the_script(paths: dict[str, str], command: str, script: str):
    """`lifecycle <command>` (installed by make setup) runs the same code as scripts/<script>.py:
    the same usage, and the same one-line refusal of a warehouse that is not one."""
    lifecycle = Path(sys.executable).parent / "lifecycle"
    arguments = ["--warehouse", paths["not_duckdb"]]
    by_command = subprocess.run([str(lifecycle), command, *arguments], cwd=PROJECT_DIR,
                                capture_output=True, text=True, timeout=60)
    by_script = subprocess.run([sys.executable, str(SCRIPTS / f"{script}.py"), *arguments],
                               cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
    assert by_command.returncode == by_script.returncode == 2
    assert by_command.stderr.splitlines()[-1] == by_script.stderr.splitlines()[-1]
    assert "not a DuckDB database file" in by_command.stderr
    usage = subprocess.run([str(lifecycle), command, "--help"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 0 and usage.stdout.startswith(f"usage: lifecycle {command} ")


def test_lifecycle_without_a_known_command_is_one_line():
    lifecycle = Path(sys.executable).parent / "lifecycle"
    unknown = subprocess.run([str(lifecycle), "publish"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2
    assert unknown.stderr.splitlines() == [
        "error: unknown command 'publish' (one of run, validate, report, export-audiences)"
    ]
    listing = subprocess.run([str(lifecycle)], capture_output=True, text=True, timeout=60)
    assert listing.returncode == 2 and "lifecycle run" in listing.stdout
