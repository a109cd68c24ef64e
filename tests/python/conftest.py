"""Shared helpers: run the pipeline script as a user would, and read the warehouse it built, on
each target (DuckDB; a throwaway PostgreSQL server; a local Spark session)."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import fcntl
import json
import os
import pickle
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
CASES_DIR = Path(__file__).resolve().parent / "cases"
PIPELINE = PROJECT_DIR / "scripts" / "run_pipeline.py"
SPARK_READER = Path(__file__).resolve().parent / "read_spark_tables.py"
README = PROJECT_DIR / "README.md"
# the bin folder of the venv running the tests: the README's `.venv/bin/`
VENV_BIN = Path(sys.executable).parent
TARGETS = ("duckdb", "postgres", "spark")

# pyspark, imported by Great Expectations when installed, ends the process when the main module
# has neither __spec__ nor __file__ (it takes that for a doctest run), which is what a
# pytest-xdist worker's main module looks like. The scripts themselves are unaffected.
if not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = "pytest-xdist-worker"

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
    target: str = "duckdb"
    # the environment that points the scripts at this run's database (Postgres, Spark)
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def reports_dir(self) -> Path:
        return self.warehouse.parent / "reports"


def run_pipeline(
    warehouse: Path,
    *args: str,
    timeout: int = 600,
    target: str = "duckdb",
    environment: dict[str, str] | None = None,
) -> PipelineRun:
    """Runs scripts/run_pipeline.py in a subprocess, exactly as the README tells a user to. On
    Postgres and Spark the reports go beside `warehouse` too, as on DuckDB."""
    env = {k: v for k, v in os.environ.items() if k != "LIFECYCLE_WAREHOUSE"}
    env.update(environment or {})
    command = [sys.executable, str(PIPELINE), "--warehouse", str(warehouse), *args]
    if target != "duckdb":
        command += ["--target", target, "--reports-dir", str(warehouse.parent / "reports")]
    completed = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
    return PipelineRun(
        completed.returncode, completed.stdout, completed.stderr, warehouse, target, environment or {}
    )


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


def read_table(
    source: Path | PipelineRun, table: str, columns: list[str]
) -> list[dict[str, object]]:
    """Rows of a published table: of a DuckDB file, or of the target a pipeline run built on."""
    run = source if isinstance(source, PipelineRun) else None
    if run is None or run.target == "duckdb":
        warehouse = run.warehouse if run else source
        column_list = ", ".join(f'"{column}"' for column in columns)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            cursor = con.execute(f"select {column_list} from {TABLE_SCHEMAS[table]}.{table}")
            return [dict(zip(columns, row)) for row in cursor.fetchall()]
    if run.target == "postgres":
        import psycopg2

        column_list = ", ".join(f'"{column}"' for column in columns)
        with psycopg2.connect(**postgres_dsn(run.environment)) as con, con.cursor() as cursor:
            cursor.execute(f"select {column_list} from {TABLE_SCHEMAS[table]}.{table}")
            return [dict(zip(columns, row)) for row in cursor.fetchall()]
    rows = spark_tables(run)[table]
    return [{column: row[column] for column in columns} for row in rows]


def postgres_dsn(environment: dict[str, str]) -> dict[str, object]:
    return {
        "host": environment["PGHOST"], "port": int(environment["PGPORT"]),
        "user": environment["PGUSER"], "password": environment.get("PGPASSWORD", ""),
        "dbname": environment["PGDATABASE"],
    }


_spark_tables: dict[str, dict[str, list[dict[str, object]]]] = {}


def spark_tables(run: PipelineRun) -> dict[str, list[dict[str, object]]]:
    """Every compared table of a Spark run, read once through its published views by a separate
    process (its Derby metastore admits one process at a time, and a session is bound to one)."""
    key = run.environment["LIFECYCLE_SPARK_DIR"]
    output = Path(key) / "published_tables.pickle"
    with shared_lock(Path(key).with_name("read_spark_tables.lock")):
        if key not in _spark_tables and output.exists():
            _spark_tables[key] = pickle.loads(output.read_bytes())
        if key in _spark_tables:
            return _spark_tables[key]
        env = {**os.environ, **run.environment}
        completed = subprocess.run(
            [
                sys.executable, str(SPARK_READER), str(output),
                *(f"{schema}.{table}" for table, schema in sorted(TABLE_SCHEMAS.items())),
            ],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
        _spark_tables[key] = pickle.loads(output.read_bytes())
    return _spark_tables[key]


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipeline")


@pytest.fixture(scope="session")
def postgres_server(shared_tmp: Path) -> dict[str, str]:
    """A throwaway PostgreSQL server (lifecycle_dev/local_postgres.py) shared by the workers of the test
    session, stopped when the session ends: its libpq environment. A machine without PostgreSQL
    fails here with the reason, never skips."""
    from lifecycle_dev.local_postgres import LocalPostgres

    record = shared_tmp / POSTGRES_RECORD
    with shared_lock(shared_tmp / "postgres.lock"):
        if record.exists():
            return json.loads(record.read_text())["environment"]
        # not under pytest's folders: the server runs as the postgres user, who cannot enter them
        server = LocalPostgres(Path(tempfile.mkdtemp(prefix="lifecycle-pg-"))).start()
        record.write_text(json.dumps({"folder": str(server.folder), "environment": server.environment()}))
        return server.environment()


POSTGRES_RECORD = "postgres_server.json"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controlling process (not an xdist worker) stops the shared PostgreSQL server."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    record = session.config._tmp_path_factory.getbasetemp() / "shared" / POSTGRES_RECORD
    if record.exists():
        from lifecycle_dev.local_postgres import LocalPostgres

        LocalPostgres(Path(json.loads(record.read_text())["folder"])).stop()


def new_postgres_database(server: dict[str, str], name: str) -> dict[str, str]:
    """A new empty database on the server; the environment that points at it."""
    import psycopg2

    con = psycopg2.connect(**postgres_dsn(server))
    con.autocommit = True
    with con.cursor() as cursor:
        cursor.execute(f'drop database if exists "{name}"')
        cursor.execute(f'create database "{name}"')
    con.close()
    return {**server, "PGDATABASE": name}


CaseBuilder = Callable[..., PipelineRun]
# The unit tests check the models on fixed fixtures, whatever the data. Pipeline runs leave them
# out by default; `make test` runs them on DuckDB (its dbt-build step), and on Postgres and Spark
# (40 s a build there) this case's build runs them.
UNIT_TESTED_CASE = "worked_example"


@contextlib.contextmanager
def shared_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between the pytest-xdist workers (a file lock)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by the pytest-xdist workers of this session (their base's parent)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def build_case(shared_tmp: Path, request: pytest.FixtureRequest) -> CaseBuilder:
    """Runs the pipeline on cases/<name>/raw with the case's as_of and vars (or another as_of),
    once per test session for each (name, as_of, target), whichever worker asks first: several
    test modules read the same build. On Postgres each build gets its own database, on Spark its
    own tables and metastore."""

    def build(name: str, as_of: str | None = None, target: str = "duckdb") -> PipelineRun:
        case_dir = CASES_DIR / name
        case = json.loads((case_dir / "case.json").read_text())
        as_of = as_of or case.get("as_of")
        folder = shared_tmp / f"{name}-{as_of or 'default'}-{target}"
        record = folder / "pipeline_run.json"
        with shared_lock(shared_tmp / f"{folder.name}.lock"):
            if record.exists():
                saved = json.loads(record.read_text())
                return PipelineRun(**{**saved, "warehouse": Path(saved["warehouse"])})
            args = ["--raw-dir", str(case_dir / "raw")]
            if as_of:
                args += ["--as-of", as_of]
            if case.get("vars"):
                args += ["--vars", *(f"{key}={value}" for key, value in case["vars"].items())]
            if target != "duckdb" and name == UNIT_TESTED_CASE:
                args.append("--unit-tests")
            folder.mkdir()
            environment: dict[str, str] = {}
            if target == "postgres":
                server = request.getfixturevalue("postgres_server")
                environment = new_postgres_database(server, folder.name.replace("-", "_"))
            elif target == "spark":
                environment = {"LIFECYCLE_SPARK_DIR": str(folder / "spark")}
            run = run_pipeline(
                folder / "warehouse.duckdb", *args, target=target, environment=environment,
                timeout=1200,
            )
            assert run.returncode == 0, f"pipeline failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
            record.write_text(json.dumps({**run.__dict__, "warehouse": str(run.warehouse)}))
            return run

    return build


@pytest.fixture(scope="session")
def demo(shared_tmp: Path) -> Path:
    """The pipeline on the bundled demo data (no --raw-dir, as `make demo` runs it), built once for
    all pytest-xdist workers; a fixed load date keeps as_of at 2026-06-30 whatever the day. The
    published warehouse; the run's dbt artifacts are beside it in lifecycle.dbt_target/."""
    folder = shared_tmp / "demo"
    warehouse = folder / "lifecycle.duckdb"
    with shared_lock(shared_tmp / "demo.lock"):
        if not (folder / "built").exists():
            folder.mkdir(exist_ok=True)
            run = run_pipeline(warehouse, "--vars", "load_date=2026-07-01")
            assert run.returncode == 0, run.stderr[-3000:]
            (folder / "built").touch()
    return warehouse


def readme_blocks(section: str, language: str) -> list[str]:
    """The code blocks of one language in a section of README.md (its `## ` heading to the next),
    as a reader copies them (a block indented under a list item is dedented)."""
    text = README.read_text()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    section_text = text[start:] if end == -1 else text[start:end]
    blocks = re.findall(rf"^( *)```{language}\n(.*?)^\1```$", section_text, re.MULTILINE | re.DOTALL)
    return [textwrap.dedent(body) for _indent, body in blocks]


def readme_command(line: str) -> list[str]:
    """A command line of the README as arguments, its `.venv/bin/` replaced by VENV_BIN."""
    words = shlex.split(line, comments=True)
    if words and words[0].startswith(".venv/bin/"):
        words[0] = str(VENV_BIN / words[0].removeprefix(".venv/bin/"))
    return words
