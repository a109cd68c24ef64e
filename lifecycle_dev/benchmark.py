"""Benchmark the dbt project against two baselines on generated data, at chosen sizes.

For each size (touchpoints; orders are about a fifth of that), in one go:
  1. data           generate (or reuse) raw Parquet with scripts/generate_data.py, split by time
                    into the initial load (99 %) and a later batch (the newest 1 %)
  2. dbt full build run_pipeline.py on the initial load, into a new warehouse (seed, build with
                    every data and unit test, GX validation, summary); its note splits the time
  3. dbt incremental the same warehouse after the new batch lands in the raw folder (+1 %)
  4. GX validation  scripts/validate.py on the full build's warehouse
  5. DuckDB script  baselines/duckdb_sql on the initial load: the engine's near-limit
  6. pandas         baselines/pandas on the initial load (stopped when over --pandas-max-gib)
With --verify the marts are also compared cell by cell: dbt vs both baselines on the initial
load, and the incremental warehouse vs the DuckDB script on initial + new (a full recompute).

With --format csv (or both) the same steps also run on the same data as CSV, the way users
export it: `<table>.csv` files written from the split Parquet by DuckDB, as generate_data.py
--format csv writes them. A CSV file cannot take a batch as a new part, so the incremental step
reads a second export holding initial + new rows. With both formats, a table puts each step's
time on CSV beside its time on Parquet: what parsing CSV costs.

Every step runs as a child process; the table shows its wall time, input rows per second and
the peak resident memory of its whole process tree (sampled from /proc every 50 ms). Results
are kept per size in <results-dir>/results.json and rendered, with the machine's cores and
memory, into <results-dir>/results.md (hand-written notes from <results-dir>/notes.md are
appended). This is a benchmark that prints figures, not a timed test.

    python scripts/benchmark.py --sizes 1M 10M --data-dir /tmp/lifecycle-bench
    python scripts/benchmark.py --sizes 1M --format both
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import duckdb

from lifecycle import PROJECT_DIR, cli_checks
from lifecycle import console
from lifecycle.console import parse_size, size_label

PYTHON = sys.executable
TOUCHPOINTS_PER_PERSON = 10.0
# with 10 touchpoints per person, this gives about one raw order row per five touchpoints
ORDERS_PER_BUYER = 13.0
NEW_BATCH_SHARE = 0.01
GX_SCRIPT = PROJECT_DIR / "scripts" / "validate.py"
FORMATS = ("parquet", "csv")

log = logging.getLogger("benchmark")


@dataclass
class StepResult:
    step: str
    status: str  # ok, failed, stopped (over the memory cap), skipped
    seconds: float | None = None
    rows: int | None = None
    peak_rss_mib: float | None = None
    note: str = ""
    # a dbt step: the time of its `dbt build` alone (without the parse and seeds, the GX
    # validation and the reports that run_pipeline.py adds)
    build_seconds: float | None = None

    @property
    def rows_per_second(self) -> float | None:
        if self.status != "ok" or not self.rows or not self.seconds:
            return None
        return self.rows / self.seconds


@dataclass
class SizeResult:
    label: str
    persons: int
    touchpoints: int
    orders: int
    new_touchpoints: int
    new_orders: int
    measured_at: str
    # of the raw input the steps read; the data is the same in both formats
    file_format: str = "parquet"
    load_average: float = 0.0  # of the machine (1 min) when the size started: other work competes
    # DuckDB's memory_limit for the dbt steps and the DuckDB script (profiles.yml, or
    # LIFECYCLE_DUCKDB_MEMORY_LIMIT)
    duckdb_memory_limit: str = ""
    steps: list[StepResult] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.step == name), None)

    @property
    def key(self) -> str:
        """Its key in results.json: the size label alone for Parquet, as before CSV existed."""
        return self.label if self.file_format == "parquet" else f"{self.label} {self.file_format}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli_checks.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=[1_000_000, 10_000_000],
                        metavar="SIZE", help="touchpoints per size, e.g. 1M 10M 50M (default 1M 10M)")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/lifecycle-bench"),
                        help="where generated data and warehouses go (default /tmp/lifecycle-bench)")
    parser.add_argument("--results-dir", type=Path, default=PROJECT_DIR / "benchmarks",
                        help="where results.json and results.md are written (default benchmarks/)")
    parser.add_argument("--format", dest="file_format", choices=[*FORMATS, "both"], default="parquet",
                        help="raw input format the steps read: parquet, csv or both (default parquet)")
    parser.add_argument("--seed", type=cli_checks.non_negative_int, default=42,
                        help="generator seed (default 42)")
    parser.add_argument("--regenerate", action="store_true", help="generate data even if it exists")
    parser.add_argument("--skip", nargs="*", default=[], choices=["pandas", "duckdb_sql", "incremental"],
                        help="steps not to run (reported as skipped)")
    parser.add_argument("--pandas-max-gib", type=cli_checks.positive_float, default=16.0,
                        help="stop the pandas baseline when its memory passes this (default 16)")
    parser.add_argument("--verify", action="store_true",
                        help="also compare the marts cell by cell (dbt vs baselines, incremental vs full)")
    console.add_verbosity_flags(parser)
    args = parser.parse_args(argv)
    try:
        cli_checks.writable_folder(args.data_dir, "--data-dir")
        cli_checks.writable_folder(args.results_dir, "--results-dir")
    except cli_checks.InputError as error:
        parser.error(str(error))
    return args


# --- measuring a process tree --------------------------------------------------------------

def _parent_map() -> dict[int, list[int]]:
    """Children of every process, from the parent ids in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                # the command name in parentheses may hold spaces: the fields after it are fixed
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    children = _parent_map()
    total, stack, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * page
        except OSError:
            continue
        stack.extend(children.get(current, []))
    return total


