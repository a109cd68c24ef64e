"""Export the engagement audiences of the warehouse, one file per playbook action.

Reads marts.engagement_audiences (one row per person and recommended action, built by
scripts/run_pipeline.py) and writes <out-dir>/<action>.csv or .parquet for every action of the
playbook seed (seeds.customer_type_playbook), with the columns a marketing tool needs:
person_id, customer_id, customer_type, action, channel, reason, as_of_date.

An action nobody qualifies for still gets a file, with the header only (CSV) or no rows
(Parquet), so that a tool never picks up a stale audience from an earlier export.
The warehouse is opened read-only.

Exit status: 0 on success; 2 when the warehouse, the output folder or an --action is unusable.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path
from typing import Sequence

import duckdb

from lifecycle import cli_checks, console
from lifecycle.engines.duckdb import DEFAULT_WAREHOUSE

AUDIENCE_COLUMNS = [
    "person_id", "customer_id", "customer_type", "action", "channel", "reason", "as_of_date"
]
# An action code becomes a file name.
SAFE_ACTION = re.compile(r"^[a-z0-9_]+$")
FORMAT_OPTIONS = {"csv": "(format csv, header true)", "parquet": "(format parquet)"}

log = logging.getLogger("export_audiences")


class ExportError(Exception):
    """A reason the export cannot run, explained in one line."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli_checks.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=DEFAULT_WAREHOUSE,
        help=f"DuckDB file built by run_pipeline.py (default: {DEFAULT_WAREHOUSE})",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        help="folder to write the files to, created when missing "
        "(default: audiences/ beside the warehouse file)",
    )
    parser.add_argument(
        "--format", choices=sorted(FORMAT_OPTIONS), default="csv", help="file format (default: csv)"
    )
    parser.add_argument(
        "--action",
        nargs="+",
        metavar="CODE",
        help="export only these action codes (default: every action of the playbook)",
    )
    console.add_verbosity_flags(parser)
    return parser.parse_args(argv)


def playbook_actions(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select distinct action_code from seeds.customer_type_playbook order by action_code"
    ).fetchall()
    return [row[0] for row in rows]


def chosen_actions(available: list[str], requested: list[str] | None) -> list[str]:
    """The actions to export: all of the playbook, or the requested ones if they all exist."""
    if requested is None:
        actions = available
    else:
        unknown = sorted(set(requested) - set(available))
        if unknown:
            raise ExportError(
                f"unknown action {', '.join(unknown)} (the playbook has: {', '.join(available)})"
            )
        actions = sorted(set(requested))
    unsafe = [action for action in actions if not SAFE_ACTION.match(action)]
    if unsafe:
        raise ExportError(
            f"action code {', '.join(unsafe)} cannot be a file name: use a-z, 0-9 and _ in "
            "seeds/reference/customer_type_playbook.csv"
        )
    return actions


def export(warehouse: Path, out_dir: Path, file_format: str, requested: list[str] | None) -> dict[str, int]:
    """Writes one file per action; returns the number of persons per action."""
    if not warehouse.exists():
        raise ExportError(f"no warehouse at {warehouse}: run scripts/run_pipeline.py first")
    try:
        cli_checks.duckdb_file(warehouse, "--warehouse")
        cli_checks.writable_folder(out_dir, "--out-dir")
    except cli_checks.InputError as error:
        raise ExportError(str(error)) from None
    query = (
        f"select {', '.join(AUDIENCE_COLUMNS)} from marts.engagement_audiences "
        "where action = $action order by person_id"
    )
    written: dict[str, int] = {}
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            if not con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'marts' and table_name = 'engagement_audiences'"
            ).fetchone()[0]:
                raise ExportError(
                    f"--warehouse: not a warehouse built by scripts/run_pipeline.py "
                    f"(no marts.engagement_audiences in {warehouse})"
                )
            actions = chosen_actions(playbook_actions(con), requested)
            out_dir.mkdir(parents=True, exist_ok=True)
            for action in actions:
                target = out_dir / f"{action}.{file_format}"
                persons = con.execute(
                    f"select count(*) from ({query})", {"action": action}
                ).fetchone()[0]
                # COPY takes no parameter for the file name: quote it as a SQL literal
                file_literal = "'" + str(target).replace("'", "''") + "'"
                con.execute(
                    f"copy ({query}) to {file_literal} {FORMAT_OPTIONS[file_format]}",
                    {"action": action},
                )
                written[action] = persons
                log.info("%s: %d persons -> %s", action, persons, target)
    except duckdb.Error as error:
        detail = str(error).splitlines()[0]
        raise ExportError(f"cannot export from {warehouse}: {detail}") from None
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console.setup_logging(args)
    warehouse = args.warehouse.expanduser().resolve()
    out_dir = (args.out_dir or warehouse.parent / "audiences").expanduser().resolve()
    try:
        written = export(warehouse, out_dir, args.format, args.action)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    log.info("%d audience files in %s", len(written), out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
