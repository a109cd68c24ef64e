"""Run baselines/duckdb_sql/lifecycle.sql on a raw folder: the marts of definitions §6, no dbt.

The script is plain DuckDB SQL; this runner only points it at the raw files (as text views, the
layouts of docs/definitions.md §2), loads the event-stage seed, sets the rule vars and the DuckDB
settings of the dbt profile (threads, memory_limit, preserve_insertion_order; spilling next to
--out), and runs it into a DuckDB file whose schemas marts and audit hold the same tables as the dbt
project's.

    python -m baselines.duckdb_sql --raw-dir /tmp/lifecycle-bench/1m --out /tmp/baseline.duckdb
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Sequence

import duckdb

from baselines.common import EVENT_STAGES_SEED, ORDER_STATUS_MAP_SEED, RawFile, duckdb_settings, find_raw_file, parse_args

SCRIPT = Path(__file__).resolve().parent / "lifecycle.sql"
log = logging.getLogger("baselines.duckdb_sql")


def reader(raw: RawFile) -> str:
    """Every column as text, as the dbt project reads it."""
    if raw.file_format == "csv":
        return (f"read_csv('{raw.path}', header = true, delim = ',', quote = '\"', escape = '\"', "
                "all_varchar = true)")
    return f"read_parquet('{raw.path}', union_by_name = true)"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv, "DuckDB file to write (replaced)")
    started = time.monotonic()
    args.out.unlink(missing_ok=True)
    with duckdb.connect(str(args.out)) as con:
        for name, value in duckdb_settings().items():
            con.execute(f"set {name} = '{value}'")
        # spill next to the output, as dbt spills next to the warehouse
        con.execute(f"set temp_directory = '{args.out}.tmp'")
        for table in ("orders", "touchpoints"):
            con.execute(f"create temp view raw_{table}_file as select * from {reader(find_raw_file(args.raw_dir, table))}")
        optional = {"orders": ["updated_at", "coupon_code"],
                    "touchpoints": ["anonymous_id", "customer_id", "campaign"]}
        for table, columns in optional.items():
            present = {row[0] for row in con.execute(f"describe raw_{table}_file").fetchall()}
            fill = ", ".join(f"cast(null as varchar) as {c}" for c in columns if c not in present)
            con.execute(f"create temp view raw_{table} as select * {', ' + fill if fill else ''} from raw_{table}_file")
        con.execute(f"create temp table event_stages as select event_type, lifecycle_stage "
                    f"from read_csv('{EVENT_STAGES_SEED}', header = true, all_varchar = true)")
        con.execute(f"create temp table status_map as select raw_status, status "
                    f"from read_csv('{ORDER_STATUS_MAP_SEED}', header = true, all_varchar = true)")
        con.execute("set variable as_of = ?", [args.as_of.isoformat() if args.as_of else None])
        for name, value in args.rule_vars.items():
            con.execute(f"set variable {name} = {int(value)}")
        con.execute(SCRIPT.read_text())
    log.info("baseline duckdb_sql: %s written in %.1f s", args.out, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