def run_step(step: str, command: list[str], rows: int | None, env: dict[str, str] | None = None,
             max_bytes: int | None = None, log_file: Path | None = None) -> StepResult:
    """Runs a command as a child process; wall time and the peak RSS of its process tree."""
    log.info("%s: %s", step, " ".join(command))
    output = open(log_file, "w") if log_file else subprocess.DEVNULL
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env={**os.environ, **(env or {})},
                               stdout=output, stderr=subprocess.STDOUT)
    peak, stopped = 0, False
    try:
        while process.poll() is None:
            peak = max(peak, tree_rss_bytes(process.pid))
            if max_bytes and peak > max_bytes:
                process.kill()
                stopped = True
                break
            time.sleep(0.05)
        process.wait()
    finally:
        # interrupted: do not leave a step running (it would hold the warehouse's lock)
        if process.poll() is None:
            process.kill()
            process.wait()
    seconds = time.monotonic() - started
    if log_file:
        output.close()
    result = StepResult(step, "ok", seconds, rows, peak / 2**20)
    if stopped:
        result.status = "stopped"
        result.note = f"stopped at {peak / 2**30:.1f} GiB (over the {max_bytes / 2**30:.0f} GiB cap)"
    elif process.returncode != 0:
        result.status = "failed"
        tail = log_file.read_text().strip().splitlines()[-1:] if log_file else []
        result.note = f"exit {process.returncode}: {tail[0][:200] if tail else ''}"
    log.info("%s: %s in %.1f s, peak %.0f MiB %s", step, result.status, seconds, result.peak_rss_mib,
             result.note)
    return result


# --- data ------------------------------------------------------------------------------------

