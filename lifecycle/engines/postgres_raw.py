"""Load the raw input files of a --raw-dir into PostgreSQL for the `raw` source (definitions §2).

DuckDB reads the files itself (the on-run-start hook register_raw_inputs makes views over them);
a PostgreSQL server cannot read the client's files. So each file is loaded as it is into a table
`<schema>.<table>__file`, every column text and named as in the file, and the hook
(postgres__register_raw_input in macros/engines/postgres.sql) makes the view `<schema>.<table>`
over it with exactly the declared columns, as on DuckDB. The table's comment is the file's path,
so that the hook's errors can name the file.

The layouts and the error messages are the DuckDB macro's: `<table>.csv`, `<table>.parquet` or a
folder `<table>/` of `*.parquet` parts, exactly one of them. Parquet is read in record batches
(never a whole file in memory), every column cast to text. A CSV file goes to COPY as it is,
after its header line named the columns. Both tables are loaded in one transaction: after a
RawInputError or any other failure nothing was changed and the connection is usable.
"""

from __future__ import annotations

import codecs
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_dataset
from psycopg2 import Error as PostgresError
from psycopg2 import sql
from psycopg2.extensions import connection as Connection

LOGGER = logging.getLogger(__name__)

RAW_TABLES = ("orders", "touchpoints")
LOADED_SUFFIX = "__file"
# Rows per Parquet record batch: bounds the memory of a load whatever the size of the file.
PARQUET_BATCH_ROWS = 64_000
# How much COPY FROM STDIN reads from the file at a time (psycopg2's default is 8 KiB).
COPY_READ_BYTES = 1 << 20
# PostgreSQL's COPY errors for a line with too many or too few fields.
RAGGED_LINE_ERRORS = ("extra data after last expected column", "missing data for column")


class RawInputError(Exception):
    """A raw input that cannot be loaded; the message is one line, "raw input error: ..."."""


@dataclass(frozen=True)
class RawFile:
    """The file (or folder of Parquet parts) found for one raw table."""

    table: str
    described_as: str  # as the DuckDB macro names it: folder/orders.csv, folder/orders/*.parquet
    format: str  # "csv" or "parquet"
    paths: tuple[Path, ...]


def load_raw_dir(connection: Connection, raw_dir: Path, schema: str) -> dict[str, int]:
    """Loads orders and touchpoints from raw_dir into <schema>.<table>__file (dropped and created
    again), in one transaction committed at the end; returns the rows loaded per table."""
    raw_files = [find_raw_file(raw_dir, table) for table in RAW_TABLES]
    counts: dict[str, int] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            for raw_file in raw_files:
                started = time.monotonic()
                target = sql.Identifier(schema, raw_file.table + LOADED_SUFFIX)
                if raw_file.format == "csv":
                    counts[raw_file.table] = _load_csv(cursor, raw_file, target)
                else:
                    counts[raw_file.table] = _load_parquet(cursor, raw_file, target)
                cursor.execute(
                    sql.SQL("comment on table {} is {}").format(target, sql.Literal(raw_file.described_as))
                )
                LOGGER.info(
                    "loaded %s rows of %s into %s.%s%s in %.1f s",
                    counts[raw_file.table], raw_file.described_as, schema, raw_file.table,
                    LOADED_SUFFIX, time.monotonic() - started,
                )
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return counts


def find_raw_file(raw_dir: Path, table: str) -> RawFile:
    """The one layout of `table` present in raw_dir (RawInputError for none or several)."""
    folder = str(raw_dir)
    csv_path = raw_dir / f"{table}.csv"
    parquet_path = raw_dir / f"{table}.parquet"
    parts = sorted(path for path in (raw_dir / table).glob("*.parquet") if path.is_file())
    found = [
        layout
        for layout, present in [
            (RawFile(table, f"{folder}/{table}.csv", "csv", (csv_path,)), csv_path.is_file()),
            (RawFile(table, f"{folder}/{table}.parquet", "parquet", (parquet_path,)), parquet_path.is_file()),
            (RawFile(table, f"{folder}/{table}/*.parquet", "parquet", tuple(parts)), bool(parts)),
        ]
        if present
    ]
    if not found:
        raise RawInputError(
            f"raw input error: no {table} file in {folder} (expected {table}.csv, {table}.parquet "
            f"or a folder {table}/ of .parquet files)"
        )
    if len(found) > 1:
        raise RawInputError(
            f"raw input error: {table} is given twice in {folder} "
            f"({' and '.join(layout.described_as for layout in found)}); keep one"
        )
    return found[0]


def csv_header_columns(path: Path) -> list[str]:
    """The column names of a CSV file's header line, cleaned like the DuckDB macro does (a BOM
    stripped, each name trimmed and its quotes dropped)."""
    with path.open("rb") as handle:
        first_line = handle.readline()
    header = codecs.decode(first_line, "utf-8", errors="replace").rstrip("\r\n")
    if not header:
        raise RawInputError(f"raw input error: {path} is empty (expected a header row)")
    return [name.strip().replace('"', "") for name in header.lstrip("\ufeff").split(",")]


