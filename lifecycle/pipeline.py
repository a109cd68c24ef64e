"""Build, check and publish the customer-lifecycle warehouse, then print what it found.

Write-audit-publish: the run builds into <warehouse>.build.duckdb next to the published file,
checks it, and only when every check passed swaps it in with an atomic rename, keeping the
previous warehouse as <warehouse>.previous.duckdb. BI readers of the published file are never
blocked (the run does not open it for writing) and keep their consistent, older copy until they
reconnect. A failed or interrupted run leaves the published file untouched and says where the
failed build is.

Steps, through dbt's programmatic API (dbtRunner) and Great Expectations, one after the other:
  1. prepare   the build file: a copy of the published warehouse (or a new one)
  2. seed      the reference seeds (and the demo raw data unless --raw-dir is given)
  3. build     every model and data test, in dependency order (with --unit-tests also dbt's
               unit tests: for development and CI, not production runs)
  4. validate  the Great Expectations suites of expectations/ (scripts/validate.py)
  5. docs      dbt docs (static HTML) of the build
  6. publish   atomic rename of the build over the published warehouse
Then a summary (persons per type, funnel, where every raw row went, as-of date), a run report
(run_report.json and run_report.md, also for failed runs) and report.html (charts and data
quality, scripts/report.py) in the reports folder. When the published file is the one the dbt
profile opens (LIFECYCLE_WAREHOUSE, or warehouse/lifecycle.duckdb), the build's semantic
manifest is copied to target/, where `mf` reads it.

Incremental: the build starts as a copy of the published warehouse, so the large models are
updated from the rows that are new in --raw-dir (plus a lookback, the dbt var
incremental_lookback_days); --full-refresh rebuilds everything from an empty file. An explicit
--as-of always rebuilds, since it can move the past.

Load date: the dbt var load_date (--vars load_date=YYYY-MM-DD), by default the UTC date the run
starts; the run passes it to dbt and records it in the run report. Rows dated more than a day
after it are quarantined (future_timestamp), the default as-of never passes it, and an --as-of
after it is refused (exit 2) before anything is built.

Targets (--target, the outputs of profiles.yml): duckdb (default, the file above), postgres and
spark. On Postgres and Spark the build goes to versioned schemas (marts__v20261125t101500, ...)
and publishing replaces the views of the plain schemas (marts.dim_customers, ...) by views over
that build; the previous build's schemas are kept, older ones dropped. Every such run is a full
build. On Postgres the pipeline first loads --raw-dir's files into the build's raw schema (the
server cannot read them); Spark reads them itself.

Exit status: 0 on success; 1 when a model, an error-severity test or a suite fails; 2 when the
input or the arguments are unusable; 130/143 when interrupted. A failure ends with one line that
says why. Quarantined rows and unknown event types are expected data: warnings, not failures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from lifecycle import PROJECT_DIR, cli_checks, console, engines, raw_inputs
from lifecycle import validate as quality
from lifecycle.build_inputs import BuildInputs
from lifecycle.dbt_vars import check_vars
from lifecycle.engines.duckdb import DEFAULT_WAREHOUSE, WAREHOUSE_ENV_VAR
from lifecycle.raw_inputs import RawInputError, RawInputs
from lifecycle.report import REPORT_NAME, RUN_REPORT_NAME, DataQuality, data_quality_summary, write_report

# The demo seeds are the `raw` source, which dbt's graph does not tie to them: seeded first, by a
# dbt seed of their own (the project is parsed once for both commands).
BUILD_RESOURCE_TYPES = [
    "--resource-type", "model", "--resource-type", "test", "--resource-type", "unit_test"
]
# Schemas whose tables are counted in the run report.
REPORTED_SCHEMAS = ("staging", "intermediate", "marts", "audit")

# Lines of a dbt error message that say nothing about the cause.
ERROR_HEADER = re.compile(r"^(\w+ )?(Runtime|Compilation|Database|Parsing) Error( in .*)?$")
# DuckDB's CSV reader names the file and what was wrong on lines of their own.
CSV_ERROR_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)
CSV_ERROR_HINT = re.compile(r"^\s*Expected Number of Columns: .*$", re.MULTILINE)
CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (\d+)")
NOT_PARQUET = re.compile(r"No magic bytes found at end of file '([^']+)'")
SQL_EXCERPT = re.compile(r"^(LINE \d+:|\^+$|> in macro|> called by)")

log = logging.getLogger("run_pipeline")


class PipelineError(Exception):
    """A failure explained in one line; `exit_code` tells bad input (2) from a failed build (1)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class BadRawInput(PipelineError):
    """A raw file that the engine could not read (an encoding, a ragged line, not Parquet): the
    user's input, so exit 2, like the finder's RawInputError."""

    def __init__(self, detail: str) -> None:
        super().__init__(str(RawInputError(detail)), exit_code=2)


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    reports_dir: Path
    dbt_vars: dict[str, Any]
    full_refresh: bool
    target: str = "duckdb"
    # dbt unit tests check the code, not the data: dev and CI only (--unit-tests)
    unit_tests: bool = False
    # what this run reads, taken before it starts (DuckDB): recorded in the published build
    inputs: BuildInputs | None = None
    # the raw files the finder found in --raw-dir (None: the demo seeds)
    raw_inputs: RawInputs | None = None
    # -v: dbt's own log on the console too; --quiet: warnings and errors only
    verbose: bool = False
    quiet: bool = False
    # the file the duckdb profile (and so `mf`) opens: LIFECYCLE_WAREHOUSE as the run found it
    profile_warehouse: Path = DEFAULT_WAREHOUSE

    @property
    def engine(self) -> engines.Engine:
        return engines.engine(self.target)

    @property
    def suffix(self) -> str:
        """The schema suffix of this run's build (Postgres and Spark)."""
        return str(self.dbt_vars.get("schema_suffix", ""))

    @property
    def dbt_target(self) -> Path:
        return self.engine.dbt_target(self)