def prepare_data(touchpoints: int, folder: Path, seed: int, regenerate: bool) -> tuple[dict[str, int], StepResult | None]:
    """Generates the data once per size and splits it into raw/ (99 %) and new/ (the newest 1 %)."""
    meta_file = folder / "meta.json"
    persons = max(100, round(touchpoints / TOUCHPOINTS_PER_PERSON))
    wanted = {"persons": persons, "seed": seed, "touchpoints_per_person": TOUCHPOINTS_PER_PERSON,
              "orders_per_buyer": ORDERS_PER_BUYER, "new_batch_share": NEW_BATCH_SHARE}
    if not regenerate and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if all(meta.get(key) == value for key, value in wanted.items()):
            log.info("reusing the data in %s", folder)
            return meta, None
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    generated = folder / "generated"
    result = run_step("generate data", [
        PYTHON, str(PROJECT_DIR / "scripts" / "generate_data.py"), "--persons", str(persons),
        "--seed", str(seed), "--out-dir", str(generated), "--format", "parquet",
        "--touchpoints-per-person", str(TOUCHPOINTS_PER_PERSON),
        "--orders-per-buyer", str(ORDERS_PER_BUYER),
    ], rows=None, log_file=folder / "generate.log")
    if result.status != "ok":
        raise SystemExit(f"data generation failed: {result.note}")
    counts = split_new_batch(generated, folder)
    shutil.rmtree(generated)
    meta = {**wanted, **counts}
    result.rows = counts["touchpoints"] + counts["orders"] + counts["new_touchpoints"] + counts["new_orders"]
    meta_file.write_text(json.dumps(meta, indent=2))
    return meta, result


def split_new_batch(generated: Path, folder: Path) -> dict[str, int]:
    """The newest 1 % of touchpoints by time, and the order rows written since then, form the
    later batch: new touchpoints, late identifications, new orders and status updates (refunds
    of old orders). Rows whose time cannot be parsed stay in the initial load."""
    counts = {}
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'")
        con.execute(f"create view touchpoints as select * from read_parquet('{generated}/touchpoints/*.parquet')")
        con.execute(f"create view orders as select * from read_parquet('{generated}/orders/*.parquet')")
        cutoff = con.execute(
            f"select quantile_disc(try_cast(occurred_at as timestamptz), {1 - NEW_BATCH_SHARE}) from touchpoints"
        ).fetchone()[0]
        is_new = {
            "touchpoints": "try_cast(occurred_at as timestamptz) > $cutoff",
            "orders": "coalesce(try_cast(updated_at as timestamptz), try_cast(ordered_at as timestamptz)) > $cutoff",
        }
        for table, condition in is_new.items():
            for part, where in (("raw", f"not coalesce({condition}, false)"), ("new", condition)):
                target = folder / part / table
                target.mkdir(parents=True)
                con.execute(
                    f"copy (select * from {table} where {where}) to '{target}/{part}-00000.parquet' "
                    "(format parquet, compression zstd)",
                    {"cutoff": cutoff},
                )
            rows = con.execute(f"select count(*) filter (where {condition}), count(*) from {table}",
                               {"cutoff": cutoff}).fetchone()
            counts[f"new_{table}"], counts[table] = rows[0], rows[1] - rows[0]
    log.info("split at %s: %s", cutoff, counts)
    return counts


def prepare_csv(folder: Path) -> tuple[Path, Path, StepResult | None]:
    """The split data as `<table>.csv` files: csv/raw (the initial load) and csv/with_new (initial
    + new, a user's next full export). Written once per generated data set, since prepare_data
    removes the whole folder when it generates again."""
    csv_dir = folder / "csv"
    raw, with_new, done = csv_dir / "raw", csv_dir / "with_new", csv_dir / "written"
    if done.exists():
        log.info("reusing the CSV files in %s", csv_dir)
        return raw, with_new, None
    shutil.rmtree(csv_dir, ignore_errors=True)
    started, rows = time.monotonic(), 0
    with duckdb.connect() as con:
        for table in ("touchpoints", "orders"):
            for target_dir, parts in ((raw, ["raw"]), (with_new, ["raw", "new"])):
                target_dir.mkdir(parents=True, exist_ok=True)
                sources = ", ".join(f"'{folder / part / table}/*.parquet'" for part in parts)
                # every column is text, and COPY writes CSV exactly as generate_data.py --format csv
                rows += con.execute(
                    f"copy (select * from read_parquet([{sources}], union_by_name = true)) "
                    f"to '{target_dir / table}.csv' (format csv, header true)"
                ).fetchone()[0]
    done.touch()
    seconds = time.monotonic() - started
    log.info("CSV written to %s in %.1f s", csv_dir, seconds)
    return raw, with_new, StepResult("write CSV", "ok", seconds, rows,
                                     note="from the generated data, in the benchmark's process")


