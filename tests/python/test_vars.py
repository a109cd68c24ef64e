"""dbt vars are declared once (macros/check_vars.sql) and checked before anything runs: by the
scripts (scripts/dbt_vars.py) and by dbt's on-run-start hook, with the same rules and words."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from conftest import PROJECT_DIR, run_pipeline

from lifecycle import dbt_vars

VAR_CALL = re.compile(r"""var\(\s*['"](\w+)['"]""")


def test_readme_settings_table_is_the_declaration():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert dbt_vars.readme_table() in readme, (
        "README's settings table differs from macros/check_vars.sql: "
        "run .venv/bin/python scripts/dbt_vars.py --write-readme"
    )


def test_project_defaults_are_the_declared_ones():
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    declared = dbt_vars.declared_vars()
    assert project["vars"] == {name: spec["default"] for name, spec in declared.items()}


def test_every_var_the_project_reads_is_declared():
    read = set()
    for folder in ("models", "macros", "tests"):
        for path in (PROJECT_DIR / folder).rglob("*"):
            if path.suffix in {".sql", ".yml"}:
                read |= set(VAR_CALL.findall(path.read_text()))
    read |= set(VAR_CALL.findall((PROJECT_DIR / "dbt_project.yml").read_text()))
    # the vars Python reads: the suite parameters and the pipeline's own
    read |= {"quarantine_warn_rate", "quarantine_fail_rate", "raw_dir", "as_of", "schema_suffix"}
    assert "lapsed_after_days" in read
    assert read - set(dbt_vars.declared_vars()) == set()


@pytest.mark.parametrize(
    "values, allowed",
    [
        ({"lapsed_after_days": 1}, True),
        ({"lapsed_after_days": 0}, False),
        ({"lapsed_after_days": -5}, False),
        ({"lapsed_after_days": 36501}, False),
        ({"lapsed_after_days": 90.0}, False),
        ({"lapsed_after_days": True}, False),
        ({"lapsed_after_days": "90"}, False),
        ({"lapsed_after_days": None}, False),
        ({"regular_min_orders": 1}, False),
        ({"incremental_lookback_days": 0}, True),
        ({"quarantine_fail_rate": 1}, True),
        ({"quarantine_fail_rate": 1.5}, False),
        ({"quarantine_warn_rate": 0.2, "quarantine_fail_rate": 0.2}, True),
        ({"quarantine_warn_rate": 0.3, "quarantine_fail_rate": 0.2}, False),
        ({"quarantine_warn_rate": 0.5}, False),  # above the default fail rate
        ({"as_of": "2026-06-30"}, True),
        ({"as_of": None}, True),
        ({"as_of": "2026-02-30"}, False),
        ({"as_of": "2026-6-30"}, False),
        ({"as_of": 20260630}, False),
        ({"load_date": "2026-07-01"}, True),
        ({"raw_dir": ""}, False),
        ({"schema_suffix": "__v20261125t101500"}, True),
        ({"schema_suffix": "x; drop schema marts"}, False),
    ],
)
def test_declared_rules(values: dict[str, Any], allowed: bool):
    if allowed:
        dbt_vars.check_vars(values, internal_allowed=True)
    else:
        with pytest.raises(dbt_vars.VarError):
            dbt_vars.check_vars(values, internal_allowed=True)


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("lapsed_after_days=-5", "error: var lapsed_after_days=-5: expected an integer from 1 to 36500"),
        ("lapsed_after_days=abc", 'error: var lapsed_after_days="abc": expected an integer from 1 to 36500'),
        ("lapsed_after_days=", "error: var lapsed_after_days=null: expected an integer from 1 to 36500"),
        ("lapsed_after_dayz=90", "error: unknown var lapsed_after_dayz (did you mean lapsed_after_days?)"),
        ("as_of=2026-02-30", 'error: var as_of="2026-02-30": expected a date (YYYY-MM-DD) or null'),
        ("quarantine_fail_rate=2", "error: var quarantine_fail_rate=2: expected a number from 0 to 1"),
        ("quarantine_warn_rate=0.5", "error: var quarantine_warn_rate=0.5: must be at most quarantine_fail_rate (0.1)"),
        ("schema_suffix=x", "error: var schema_suffix is set by the pipeline, not by --vars"),
        ("raw_dir=/nonexistent/raw", "error: raw input error: --raw-dir /nonexistent/raw is not a folder"),
    ],
)
def test_pipeline_refuses_bad_vars_before_anything_runs(tmp_path: Path, assignment: str, message: str):
    warehouse = tmp_path / "out" / "w.duckdb"
    started = time.monotonic()
    run = run_pipeline(warehouse, "--vars", "regular_min_orders=3", assignment, timeout=60)
    assert time.monotonic() - started < 10
    assert run.returncode == 2, run.stderr[-2000:]
    assert error_lines(run.stderr) == [message]
    assert "Traceback" not in run.stdout + run.stderr
    assert not (tmp_path / "out").exists()  # nothing built, no report, nothing published


def test_validate_refuses_bad_vars(tmp_path: Path):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    run = subprocess.run(
        [sys.executable, "scripts/validate.py", "--warehouse", str(warehouse),
         "--vars", "quarantine_fail_rat=0.2"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert error_lines(run.stderr) == [
        "error: unknown var quarantine_fail_rat (did you mean quarantine_fail_rate?)"
    ]
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    "dbt_vars_text, python_values",
    [
        ("{lapsed_after_days: abc}", {"lapsed_after_days": "abc"}),
        ("{lapsed_after_dayz: 90}", {"lapsed_after_dayz": 90}),
        ("{quarantine_warn_rate: 0.5, as_of: '2026-06-30'}", {"quarantine_warn_rate": 0.5}),
    ],
)
def test_dbt_build_refuses_bad_vars_like_the_scripts(
    tmp_path: Path, dbt_vars_text: str, python_values: dict[str, Any]
):
    warehouse = tmp_path / "w.duckdb"
    env = {**os.environ, "LIFECYCLE_WAREHOUSE": str(warehouse), "DO_NOT_TRACK": "1"}
    run = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--vars", dbt_vars_text,
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode != 0
    with pytest.raises(dbt_vars.VarError) as refused:
        dbt_vars.check_vars(python_values)
    # the same rule, in the same words, as the scripts' check
    assert f"  {refused.value}\n" in run.stdout, run.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from information_schema.tables").fetchone() == (0,)