@dataclass
class RunReport:
    """What run_report.json says; filled in as the steps go."""

    started_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat())
    status: str = "running"
    reason: str | None = None
    as_of: str | None = None
    # the run's var load_date (definitions §3): later rows are quarantined, as_of never passes it
    load_date: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    dbt_results: dict[str, Any] = field(default_factory=dict)
    expectations: list[dict[str, Any]] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    quarantine: dict[str, dict[str, int]] = field(default_factory=dict)
    warehouse: dict[str, str | None] = field(default_factory=dict)
    docs: dict[str, str | None] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli_checks.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--raw-dir",
        type=Path,
        help="folder holding orders and touchpoints as .csv, .parquet or a folder of .parquet "
        "parts (docs/definitions.md §2); default: the bundled demo data",
    )
    parser.add_argument(
        "--as-of",
        type=_iso_date,
        help="UTC date (YYYY-MM-DD) the marts describe, at most the load date; default: the latest "
        "date among kept rows, capped at the load date",
    )
    parser.add_argument(
        "--target",
        choices=engines.TARGETS,
        default="duckdb",
        help="the output of profiles.yml to build on (default duckdb); postgres connects with "
        "PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; spark runs a local session under "
        "LIFECYCLE_SPARK_DIR (default warehouse/spark)",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get(WAREHOUSE_ENV_VAR, DEFAULT_WAREHOUSE)),
        help=f"published DuckDB file (default: ${WAREHOUSE_ENV_VAR} or {DEFAULT_WAREHOUSE}); "
        "target duckdb only",
    )
    parser.add_argument(
        "--reports-dir",
        type=Path,
        help="run report, Data Docs and dbt docs (default: a folder 'reports' beside the warehouse; "
        "for postgres and spark warehouse/<target>/reports)",
    )
    parser.add_argument(
        "--vars",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="dbt vars, e.g. lapsed_after_days=90 regular_min_orders=3 quarantine_fail_rate=0.2",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="build every model from all raw rows, in an empty file instead of a copy of the "
        "published warehouse (implied by --as-of)",
    )
    parser.add_argument(
        "--unit-tests",
        action="store_true",
        help="also run dbt's unit tests (they check the models on fixed fixtures, not the data): "
        "for development and CI (make test), not for production runs",
    )
    parser.add_argument(
        "--validate-only",
        action="store_true",
        help="only run the Great Expectations suites on the published warehouse (for CI)",
    )
    console.add_verbosity_flags(parser)
    return parser.parse_args(argv)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _date_var(dbt_vars: dict[str, Any], name: str) -> dt.date | None:
    """A date var as a date (None when unset), and back in dbt_vars as YYYY-MM-DD text: --vars
    reads 2026-07-01 as a YAML date, which JSON (dbt's --vars) cannot carry."""
    value = dbt_vars.get(name)
    if value is None:
        return None
    try:
        date = value if type(value) is dt.date else dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise PipelineError(f"{name} must be a date in YYYY-MM-DD form, got {value!r}", 2) from None
    dbt_vars[name] = date.isoformat()
    return date