# --- steps -----------------------------------------------------------------------------------

PIPELINE_STEP = re.compile(r"run_pipeline \[\d+/\d+\] (\w+): ok in ([\d.]+) s")
DBT_NODE = re.compile(r" \d+ of \d+ (OK created|PASS|WARN|FAIL|ERROR) .* in ([\d.]+)s\]$")


def pipeline_breakdown(step: StepResult, log_file: Path) -> None:
    """Where a run_pipeline step's time went, from its own log: the pipeline's steps, with the
    dbt build's models and tests apart and the GX validation that the pipeline also runs."""
    try:
        lines = log_file.read_text().splitlines()
    except OSError:
        return
    steps = {name: float(seconds) for name, seconds in
             (match.groups() for match in map(PIPELINE_STEP.search, lines) if match)}
    models = tests = 0.0
    for match in filter(None, map(DBT_NODE.search, lines)):
        if match.group(1) == "OK created":
            models += float(match.group(2))
        else:
            tests += float(match.group(2))
    step.build_seconds = steps.get("build")
    parts = [f"seed {steps['seed']:.1f} s" if "seed" in steps else "",
             f"build {steps['build']:.1f} s (models {models:.1f} s, tests {tests:.1f} s)"
             if "build" in steps else "",
             f"GX validate {steps['validate']:.1f} s" if "validate" in steps else ""]
    step.note = step.note or ", ".join(part for part in parts if part)


def verify(dbt_warehouse: Path, baseline: Path, what: str) -> str:
    from baselines.compare import compare

    diffs = compare(dbt_warehouse, baseline)
    differing = [d.describe() for d in diffs if not d.equal]
    if differing:
        log.error("%s: differences\n%s", what, "\n".join(differing))
        return f"{what}: DIFFERENT in {len(differing)} of {len(diffs)} tables"
    return f"{what}: equal in all {len(diffs)} tables"


def duckdb_memory_limit() -> str:
    from lifecycle.engines import profile_output

    return str(profile_output("duckdb").get("settings", {}).get("memory_limit", "DuckDB's default"))


