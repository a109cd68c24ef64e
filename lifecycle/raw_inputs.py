"""The one place that finds a run's raw files (docs/definitions.md §2).

A raw folder holds each raw table once, as `<table>.csv`, `<table>.parquet` or a folder
`<table>/` of `.parquet` parts. `find` answers which, for orders and touchpoints, or raises
RawInputError; every engine consumes that answer: dbt reads it as the var `raw_inputs` (the
on-run-start hook makes the `raw` source views over those files, macros/register_raw_inputs.sql),
PostgreSQL's pipeline loads those files (lifecycle.engines.postgres), and the build record
fingerprints them (lifecycle.build_inputs). What the files contain (their columns, encoding,
rows) is read by the engine that reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

RAW_TABLES = ("orders", "touchpoints")


class RawInputError(Exception):
    """The user's raw input cannot be used: a usage error (exit 2), said in one line."""

    exit_code = 2
    PREFIX = "raw input error: "

    def __init__(self, detail: str) -> None:
        super().__init__(self.PREFIX + detail)


@dataclass(frozen=True)
class RawInput:
    """The file, or folder of Parquet parts, found for one raw table."""

    table: str
    format: str  # "csv" or "parquet"
    # what the engines read and the messages name: <folder>/orders.csv, <folder>/orders/*.parquet
    location: str
    files: tuple[Path, ...]

    def as_var(self) -> dict[str, str]:
        return {"format": self.format, "path": self.location}


RawInputs = dict[str, RawInput]


def find(raw_dir: Path) -> RawInputs:
    """The raw input of every raw table in raw_dir, or RawInputError for the first that has none,
    has two, or is an empty file."""
    return {table: find_table(raw_dir, table) for table in RAW_TABLES}


def find_table(raw_dir: Path, table: str) -> RawInput:
    folder = str(raw_dir).rstrip("/") or "/"
    csv_file = raw_dir / f"{table}.csv"
    parquet_file = raw_dir / f"{table}.parquet"
    parts = tuple(sorted(path for path in (raw_dir / table).glob("*.parquet") if path.is_file()))
    layouts = [
        RawInput(table, "csv", f"{folder}/{table}.csv", (csv_file,)) if csv_file.is_file() else None,
        RawInput(table, "parquet", f"{folder}/{table}.parquet", (parquet_file,)) if parquet_file.is_file() else None,
        RawInput(table, "parquet", f"{folder}/{table}/*.parquet", parts) if parts else None,
    ]
    found = [layout for layout in layouts if layout is not None]
    if not found:
        raise RawInputError(
            f"no {table} file in {folder} (expected {table}.csv, {table}.parquet or a folder "
            f"{table}/ of .parquet files)"
        )
    if len(found) > 1:
        raise RawInputError(
            f"{table} is given twice in {folder} ({' and '.join(layout.location for layout in found)}); keep one"
        )
    empty = next((path for path in found[0].files if path.stat().st_size == 0), None)
    if empty is not None:
        # an empty CSV has no header to name its columns, an empty file is no Parquet file
        raise RawInputError(f"{empty} is empty (expected a header row)")
    return found[0]


def as_dbt_var(raw_inputs: RawInputs) -> dict[str, Any]:
    """The answer as dbt's var `raw_inputs`: {table: {format, path}}."""
    return {table: raw_input.as_var() for table, raw_input in raw_inputs.items()}


def files_by_name(raw_dir: Path, raw_inputs: RawInputs) -> dict[str, Path]:
    """Every file read, by its path relative to raw_dir (orders.csv, touchpoints/part-0.parquet)."""
    return {
        str(path.relative_to(raw_dir)): path
        for raw_input in raw_inputs.values()
        for path in raw_input.files
    }