def settings_from_args(args: argparse.Namespace) -> Settings:
    try:
        dbt_vars = check_vars(quality.parse_vars(args.vars))
    except ValueError as error:
        raise PipelineError(str(error), exit_code=2) from None
    # --vars raw_dir=... is the same setting as --raw-dir: checked the same way
    raw_dir_arg = args.raw_dir or (Path(dbt_vars["raw_dir"]) if dbt_vars.get("raw_dir") else None)
    if raw_dir_arg is not None:
        raw_dir = raw_dir_arg.expanduser().resolve()
        if not raw_dir.is_dir():
            raise PipelineError(str(RawInputError(f"--raw-dir {raw_dir} is not a folder")), exit_code=2)
        dbt_vars["raw_dir"] = str(raw_dir)
    if args.as_of is not None:
        dbt_vars["as_of"] = args.as_of.isoformat()
    # one load date for dbt, the report and the summary, even when a run crosses midnight
    load_date = _date_var(dbt_vars, "load_date") or dt.datetime.now(dt.timezone.utc).date()
    dbt_vars["load_date"] = load_date.isoformat()
    as_of = _date_var(dbt_vars, "as_of")
    if as_of is not None and as_of > load_date:
        option = "--as-of" if args.as_of is not None else "as_of"
        raise PipelineError(
            f"{option} {as_of} is after the load date {load_date}: rows dated after it are not "
            "loaded yet (give an earlier as_of, or --vars load_date=YYYY-MM-DD)",
            exit_code=2,
        )
    warehouse = args.warehouse.expanduser().resolve()
    engine = engines.engine(args.target)
    reports_dir = (args.reports_dir or engine.state_dir(warehouse) / "reports").expanduser().resolve()
    try:
        engine.check_locations(warehouse, building=not args.validate_only)
        cli_checks.writable_folder(reports_dir, "--reports-dir")
    except cli_checks.InputError as error:
        raise PipelineError(str(error), exit_code=2) from None
    # incremental models assume the default as_of (macros/incremental.sql)
    full_refresh = args.full_refresh or "as_of" in dbt_vars
    if not args.validate_only:
        full_refresh = engine.start_run(dbt_vars) or full_refresh
    return Settings(
        warehouse, reports_dir, dbt_vars, full_refresh, args.target, args.unit_tests,
        verbose=args.verbose, quiet=args.quiet,
        # read now: run_dbt points the variable at the build file
        profile_warehouse=Path(os.environ.get(WAREHOUSE_ENV_VAR, DEFAULT_WAREHOUSE)).resolve(),
    )


def plan_build(settings: Settings, report: RunReport) -> Settings:
    """Finds the raw files (exit 2 when they are not there as docs/definitions.md §2 says) and
    asks the engine whether this run builds from empty or continues the published build."""
    raw_dir = settings.dbt_vars.get("raw_dir")
    if raw_dir:
        found = raw_inputs.find(Path(raw_dir))
        settings.dbt_vars["raw_inputs"] = raw_inputs.as_dbt_var(found)
        settings = replace(settings, raw_inputs=found)
    try:
        plan = settings.engine.plan_build(settings)
    except engines.WarehouseError as error:
        raise PipelineError(str(error), exit_code=2) from None
    report.inputs["build"] = plan.why
    return replace(settings, full_refresh=plan.full_refresh, inputs=plan.inputs)