def benchmark_size(touchpoints: int, args: argparse.Namespace, file_format: str,
                   regenerate: bool) -> SizeResult:
    label = size_label(touchpoints)
    folder = args.data_dir.resolve() / label
    meta, generated = prepare_data(touchpoints, folder, args.seed, regenerate)
    result = SizeResult(label, meta["persons"], meta["touchpoints"], meta["orders"],
                        meta["new_touchpoints"], meta["new_orders"],
                        dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                        file_format, os.getloadavg()[0], duckdb_memory_limit())
    if generated:
        result.steps.append(generated)
    raw, new = folder / "raw", folder / "new"
    # the incremental step's raw folder: Parquet gets the new parts landed in raw/
    raw_with_new = raw
    # the files of each format apart, so that both formats can be kept side by side
    tag = "" if file_format == "parquet" else f"-{file_format}"
    if file_format == "csv":
        raw, raw_with_new, written = prepare_csv(folder)
        if written:
            result.steps.append(written)
    initial_rows = meta["touchpoints"] + meta["orders"]
    new_rows = meta["new_touchpoints"] + meta["new_orders"]
    # a previous run may have been interrupted with the new batch in place
    for landed in raw.glob("*/new-*.parquet"):
        landed.unlink()
    warehouse = folder / f"warehouse{tag}.duckdb"
    dbt_env = {"DBT_LOG_PATH": str(folder / f"dbt-logs{tag}")}

    def pipeline(raw_dir: Path) -> list[str]:
        # --unit-tests: benchmarks/results.md was measured with them; keep measuring the same run
        # -v: dbt's per-node lines in the step's log, which pipeline_breakdown reads
        return [PYTHON, str(PROJECT_DIR / "scripts" / "run_pipeline.py"), "--raw-dir", str(raw_dir),
                "--warehouse", str(warehouse), "--unit-tests", "-v"]

    for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        stale.unlink(missing_ok=True)
    full = run_step("dbt full build", pipeline(raw), initial_rows, dbt_env,
                    log_file=folder / f"dbt-full{tag}.log")
    pipeline_breakdown(full, folder / f"dbt-full{tag}.log")
    result.steps.append(full)

    sql_out = folder / f"baseline_duckdb_sql{tag}.duckdb"
    pandas_out = folder / f"baseline_pandas{tag}"
    if "duckdb_sql" in args.skip:
        result.steps.append(StepResult("DuckDB SQL script", "skipped", note="--skip duckdb_sql"))
    else:
        result.steps.append(run_step("DuckDB SQL script", [
            PYTHON, "-m", "baselines.duckdb_sql", "--raw-dir", str(raw), "--out", str(sql_out)
        ], initial_rows, log_file=folder / f"duckdb_sql{tag}.log"))
    if "pandas" in args.skip:
        result.steps.append(StepResult("pandas", "skipped", note="--skip pandas"))
    else:
        shutil.rmtree(pandas_out, ignore_errors=True)
        result.steps.append(run_step("pandas", [
            PYTHON, "-m", "baselines.pandas", "--raw-dir", str(raw), "--out", str(pandas_out)
        ], initial_rows, max_bytes=int(args.pandas_max_gib * 2**30), log_file=folder / f"pandas{tag}.log"))

    if args.verify and full.status == "ok":
        for name, output in (("DuckDB SQL script", sql_out), ("pandas", pandas_out)):
            step = result.step(name)
            if step and step.status == "ok":
                result.checks.append(verify(warehouse, output, f"dbt full build vs {name}"))

    result.steps.append(run_step("GX validation", [PYTHON, str(GX_SCRIPT), "--warehouse", str(warehouse)],
                                 initial_rows, log_file=folder / f"gx{tag}.log"))

    if "incremental" in args.skip or full.status != "ok":
        reason = "--skip incremental" if "incremental" in args.skip else "the full build failed"
        result.steps.append(StepResult("dbt incremental (+1 %)", "skipped", note=reason))
    else:
        landed = []
        if file_format == "parquet":
            for part in new.glob("*/new-*.parquet"):
                destination = raw / part.parent.name / part.name
                shutil.copyfile(part, destination)
                landed.append(destination)
        try:
            incremental = run_step("dbt incremental (+1 %)", pipeline(raw_with_new), new_rows, dbt_env,
                                   log_file=folder / f"dbt-incremental{tag}.log")
            pipeline_breakdown(incremental, folder / f"dbt-incremental{tag}.log")
            result.steps.append(incremental)
            if args.verify and incremental.status == "ok":
                recomputed = folder / f"baseline_duckdb_sql_with_new{tag}.duckdb"
                check = run_step("DuckDB SQL script on initial + new", [
                    PYTHON, "-m", "baselines.duckdb_sql", "--raw-dir", str(raw_with_new),
                    "--out", str(recomputed)
                ], initial_rows + new_rows, log_file=folder / f"duckdb_sql_with_new{tag}.log")
                result.steps.append(check)
                if check.status == "ok":
                    result.checks.append(verify(warehouse, recomputed, "dbt incremental vs full recompute"))
        finally:
            for destination in landed:
                destination.unlink()
    return result


# --- report ----------------------------------------------------------------------------------

def ratio(numerator: StepResult | None, denominator: StepResult | None) -> float | None:
    if not numerator or not denominator or numerator.status != "ok" or denominator.status != "ok":
        return None
    return numerator.seconds / denominator.seconds