def _load_csv(cursor: Any, raw_file: RawFile, target: sql.Composable) -> int:
    path = raw_file.paths[0]
    columns = csv_header_columns(path)
    _create_text_table(cursor, target, columns, str(path))
    copy = sql.SQL("copy {} ({}) from stdin with (format csv, header true)").format(
        target, sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    )
    with path.open("rb") as handle:
        _copy(cursor, copy, handle, str(path))
    return int(cursor.rowcount)


def _load_parquet(cursor: Any, raw_file: RawFile, target: sql.Composable) -> int:
    # Like DuckDB's union_by_name: the columns of all parts, a column missing from a part is null.
    schemas = [_parquet_schema(path) for path in raw_file.paths]
    columns = list(dict.fromkeys(name for schema in schemas for name in schema.names))
    _create_text_table(cursor, target, columns, raw_file.described_as)
    copy = sql.SQL("copy {} ({}) from stdin with (format csv, header false)").format(
        target, sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    )
    rows = 0
    for path in raw_file.paths:
        stream = _ChunkReader(_parquet_as_csv(path, columns))
        _copy(cursor, copy, stream, str(path))
        rows += int(cursor.rowcount)
    return rows


def _parquet_schema(path: Path) -> pa.Schema:
    try:
        return pa_dataset.dataset(str(path), format="parquet").schema
    except (pa.ArrowException, OSError) as error:
        raise RawInputError(f"raw input error: {path}: {_first_line(str(error))}") from error


def _parquet_as_csv(path: Path, columns: list[str]) -> Iterator[bytes]:
    """The rows of a Parquet file as CSV without header, every value as text, in `columns` order
    (null where the file has no such column), one record batch at a time."""
    dataset = pa_dataset.dataset(str(path), format="parquet")
    options = pa_csv.WriteOptions(include_header=False)
    try:
        # little read-ahead: memory stays at a few batches whatever the size of the file
        batches = dataset.to_batches(batch_size=PARQUET_BATCH_ROWS, batch_readahead=2, fragment_readahead=1)
        for batch in batches:
            if batch.num_rows == 0:
                continue
            arrays = [
                batch.column(name).cast(pa.string()) if name in batch.schema.names
                else pa.nulls(batch.num_rows, pa.string())
                for name in columns
            ]
            sink = io.BytesIO()
            # nulls are written unquoted (COPY reads null), strings quoted (an empty one stays '')
            pa_csv.write_csv(pa.RecordBatch.from_arrays(arrays, names=columns), sink, options)
            yield sink.getvalue()
    except (pa.ArrowException, OSError) as error:
        raise RawInputError(f"raw input error: {path}: {_first_line(str(error))}") from error


def _create_text_table(cursor: Any, target: sql.Composable, columns: list[str], described_as: str) -> None:
    # cascade: the view <schema>.<table> of an earlier run reads this table; the hook makes it again
    cursor.execute(sql.SQL("drop table if exists {} cascade").format(target))
    create = sql.SQL("create table {} ({})").format(
        target, sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(name)) for name in columns)
    )
    try:
        cursor.execute(create)
    except PostgresError as error:
        # the file's column names are not usable (empty, given twice, ...)
        message = error.diag.message_primary or _first_line(str(error))
        raise RawInputError(f"raw input error: {described_as}: {message}") from error


def _copy(cursor: Any, copy: sql.Composable, stream: IO[bytes] | _ChunkReader, described_as: str) -> None:
    try:
        cursor.copy_expert(copy, stream, size=COPY_READ_BYTES)
    except PostgresError as error:
        message = error.diag.message_primary or _first_line(str(error))
        if any(message.startswith(known) for known in RAGGED_LINE_ERRORS):
            line = _copy_line(error.diag.context)
            raise RawInputError(
                f"raw input error: {described_as}: {message}" + (f" (line {line})" if line else "")
            ) from error
        raise RawInputError(f"raw input error: {described_as}: {message}") from error


def _copy_line(context: str | None) -> str | None:
    """The line number in COPY's error context ('COPY orders__file, line 12: "..."')."""
    if context and ", line " in context:
        return context.split(", line ", 1)[1].split(":", 1)[0].split(",", 1)[0].strip() or None
    return None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "unreadable")


class _ChunkReader:
    """A read()-able file over an iterator of byte chunks, for COPY FROM STDIN."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = b""
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        # slices of the current chunk: no copying of what is still to be read
        parts = []
        wanted = size
        while size < 0 or wanted > 0:
            if self._position >= len(self._chunk):
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._chunk, self._position = chunk, 0
                continue
            end = len(self._chunk) if size < 0 else min(len(self._chunk), self._position + wanted)
            parts.append(self._chunk[self._position:end])
            wanted -= end - self._position
            self._position = end
        return b"".join(parts)
