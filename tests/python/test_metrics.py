"""The semantic layer: `mf query` (dbt-metricflow on DuckDB) gives the numbers of the marts.

Two queries on the worked example's warehouse, as a user would run them from the project folder:
persons and revenue per person by customer type (against customer_type_summary), and the stage
conversion metrics (against lifecycle_funnel.conversion_from_previous). Then the README's Metrics
commands, exactly, after a pipeline run on the demo data, while another process holds the
warehouse open read-only.

mf reads PROJECT_DIR/target/semantic_manifest.json, which these tests write: they take turns
(a file lock across the pytest-xdist workers) and put back the manifest they found.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import duckdb
import pytest
import yaml

from conftest import (
    PROJECT_DIR, VENV_BIN, CaseBuilder, readme_blocks, readme_command, run_pipeline, shared_lock,
)

MF = VENV_BIN / "mf"
SEMANTIC_MODELS = PROJECT_DIR / "models" / "semantic" / "_semantic__models.yml"
STAGES = ["awareness", "interest", "consideration", "decision", "purchase", "loyalty", "advocacy"]


@pytest.fixture
def project_target(shared_tmp: Path) -> Iterator[Path]:
    """PROJECT_DIR/target/ for this test alone; the semantic manifest found there is put back
    afterwards (a user's `make demo` keeps working)."""
    manifest = PROJECT_DIR / "target" / "semantic_manifest.json"
    with shared_lock(shared_tmp / "project-target.lock"):
        before = manifest.read_bytes() if manifest.exists() else None
        try:
            yield manifest.parent
        finally:
            if before is None:
                manifest.unlink(missing_ok=True)
            else:
                manifest.write_bytes(before)


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
    build_case: CaseBuilder, project_target: Path, tmp_path: Path
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
    # docs/definitions.md §7: one person of each type but two potential ones
    assert metrics["potential"] == (2, Decimal(0))
    assert metrics["loyal"] == (1, Decimal("75.5"))


def test_stage_conversion_metrics_equal_the_funnel(
    build_case: CaseBuilder, project_target: Path, tmp_path: Path
):
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


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("select count(*) from marts.dim_customers").fetchall()
print("ready", flush=True)
sys.stdin.read()  # holds the file until the test closes stdin
"""


@contextlib.contextmanager
def read_only_reader(warehouse: Path) -> Iterator[None]:
    """Another process holding the warehouse open read-only, as a BI tool does."""
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
        yield
    finally:
        reader.kill()
        reader.wait(timeout=30)


def mf_table(output: str) -> list[dict[str, str]]:
    """The rows of the table `mf query` prints, cut at the columns its dashed line marks."""
    lines = output.splitlines()
    rule = next(i for i, line in enumerate(lines) if re.fullmatch(r"[- ]*-[- ]*", line))
    spans = [match.span() for match in re.finditer(r"-+", lines[rule])]

    def cells(line: str) -> list[str]:
        return [line[start:end].strip() for start, end in spans]

    header = cells(lines[rule - 1])
    return [dict(zip(header, cells(line))) for line in lines[rule + 1:] if line.strip()]


def test_readme_metrics_commands_work_after_a_run_beside_a_read_only_reader(
    project_target: Path, tmp_path: Path
):
    """The README's Metrics block, line by line, after a pipeline run on the demo data with
    LIFECYCLE_WAREHOUSE set, as the README says for a warehouse other than the default."""
    warehouse = tmp_path / "warehouse.duckdb"
    run = run_pipeline(warehouse, environment={"LIFECYCLE_WAREHOUSE": str(warehouse)})
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"semantic manifest for mf: {project_target / 'semantic_manifest.json'}" in run.stdout

    (block,) = readme_blocks("Metrics (dbt semantic layer)", "sh")
    export, *commands = block.splitlines()
    assert export.startswith("export ")
    environment = {
        **os.environ, "LIFECYCLE_WAREHOUSE": str(warehouse),
        **dict(word.split("=", 1) for word in readme_command(export)[1:]),
    }
    outputs = {}
    with read_only_reader(warehouse):
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(warehouse))  # the reader's hold is real: a writer is refused
        for command in commands:
            done = subprocess.run(
                readme_command(command), cwd=PROJECT_DIR, env=environment,
                capture_output=True, text=True, timeout=300,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            outputs[command] = done.stdout

    listed, *queries = commands
    metrics = {metric["name"] for metric in yaml.safe_load(SEMANTIC_MODELS.read_text())["metrics"]}
    assert metrics <= set(re.findall(r"^• (\w+):", outputs[listed], re.MULTILINE))
    for command in queries:
        rows = mf_table(outputs[command])
        names = readme_command(command)[readme_command(command).index("--metrics") + 1].split(",")
        assert rows, command
        for name in names:  # every metric asked for is there, with numbers
            assert any(re.fullmatch(r"-?\d+(\.\d+)?", row[name]) for row in rows), (command, name)

    by_type = next(mf_table(outputs[c]) for c in queries if "customer__customer_type" in c)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = {
            kind: (persons, revenue) for kind, persons, revenue in con.execute(
                "select customer_type, count(*), sum(lifetime_revenue) "
                "from marts.dim_customers group by customer_type"
            ).fetchall()
        }
    assert {
        row["customer__customer_type"]: (int(row["persons"]), Decimal(row["revenue"]))
        for row in by_type
    } == marts
    assert sum(persons for persons, _ in marts.values()) == 364  # the demo data's persons
