"""What both baselines share with the dbt project: raw file layouts, vars and DuckDB settings."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
EVENT_STAGES_SEED = PROJECT_DIR / "seeds" / "reference" / "lifecycle_event_stages.csv"
ORDER_STATUS_MAP_SEED = PROJECT_DIR / "seeds" / "reference" / "order_status_map.csv"
RULE_VARS = ("lapsed_after_days", "regular_min_orders", "advocacy_window_days")
MARTS = (
    "dim_customers", "customer_lifecycle_stages", "fct_orders", "fct_touchpoints",
    "lifecycle_funnel", "customer_type_summary",
)


@dataclass(frozen=True)
class RawFile:
    table: str
    file_format: str  # csv or parquet
    path: str  # a file, or a glob of Parquet parts


@dataclass(frozen=True)
class BaselineArgs:
    raw_dir: Path
    out: Path
    as_of: dt.date | None
    rule_vars: dict[str, int]


def find_raw_file(raw_dir: Path, table: str) -> RawFile:
    """The layouts of docs/definitions.md §2 that the dbt project reads: table.csv,
    table.parquet, table/*.parquet."""
    layouts = [
        (raw_dir / f"{table}.csv", "csv", str(raw_dir / f"{table}.csv")),
        (raw_dir / f"{table}.parquet", "parquet", str(raw_dir / f"{table}.parquet")),
        (raw_dir / table, "parquet", str(raw_dir / table / "*.parquet")),
    ]
    found = [RawFile(table, fmt, path) for candidate, fmt, path in layouts if candidate.exists()]
    if len(found) != 1:
        raise SystemExit(f"raw input error: expected exactly one {table} file or folder in {raw_dir}")
    return found[0]


def default_rule_vars() -> dict[str, int]:
    """The defaults of the dbt project's vars, so that both sides run the same rules."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    return {name: int(project["vars"][name]) for name in RULE_VARS}


ENV_VAR = re.compile(r"\{\{\s*env_var\('(\w+)'(?:,\s*'([^']*)')?\)\s*\}\}")


def duckdb_settings() -> dict[str, str]:
    """The DuckDB settings of the dbt profile (threads, memory_limit, ...): the same engine setup.
    `{{ env_var('NAME', 'default') }}` is resolved as dbt would. The spill folder (the profile's
    config_options: it names the dbt warehouse) is left to the caller."""
    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    settings = profile["customer_lifecycle"]["outputs"]["duckdb"].get("settings", {})
    return {
        key: ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), str(value))
        for key, value in settings.items()
    }


def parse_args(description: str, argv: Sequence[str] | None, out_help: str) -> BaselineArgs:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--raw-dir", type=Path, required=True,
                        help="folder with orders and touchpoints (.csv, .parquet or a folder of parts)")
    parser.add_argument("--out", type=Path, required=True, help=out_help)
    parser.add_argument("--as-of", type=dt.date.fromisoformat,
                        help="UTC date the marts describe (default: the latest date among kept rows)")
    parser.add_argument("--vars", nargs="+", default=[], metavar="KEY=VALUE",
                        help=f"rule vars as in dbt ({', '.join(RULE_VARS)}); default: dbt_project.yml")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    rule_vars = default_rule_vars()
    for item in args.vars:
        key, _, value = item.partition("=")
        if key not in RULE_VARS:
            parser.error(f"unknown var {key!r}; known: {', '.join(RULE_VARS)}")
        rule_vars[key] = int(value)
    return BaselineArgs(args.raw_dir.resolve(), args.out.resolve(), args.as_of, rule_vars)