def run_dbt(step: str, command: list[str], settings: Settings) -> Any:
    """Runs one dbt command in this process on the build file; raises PipelineError on failure.
    The project is parsed once per run and the manifest reused by the later commands."""
    from dbt.cli.main import dbtRunner

    cli_args = [
        *command,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        # dbt's artifacts of this run beside its warehouse: runs on other warehouses at the same
        # time (and `mf`, which reads target/) must not see each other's manifests
        "--target-path", str(settings.dbt_target),
        "--target", settings.target,
        "--vars", json.dumps(settings.dbt_vars),
    ]
    if not sys.stdout.isatty():
        cli_args.append("--no-use-colors")
    # dbt's whole log always goes to dbt.log beside the run's artifacts; the console shows it
    # with -v only, and otherwise a progress counter and the warnings (console.DbtProgress)
    cli_args += ["--log-path", str(settings.dbt_target), "--log-level-file", "debug"]
    if not settings.verbose:
        cli_args += ["--log-level", "none"]
    with settings.engine.dbt_session(settings):
        if not parsed_manifest:
            parse = dbtRunner().invoke(["parse", *cli_args[len(command):]])
            if not parse.success:
                raise failure("parse", parse, settings)
            parsed_manifest.append(parse.result)
        progress = console.DbtProgress(step, shown=not (settings.verbose or settings.quiet))
        try:
            result = dbtRunner(manifest=parsed_manifest[0], callbacks=[progress]).invoke(cli_args)
        finally:
            progress.finish()
    for warning in progress.warnings:
        log.warning("warning: %s", warning)
    if not result.success:
        raise failure(step, result, settings)
    return result


# The manifest of this run's parse (one run per process, with one set of vars).
parsed_manifest: list[Any] = []


def failure(step: str, result: Any, settings: Settings) -> PipelineError:
    """Why a dbt command failed, in one line. An error that names one of the raw inputs the
    finder found (the hook that makes the raw views found no required column in it, the engine
    could not read it) is BadRawInput, exit 2. Anything else is a failed build (exit 1), named by
    its first failed node."""
    if result.exception is not None:
        where, message = step, str(result.exception)
    else:
        failed = [
            node_result
            for node_result in getattr(result.result, "results", None) or []
            if str(node_result.status).lower() in {"error", "fail", "runtimeerr"}
        ]
        if not failed:
            return PipelineError(f"{step} failed")
        node = failed[0].node
        where, message = f"{node.resource_type} {node.name}", failed[0].message or ""
    detail = first_informative_line(message) or "no message"
    named = [
        name
        for found in (settings.raw_inputs or {}).values()
        for name in (found.location, *(str(path) for path in found.files))
    ]
    if any(name in message for name in named):
        return BadRawInput(raw_read_error(detail, message))
    if "Out of Memory Error" in message:
        # DuckDB ran out of its memory_limit in an operator that could not spill further (the
        # error can be under another one: a unit test's "check the data types")
        limit = engines.profile_output("duckdb").get("settings", {}).get("memory_limit")
        detail += (f" (DuckDB's memory_limit is {limit}: raise it with LIFECYCLE_DUCKDB_MEMORY_LIMIT,"
                   " README \"Generated data, baselines and the benchmark\")")
    return PipelineError(f"{step} failed: {where}: {detail}")


def raw_read_error(detail: str, message: str) -> str:
    """What was wrong with a raw file, from the engine's error: which file and, for a CSV file,
    which line (DuckDB names them on lines of their own)."""
    detail = detail.removeprefix(RawInputError.PREFIX)
    named_file = CSV_ERROR_FILE.search(message)
    if "not utf-8 encoded" in message.lower():
        # DuckDB's own words come on later lines than "CSV Error on Line: 2"
        line = CSV_ERROR_LINE.search(message)
        name = Path(named_file.group(1).strip()).name if named_file else "a raw file"
        where = f" (line {line.group(1)})" if line else ""
        return f"{name} is not UTF-8{where}: save it as UTF-8 and run again"
    not_parquet = NOT_PARQUET.search(message)
    if not_parquet:
        return f"{not_parquet.group(1)} is not a Parquet file (no Parquet footer: cut short, or another format)"
    hint = CSV_ERROR_HINT.search(message)
    return "".join([
        f"{named_file.group(1)}: " if named_file and named_file.group(1) not in detail else "",
        detail,
        f" ({hint.group(0).strip()})" if hint else "",
    ])


def first_informative_line(message: str) -> str | None:
    """Skips dbt's headers ("Runtime Error in model x (...)") and DuckDB's SQL excerpts."""
    for line in (line.strip() for line in message.splitlines()):
        if not line or ERROR_HEADER.match(line) or SQL_EXCERPT.match(line):
            continue
        return line
    return None