def target_lines(size: SizeResult) -> list[str]:
    full, script = size.step("dbt full build"), size.step("DuckDB SQL script")
    pandas, incremental = size.step("pandas"), size.step("dbt incremental (+1 %)")
    lines = []

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "MISSED")

    r = ratio(full, script)
    lines.append(f"dbt full build / DuckDB script: {_num(r, 'x')} (target <= 1.3x: {verdict(None if r is None else r <= 1.3)})")
    if full and full.build_seconds and script and script.status == "ok" and script.seconds:
        lines.append(f"dbt build step alone / DuckDB script: {full.build_seconds / script.seconds:.2f}x "
                     "(without the parse and seeds, the GX validation and the reports)")
    r = ratio(pandas, full)
    pandas_note = "" if not pandas or pandas.status == "ok" else f" (pandas {pandas.status}: {pandas.note})"
    lines.append(f"pandas / dbt full build: {_num(r, 'x')} (target >= 5x: {verdict(None if r is None else r >= 5)}){pandas_note}")
    r = ratio(incremental, full)
    lines.append(f"dbt incremental (+1 %) / full build: {_num(None if r is None else 100 * r, ' %')} "
                 f"(target <= 10 %: {verdict(None if r is None else r <= 0.10)})")
    limit = 4 if size.touchpoints + size.new_touchpoints <= 10_500_000 else 8
    dbt_steps = [s for s in (full, incremental) if s and s.status == "ok"]
    if dbt_steps and size.touchpoints >= 5_000_000:
        peak = max(s.peak_rss_mib for s in dbt_steps) / 1024
        lines.append(f"dbt peak memory: {peak:.2f} GiB (target < {limit} GiB: {verdict(peak < limit)})")
    return lines + size.checks


