#!/usr/bin/env python3
"""Run the customer-lifecycle warehouse end to end and print what it found.

Steps, through dbt's programmatic API (dbtRunner), one after the other:
  1. dbt seed   the reference seeds (and the demo raw data unless --raw-dir is given)
  2. dbt build  every model, data test and unit test, in dependency order
  3. summary    persons per customer type, the funnel, where every raw row went, the as-of date

Incremental: on an existing warehouse the large models are updated from the rows that are new in
--raw-dir (plus a lookback, the dbt var incremental_lookback_days); --full-refresh rebuilds them.
An explicit --as-of always rebuilds them, since it can move the past.

Exit status: 0 on success; 1 when a model or an error-severity test fails; 2 when the input or
the arguments are unusable. A failure ends with one line that says why. Quarantined rows and
unknown event types are expected data: they show as warnings and in the summary, not as failures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = PROJECT_DIR / "warehouse" / "lifecycle.duckdb"
WAREHOUSE_ENV_VAR = "LIFECYCLE_WAREHOUSE"

# Lines of a dbt error message that say nothing about the cause.
ERROR_HEADER = re.compile(r"^(\w+ )?(Runtime|Compilation|Database|Parsing) Error( in .*)?$")
# DuckDB's CSV reader names the file and what was wrong on lines of their own.
CSV_ERROR_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)
CSV_ERROR_HINT = re.compile(r"^\s*Expected Number of Columns: .*$", re.MULTILINE)
SQL_EXCERPT = re.compile(r"^(LINE \d+:|\^+$|> in macro|> called by)")

BUILD_RESOURCE_TYPES = [
    "--resource-type", "model", "--resource-type", "test", "--resource-type", "unit_test"
]

log = logging.getLogger("run_pipeline")


class PipelineError(Exception):
    """A failure explained in one line; `exit_code` tells bad input (2) from a failed build (1)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    dbt_vars: dict[str, Any]
    full_refresh: bool


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--raw-dir",
        type=Path,
        help="folder holding orders and touchpoints as .csv, .parquet or a folder of .parquet "
        "parts (SPEC §2); default: the bundled demo data",
    )
    parser.add_argument(
        "--as-of",
        type=_iso_date,
        help="UTC date (YYYY-MM-DD) the marts describe; default: the latest date in the data",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get(WAREHOUSE_ENV_VAR, DEFAULT_WAREHOUSE)),
        help=f"DuckDB file to build (default: ${WAREHOUSE_ENV_VAR} or {DEFAULT_WAREHOUSE})",
    )
    parser.add_argument(
        "--vars",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="dbt vars, e.g. lapsed_after_days=90 regular_min_orders=3 advocacy_window_days=180",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models from all raw rows (implied by --as-of)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def settings_from_args(args: argparse.Namespace) -> Settings:
    dbt_vars: dict[str, Any] = {}
    for item in args.vars:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise PipelineError(f"--vars takes KEY=VALUE, got {item!r}", exit_code=2)
        dbt_vars[key.strip()] = yaml.safe_load(value)
    if args.raw_dir is not None:
        raw_dir = args.raw_dir.expanduser().resolve()
        if not raw_dir.is_dir():
            raise PipelineError(f"raw input error: --raw-dir {raw_dir} is not a folder", exit_code=2)
        dbt_vars["raw_dir"] = str(raw_dir)
    if args.as_of is not None:
        dbt_vars["as_of"] = args.as_of.isoformat()
    return Settings(
        warehouse=args.warehouse.expanduser().resolve(),
        dbt_vars=dbt_vars,
        # incremental models assume the default as_of (macros/incremental.sql)
        full_refresh=args.full_refresh or "as_of" in dbt_vars,
    )


def run_dbt(step: str, command: list[str], settings: Settings) -> Any:
    """Runs one dbt command in this process and returns its result, or raises PipelineError."""
    from dbt.cli.main import dbtRunner

    cli_args = [
        *command,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--vars", json.dumps(settings.dbt_vars),
    ]
    if not sys.stdout.isatty():
        cli_args.append("--no-use-colors")
    log.info("%s: dbt %s", step, " ".join(command))
    started = time.monotonic()
    try:
        result = dbtRunner().invoke(cli_args)
    finally:
        release_warehouse()
    if not result.success:
        reason = failure_reason(step, result, settings.dbt_vars.get("raw_dir"))
        raise PipelineError(reason, exit_code=2 if reason.startswith("raw input error") else 1)
    log.info("%s: done in %.1f s", step, time.monotonic() - started)
    return result


def release_warehouse() -> None:
    """Closes dbt-duckdb's connection: it keeps the file (and its lock) open after invoke()."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def failure_reason(step: str, result: Any, raw_dir: str | None) -> str:
    """One line saying why a dbt command failed, from its exception or its first failed node."""
    if result.exception is not None:
        where, message = step, str(result.exception)
    else:
        failed = [
            node_result
            for node_result in getattr(result.result, "results", None) or []
            if str(node_result.status).lower() in {"error", "fail", "runtimeerr"}
        ]
        if not failed:
            return f"{step} failed"
        node = failed[0].node
        where, message = f"{node.resource_type} {node.name}", failed[0].message or ""
    detail = first_informative_line(message) or "no message"
    if "raw input error:" in detail:
        return detail[detail.index("raw input error:"):]
    if raw_dir and raw_dir in message:
        # a file of the user's could not be read: say which, rather than name the model
        named_file = CSV_ERROR_FILE.search(message)
        hint = CSV_ERROR_HINT.search(message)
        return "raw input error: " + "".join([
            f"{named_file.group(1)}: " if named_file and named_file.group(1) not in detail else "",
            detail,
            f" ({hint.group(0).strip()})" if hint else "",
        ])
    return f"{step} failed: {where}: {detail}"


def first_informative_line(message: str) -> str | None:
    """Skips dbt's headers ("Runtime Error in model x (...)") and DuckDB's SQL excerpts."""
    for line in (line.strip() for line in message.splitlines()):
        if not line or ERROR_HEADER.match(line) or SQL_EXCERPT.match(line):
            continue
        return line
    return None


def print_summary(warehouse: Path) -> None:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        as_of = con.execute("select max(as_of_date) from intermediate.int_as_of_date").fetchone()[0]
        types = con.execute(
            """
            select summary.customer_type, summary.persons, summary.share_of_persons, summary.revenue
            from marts.customer_type_summary as summary
            inner join seeds.customer_types as types on summary.customer_type = types.customer_type
            order by types.type_rank
            """
        ).fetchall()
        funnel = con.execute(
            """
            select stage_rank, lifecycle_stage, persons_entered, conversion_from_previous,
                median_days_from_previous
            from marts.lifecycle_funnel
            order by stage_rank
            """
        ).fetchall()
        rows = con.execute(
            """
            select raw_table, raw_rows, kept_rows, collapsed_rows, quarantined_rows,
                after_as_of_rows
            from audit.row_reconciliation
            order by raw_table
            """
        ).fetchall()
        reasons = con.execute(
            """
            select 'orders', quarantine_reason, count(*) from audit.quarantined_orders group by all
            union all
            select 'touchpoints', quarantine_reason, count(*) from audit.quarantined_touchpoints
            group by all
            order by 1, 2
            """
        ).fetchall()
        unknown_events = con.execute(
            "select count(*) from marts.fct_touchpoints where lifecycle_stage is null"
        ).fetchone()[0]

    print()
    print(f"Summary as of {as_of}")
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
    print()
    print("Raw rows            raw       kept  collapsed  quarantined  after as_of")
    for table, raw, kept, collapsed, quarantined, after in rows:
        print(f"  {table:<12} {raw:>9,} {kept:>10,} {collapsed:>10,} {quarantined:>12,} {after:>12,}")
    for table, reason, count in reasons:
        print(f"  quarantined {table}: {count:,} {reason}")
    if unknown_events:
        print(f"  warning: {unknown_events:,} kept touchpoints have an unknown event type (no stage)")
    print()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        settings = settings_from_args(args)
        settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
        os.environ[WAREHOUSE_ENV_VAR] = str(settings.warehouse)
        source = settings.dbt_vars.get("raw_dir", "the bundled demo seeds")
        log.info("warehouse %s, raw data from %s", settings.warehouse, source)
        run_dbt("[1/3] seed", ["seed", "--full-refresh"], settings)
        # seeds were loaded by step 1; tests on seeds and models still run here
        refresh = ["--full-refresh"] if settings.full_refresh else []
        run_dbt("[2/3] build", ["build", *BUILD_RESOURCE_TYPES, *refresh], settings)
        log.info("[3/3] summary")
        print_summary(settings.warehouse)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