def dbt_node_results(result: Any) -> dict[str, Any]:
    """Counts of dbt results by status, with the tests that did not pass, for the run report."""
    counts: dict[str, int] = {}
    not_passed = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status).lower().split(".")[-1]
        kind = node_result.node.resource_type
        counts[f"{kind}:{status}"] = counts.get(f"{kind}:{status}", 0) + 1
        if kind in {"test", "unit_test"} and status not in {"pass", "success"}:
            not_passed.append({
                "name": node_result.node.name, "status": status, "failures": node_result.failures
            })
    return {"counts": counts, "not_passed": not_passed}


def open_build(settings: Settings) -> Any:
    """A connection to this run's build: the build file, or the versioned schemas."""
    try:
        return settings.engine.open_build(settings)
    except engines.WarehouseError as error:
        raise PipelineError(str(error)) from None


def open_published(settings: Settings) -> Any:
    try:
        return settings.engine.open_published(settings)
    except engines.WarehouseError as error:
        raise PipelineError(str(error), exit_code=2) from None


def generate_dbt_docs(settings: Settings) -> Path:
    # no compile: the manifest and the catalog are what the site needs, and compiling would
    # re-enter the incremental models outside of the build (macros/incremental.sql)
    run_dbt("docs", ["docs", "generate", "--static", "--no-compile"], settings)
    target = settings.reports_dir / "dbt_docs" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings.dbt_target / "static_index.html", target)
    return target


def read_warehouse_facts(wh: Any, report: RunReport, given_as_of: str | None) -> DataQuality:
    """As-of date, table row counts and quarantine reasons, for the run report; returns the
    data-quality figures that the summary prints too. given_as_of: the run's --as-of, if any."""
    facts = data_quality_summary(wh, given_as_of=given_as_of)
    report.as_of = facts.as_of.isoformat() if facts.as_of else None
    for table in wh.tables(REPORTED_SCHEMAS):
        report.row_counts[table] = wh.scalar(f"select count(*) from {wh.relation(table)}")
    for raw_table in ("orders", "touchpoints"):
        report.quarantine[raw_table] = {
            reason: count for table, reason, count in facts.quarantine_reasons if table == raw_table
        }
    return facts


def write_run_report(report: RunReport, settings: Settings) -> tuple[Path, dict[str, Any]]:
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    path = settings.reports_dir / "run_report.json"
    document = {**report.__dict__, "finished_at": dt.datetime.now(dt.timezone.utc).isoformat()}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    lines = [
        f"# Run report: {report.status}",
        "",
        f"- started {document['started_at']}, finished {document['finished_at']}",
        f"- as of: {report.as_of or '-'}",
        f"- load date: {report.load_date or '-'}",
    ]
    if report.reason:
        lines.append(f"- reason: {report.reason}")
    lines += [f"- {name}: {value}" for name, value in report.warehouse.items() if value]
    lines += [f"- {name}: {value}" for name, value in report.docs.items() if value]
    lines += ["", "## Steps", ""]
    lines += [f"- {step['name']}: {step['status']} in {step['seconds']:.1f} s" for step in report.steps]
    if report.expectations:
        lines += ["", "## Expectation suites", ""]
        for suite in report.expectations:
            lines.append(f"- {suite['suite']}: {suite['status']}")
            # the same sentences as the run printed (lifecycle/quality_messages.py)
            for kind, label in (("errored", "error"), ("failed", "fail"), ("warned", "warn")):
                lines += [f"  - {label}: {text}" for text in suite.get(kind, [])]
    if report.dbt_results.get("not_passed"):
        lines += ["", "## dbt tests that did not pass", ""]
        lines += [
            f"- {test['name']}: {test['status']} ({test['failures']} rows)"
            for test in report.dbt_results["not_passed"]
        ]
    if report.quarantine:
        lines += ["", "## Quarantined rows", ""]
        for raw_table, reasons in report.quarantine.items():
            lines += [f"- {raw_table} {reason}: {count}" for reason, count in reasons.items()]
    (settings.reports_dir / "run_report.md").write_text("\n".join(lines) + "\n")
    return path, document