def _num(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def render_size(size: SizeResult) -> str:
    lines = [
        f"### {size.label} touchpoints" + ("" if size.file_format == "parquet" else ", CSV input"),
        "",
        f"Initial load: {size.touchpoints:,} touchpoints and {size.orders:,} order rows "
        f"({size.persons:,} generated persons); new batch: {size.new_touchpoints:,} touchpoints and "
        f"{size.new_orders:,} order rows. Measured {size.measured_at}, machine load average "
        f"{size.load_average:.1f} at the start (2 cores: above ~0.5 other work competed)."
        + (f" DuckDB memory_limit {size.duckdb_memory_limit}." if size.duckdb_memory_limit else ""),
        "",
        "| step | status | wall time (s) | rows in | rows/s | peak RSS (MiB) | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for step in size.steps:
        rps = step.rows_per_second
        lines.append(
            f"| {step.step} | {step.status} | {_num(step.seconds, '')} | "
            f"{'' if step.rows is None else f'{step.rows:,}'} | {'' if rps is None else f'{rps:,.0f}'} | "
            f"{'' if step.peak_rss_mib is None else f'{step.peak_rss_mib:,.0f}'} | {step.note} |"
        )
    lines += ["", *(f"- {line}" for line in target_lines(size)), ""]
    return "\n".join(lines)


# the steps put side by side when a size ran on both formats
COMPARED_STEPS = ("dbt full build", "dbt incremental (+1 %)", "DuckDB SQL script", "pandas",
                  "GX validation")


def render_formats(parquet: SizeResult, csv: SizeResult) -> str:
    """Each step's time on CSV input beside its time on Parquet input of the same data: the
    difference is what reading CSV costs (GX validation reads the warehouse, not the files: it
    shows how much the figures move between runs on this machine)."""
    lines = [
        f"### {parquet.label} touchpoints: CSV vs Parquet input",
        "",
        f"The same data as CSV (measured {csv.measured_at}, load average {csv.load_average:.1f}) and "
        f"as Parquet (measured {parquet.measured_at}, load average {parquet.load_average:.1f}).",
        "",
        "| step | Parquet (s) | CSV (s) | CSV - Parquet (s) | CSV / Parquet |",
        "|---|---:|---:|---:|---:|",
    ]
    rows: list[tuple[str, float | None, float | None]] = []
    for name in COMPARED_STEPS:
        left, right = parquet.step(name), csv.step(name)
        ok = left and right and left.status == "ok" and right.status == "ok"
        rows.append((name, left.seconds if ok else None, right.seconds if ok else None))
        if name == "dbt full build":
            rows.append(("dbt build step alone", left.build_seconds if ok else None,
                         right.build_seconds if ok else None))
    for name, left_s, right_s in rows:
        if left_s and right_s:
            lines.append(f"| {name} | {left_s:.2f} | {right_s:.2f} | {right_s - left_s:+.2f} | "
                         f"{right_s / left_s:.2f}x |")
        else:
            lines.append(f"| {name} | - | - | - | - |")
    return "\n".join(lines + [""])


def machine() -> str:
    with open("/proc/meminfo") as handle:
        mem_kib = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    from importlib.metadata import version

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    return (f"{os.cpu_count()} cores, {mem_kib / 2**20:.1f} GiB memory, commit {commit}, {platform.system()} "
            f"{platform.machine()}, Python {platform.python_version()}, duckdb {version('duckdb')}, "
            f"dbt-core {version('dbt-core')}, dbt-duckdb {version('dbt-duckdb')}, pandas {version('pandas')}")


def write_results(results_dir: Path, measured: list[SizeResult]) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    store = results_dir / "results.json"
    stored = json.loads(store.read_text()) if store.exists() else {}
    for size in measured:
        stored[size.key] = {**asdict(size), "machine": machine()}
    store.write_text(json.dumps(stored, indent=2) + "\n")
    sizes = sorted(stored.values(),
                   key=lambda s: (s["touchpoints"], FORMATS.index(s.get("file_format", "parquet"))))
    parts = [
        "# Benchmark results",
        "",
        "Written by `scripts/benchmark.py` (see the README); one section per size, replaced when the",
        "size is measured again. Wall times include process start-up; peak RSS is the whole process",
        "tree. dbt steps run `scripts/run_pipeline.py` (seed, build with every data and unit test,",
        "the Great Expectations validation, summary and reports) with the DuckDB settings of",
        "`profiles.yml`; their note splits the time. The baselines use the same settings.",
        "",
    ]
    by_key: dict[str, SizeResult] = {}
    for raw in sizes:
        steps = [StepResult(**s) for s in raw["steps"]]
        size = SizeResult(**{**{k: v for k, v in raw.items() if k not in ("steps", "machine")}, "steps": steps})
        by_key[size.key] = size
        parts += [f"Machine: {raw['machine']}", "", render_size(size)]
        parquet = by_key.get(size.label)
        if size.file_format == "csv" and parquet:
            parts += [render_formats(parquet, size)]
    notes = results_dir / "notes.md"
    if notes.exists():
        parts += [notes.read_text()]
    output = results_dir / "results.md"
    output.write_text("\n".join(parts).rstrip() + "\n")
    return output


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # a terminated benchmark unwinds (and stops its running step) instead of vanishing
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    console.setup_logging(args)
    formats = FORMATS if args.file_format == "both" else (args.file_format,)
    measured = []
    for touchpoints in args.sizes:
        for index, file_format in enumerate(formats):
            # --regenerate: once per size, not again for the second format
            size = benchmark_size(touchpoints, args, file_format, args.regenerate and index == 0)
            measured.append(size)
            print()
            print(render_size(size))
            if file_format == "csv" and len(formats) == 2:
                print(render_formats(measured[-2], size))
            write_results(args.results_dir, measured)
    output = write_results(args.results_dir, measured)
    print(f"results written to {output}")
    failed = [s.step for size in measured for s in size.steps if s.status == "failed"]
    different = [c for size in measured for c in size.checks if "DIFFERENT" in c]
    if failed or different:
        print(f"error: failed steps {failed}, differences {different}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