def print_summary(wh: Any, facts: DataQuality, load_date: str | None = None) -> None:
    types = wh.rows(
        f"""
        select summary.customer_type, summary.persons, summary.share_of_persons, summary.revenue
        from {wh.relation('marts.customer_type_summary')} as summary
        inner join {wh.relation('seeds.customer_types')} as types
            on summary.customer_type = types.customer_type
        order by types.type_rank
        """
    )
    funnel = wh.rows(
        f"""
        select stage_rank, lifecycle_stage, persons_entered, conversion_from_previous,
            median_days_from_previous
        from {wh.relation('marts.lifecycle_funnel')}
        order by stage_rank
        """
    )

    print()
    if load_date:
        print(f"Load date {load_date} (rows dated more than a day later are quarantined)")
    print(f"Summary as of {facts.as_of}")
    print()
    print("Persons by customer type")
    for customer_type, persons, share, revenue in types:
        share_text = "-" if share is None else f"{share:6.1%}"
        print(f"  {customer_type:<10} {persons:>9,}  {share_text:>7}  revenue {revenue:>14,.2f}")
    print()
    print("Lifecycle funnel                 persons  from previous  median days from previous")
    for rank, stage, persons, conversion, median_days in funnel:
        conversion_text = "-" if conversion is None else f"{conversion:.1%}"
        median_text = "-" if median_days is None else f"{median_days:.1f}"
        print(f"  {rank} {stage:<28} {persons:>9,}  {conversion_text:>13}  {median_text:>24}")
    print_row_dispositions(facts)


def print_row_dispositions(facts: DataQuality) -> None:
    """What became of the raw rows: kept, collapsed, quarantined (by reason), after as_of."""
    print()
    print("Raw rows            raw       kept  collapsed  quarantined  after as_of")
    for table, raw, kept, collapsed, quarantined, after in facts.reconciliation:
        print(f"  {table:<12} {raw:>9,} {kept:>10,} {collapsed:>10,} {quarantined:>12,} {after:>12,}")
    for table, reason, count in facts.quarantine_reasons:
        print(f"  quarantined {table}: {count:,} {reason}")
    if facts.unknown_event_touchpoints:
        print(
            f"  warning: {facts.unknown_event_touchpoints:,} kept touchpoints have an unknown event "
            "type (no stage)"
        )
    print()


def run_validation(wh: Any, settings: Settings, report: RunReport) -> None:
    docs_dir = settings.reports_dir / "data_docs"
    try:
        results = quality.validate(
            wh, docs_dir, quality.suite_parameters(settings.dbt_vars)
        )
    except quality.ValidationSetupError as error:
        raise PipelineError(f"validate failed: {error}") from None
    report.expectations = [result.as_dict() for result in results]
    report.docs["data_docs"] = str(docs_dir / "index.html")
    quality.print_results(results, settings.quiet, indent="  ")
    broken = [result.name for result in results if result.status not in {"passed", "warned"}]
    if broken:
        raise PipelineError(f"validate failed: suites {', '.join(broken)} did not pass")


class Steps:
    """Runs the numbered steps, timing each into the report."""

    def __init__(self, report: RunReport, total: int) -> None:
        self.report = report
        self.total = total
        self.done = 0

    def run(self, name: str, action: Any, *args: Any) -> Any:
        self.done += 1
        log.info("[%d/%d] %s", self.done, self.total, name)
        started = time.monotonic()
        entry = {"name": name, "status": "failed", "seconds": 0.0}
        self.report.steps.append(entry)
        try:
            outcome = action(*args)
            entry["status"] = "ok"
            return outcome
        finally:
            entry["seconds"] = round(time.monotonic() - started, 2)
            log.info("[%d/%d] %s: %s in %.1f s", self.done, self.total, name, entry["status"], entry["seconds"])


def build_check_publish(settings: Settings, report: RunReport) -> DataQuality:
    """The six steps; returns the build's data-quality figures, read once from the build (the
    published warehouse is that build, renamed or viewed)."""
    steps = Steps(report, total=6)
    report.warehouse = settings.engine.build_location(settings)
    steps.run("prepare", settings.engine.prepare_build, settings)
    steps.run("seed", run_dbt, "seed", ["seed", "--full-refresh"], settings)
    resource_types = BUILD_RESOURCE_TYPES if settings.unit_tests else BUILD_RESOURCE_TYPES[:-2]
    build_command = ["build", *resource_types] + (["--full-refresh"] if settings.full_refresh else [])
    build = steps.run("build", run_dbt, "build", build_command, settings)
    report.dbt_results = dbt_node_results(build)
    with open_build(settings) as wh:
        facts = read_warehouse_facts(wh, report, settings.dbt_vars.get("as_of"))
        steps.run("validate", run_validation, wh, settings, report)
    report.docs["dbt_docs"] = str(steps.run("docs", generate_dbt_docs, settings))
    report.warehouse = steps.run("publish", settings.engine.publish, settings)
    return facts


def install_signal_handlers(settings: Settings, report: RunReport) -> None:
    """On SIGTERM or SIGINT: report and leave at once. Nothing needs undoing: the published
    warehouse is only ever replaced by an atomic rename, and the next run discards the build.
    (Raising into dbt's and DuckDB's threads instead was seen to abort the interpreter.)"""

    def stop(signal_number: int, _frame: Any) -> None:
        report.status = "interrupted"
        report.reason = f"interrupted by {signal.Signals(signal_number).name}"
        print(f"error: {report.reason} ({settings.engine.outcome_note(settings)})", file=sys.stderr, flush=True)
        try:
            write_run_report(report, settings)
        finally:
            os._exit(128 + signal_number)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console.setup_logging(args)
    console.keep_spark_unloaded(args.target)
    quality.quiet_gx_logging()
    try:
        settings = settings_from_args(args)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    if args.validate_only:
        return validate_published(settings)

    report = RunReport(load_date=settings.dbt_vars["load_date"], inputs={
        "raw_dir": settings.dbt_vars.get("raw_dir", "demo seeds"), "vars": settings.dbt_vars,
        "target": settings.target, "unit_tests": settings.unit_tests,
    })
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    log.info("%s, raw data from %s", settings.engine.describe(settings), report.inputs["raw_dir"])
    install_signal_handlers(settings, report)
    report_written = False
    try:
        settings = plan_build(settings, report)
        facts = build_check_publish(settings, report)
        report.status = "succeeded"
        with open_published(settings) as wh:
            if not settings.quiet:
                print_summary(wh, facts, settings.dbt_vars["load_date"])
            # the charts and data-quality page (scripts/report.py) also shows this run's report:
            # written once, and handed over as written instead of read back
            report.docs["report"] = str(settings.reports_dir / REPORT_NAME)
            path, document = write_run_report(report, settings)
            report_written = True
            write_report(
                wh, settings.reports_dir / REPORT_NAME,
                quality=replace(facts, run_report=document, run_report_path=path),
            )
        return 0
    except (PipelineError, RawInputError) as error:
        report.status = "failed"
        report.reason = str(error)
        if not settings.quiet:
            print_what_the_build_found(settings)
        log.info("dbt's log: %s", settings.dbt_target / "dbt.log")
        return error.exit_code
    except Exception as error:  # noqa: BLE001  (a bug of ours: one line, the traceback with -v)
        report.status = "failed"
        first_line = (str(error).strip().splitlines() or [""])[0]
        report.reason = f"unexpected {type(error).__name__}: {first_line} (run with -v for the traceback)"
        log.debug("unexpected error", exc_info=True)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if not report_written:
            write_run_report(report, settings)
        log.info("run report: %s", settings.reports_dir / RUN_REPORT_NAME)
        if report.status == "failed":
            # the last line, whatever came before it: why, and what was left as it was
            sys.stdout.flush()
            print(f"error: {report.reason} ({settings.engine.outcome_note(settings)})", file=sys.stderr)


def print_what_the_build_found(settings: Settings) -> None:
    """After a failure, what the build made of the raw rows, when it got as far as the audit
    tables: which rows it kept and quarantined, and why, is often the reason for the failure."""
    if not settings.engine.has_build(settings):
        return
    try:
        with open_build(settings) as wh:
            facts = data_quality_summary(wh, given_as_of=settings.dbt_vars.get("as_of"))
    except Exception as error:  # noqa: BLE001  (a build that stopped early has nothing to show)
        log.debug("no row dispositions to show: %s", error)
        return
    if facts.reconciliation:
        print_row_dispositions(facts)


def validate_published(settings: Settings) -> int:
    """--validate-only: the suites on the published warehouse, nothing built or published."""
    missing = settings.engine.has_published(settings)
    if missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    report = RunReport()
    try:
        with open_published(settings) as wh:
            try:
                cli_checks.require_built(wh)
            except cli_checks.InputError as error:
                raise PipelineError(str(error), exit_code=2) from None
            run_validation(wh, settings, report)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    print(f"Data Docs: {report.docs['data_docs']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
