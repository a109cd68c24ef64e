"""PostgreSQL through psycopg2: connecting, landing the raw files, publishing a build.

Each run builds in full into new versioned schemas (lifecycle.engines.base.SchemaEngine).
A PostgreSQL server cannot read the client's files, so before dbt runs, each raw input the finder
found (lifecycle.raw_inputs) is loaded as it is into a table `raw<suffix>.<table>__file`, every
column text and named as in the file; the on-run-start hook (postgres__register_raw_input in
macros/engines/postgres.sql) makes the `raw` source view over it with exactly the declared
columns, as on DuckDB. Parquet is read in record batches (never a whole file in memory), every
column cast to text; a CSV file goes to COPY as it is, after its header line named the columns.
Both tables are loaded in one transaction: after a RawInputError or any other failure nothing was
changed and the connection is usable. Publishing is one transaction: readers see all or nothing.
"""

from __future__ import annotations

import codecs
import io
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_dataset
from psycopg2 import Error as PostgresError
from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from lifecycle.engines.base import (
    PROJECT_SCHEMAS, PUBLISH_LOG, Run, SchemaEngine, SchemaWarehouse, WarehouseError, canonical_type,
    profile_output,
)
from lifecycle.raw_inputs import RawInput, RawInputError, RawInputs

log = logging.getLogger("warehouse")

LOADED_SUFFIX = "__file"
# Rows per Parquet record batch: bounds the memory of a load whatever the size of the file.
PARQUET_BATCH_ROWS = 64_000
# How much COPY FROM STDIN reads from the file at a time (psycopg2's default is 8 KiB).
COPY_READ_BYTES = 1 << 20
# PostgreSQL's COPY errors for a line with too many or too few fields.
RAGGED_LINE_ERRORS = ("extra data after last expected column", "missing data for column")


class PostgresEngine(SchemaEngine):
    name = "postgres"

    def connect(self, suffix: str) -> PostgresWarehouse:
        return PostgresWarehouse(suffix)

    def prepare_build(self, run: Run) -> None:
        """Loads the raw inputs into the build's raw schema (without them the demo seeds are the
        raw tables)."""
        if not run.raw_inputs:
            return
        with self.connect(run.suffix) as wh:
            counts = load_raw_inputs(wh.con, run.raw_inputs, f"raw{run.suffix}")
        for table, count in counts.items():
            log.info("loaded %s rows of %s into raw%s", f"{count:,}", table, run.suffix)


class PostgresWarehouse(SchemaWarehouse):
    """PostgreSQL through psycopg2; publishing is one transaction (readers see all or nothing)."""

    target = "postgres"

    def __init__(self, suffix: str = "") -> None:
        import psycopg2

        super().__init__(suffix)
        output = profile_output("postgres")
        self.dsn = {
            "host": output["host"], "port": int(output["port"]), "user": output["user"],
            "password": output.get("password") or "", "dbname": output.get("dbname") or output["database"],
        }
        try:
            self.con = psycopg2.connect(**self.dsn, connect_timeout=10)
        except psycopg2.Error as error:
            where = f"{self.dsn['user']}@{self.dsn['host']}:{self.dsn['port']}/{self.dsn['dbname']}"
            raise WarehouseError(
                f"cannot connect to PostgreSQL at {where}: {str(error).strip().splitlines()[0]}"
            ) from None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cursor:
            cursor.execute(sql)
            found = cursor.fetchall() if cursor.description else []
        self.con.commit()
        return found

    def after_error(self) -> None:
        self.con.rollback()

    def frames(self, sql: str, batch_rows: int) -> Iterator[Any]:
        import pandas as pd

        # a named cursor streams from the server instead of loading the whole result
        with self.con.cursor(name="lifecycle_batches") as cursor:
            cursor.itersize = batch_rows
            cursor.execute(sql)
            first = True
            while True:
                batch = cursor.fetchmany(batch_rows)
                if not batch and not first:
                    break
                columns = [column.name for column in cursor.description]
                yield pd.DataFrame.from_records(batch, columns=columns)
                first = False
                if not batch:
                    break
        self.con.commit()

    def tables(self, schemas: Sequence[str]) -> list[str]:
        physical = {f"{schema}{self.suffix}": schema for schema in schemas}
        listed = ", ".join(f"'{name}'" for name in physical)
        return [
            f"{physical[schema]}.{table}"
            for schema, table in self.rows(
                "select table_schema, table_name from information_schema.tables "
                f"where table_schema in ({listed}) and table_type = 'BASE TABLE' order by 1, 2"
            )
        ]

    def column_types(self, relations: Sequence[str]) -> list[tuple[str, str, str]]:
        found = []
        for relation in relations:
            schema, _, table = self.relation(relation).partition(".")
            for column, data_type, precision, scale in self.rows(
                "select column_name, data_type, numeric_precision, numeric_scale "
                "from information_schema.columns "
                f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
            ):
                if data_type == "numeric" and precision is not None:
                    data_type = f"numeric({precision},{scale})"
                found.append((relation, column, canonical_type(data_type)))
        return found

    def schema_names(self) -> list[str]:
        return [row[0] for row in self.rows("select schema_name from information_schema.schemata")]

    def replace_views(self, built: Sequence[str]) -> None:
        statements = []
        existing = self.rows(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_schema in (" + ", ".join(f"'{schema}'" for schema in PROJECT_SCHEMAS) + ")"
        )
        kinds = {f"{schema}.{table}": kind for schema, table, kind in existing}
        for schema in sorted({name.partition(".")[0] for name in built}):
            statements.append(f"create schema if not exists {schema}")
        for name, kind in sorted(kinds.items()):
            # views of the previous build (or tables of a plain `dbt build`) give way
            statements.append(f"drop {'view' if kind == 'VIEW' else 'table'} if exists {name} cascade")
        for name in built:
            statements.append(f"create view {name} as select * from {self.relation(name)}")
        with self.con.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.con.commit()

    def record_publication(self) -> None:
        self.rows(
            f"create schema if not exists {PUBLISH_LOG.partition('.')[0]}; "
            f"create table if not exists {PUBLISH_LOG} (suffix text, published_at timestamp); "
            f"insert into {PUBLISH_LOG} values ('{self.suffix}', now() at time zone 'utc')"
        )

    def drop_schema(self, name: str) -> None:
        log.info("dropping old build schema %s", name)
        self.rows(f"drop schema if exists {name} cascade")

    def close(self) -> None:
        self.con.close()


def load_raw_inputs(connection: Connection, found: RawInputs, schema: str) -> dict[str, int]:
    """Loads the raw inputs the finder found into <schema>.<table>__file (dropped and created
    again), in one transaction committed at the end; returns the rows loaded per table."""
    raw_files = list(found.values())
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
                log.info(
                    "loaded %s rows of %s into %s.%s%s in %.1f s",
                    counts[raw_file.table], raw_file.location, schema, raw_file.table,
                    LOADED_SUFFIX, time.monotonic() - started,
                )
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return counts


def csv_header_columns(path: Path) -> list[str]:
    """The column names of a CSV file's header line, cleaned like the DuckDB macro does (a BOM
    stripped, each name trimmed and its quotes dropped)."""
    with path.open("rb") as handle:
        first_line = handle.readline()
    header = codecs.decode(first_line, "utf-8", errors="replace").rstrip("\r\n")
    if not header:
        raise RawInputError(f"{path} is empty (expected a header row)")
    return [name.strip().replace('"', "") for name in header.lstrip("\ufeff").split(",")]


def _load_csv(cursor: Any, raw_file: RawInput, target: sql.Composable) -> int:
    path = raw_file.files[0]
    columns = csv_header_columns(path)
    _create_text_table(cursor, target, columns, str(path))
    copy = sql.SQL("copy {} ({}) from stdin with (format csv, header true)").format(
        target, sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    )
    with path.open("rb") as handle:
        _copy(cursor, copy, handle, str(path))
    return int(cursor.rowcount)


def _load_parquet(cursor: Any, raw_file: RawInput, target: sql.Composable) -> int:
    # Like DuckDB's union_by_name: the columns of all parts, a column missing from a part is null.
    schemas = [_parquet_schema(path) for path in raw_file.files]
    columns = list(dict.fromkeys(name for schema in schemas for name in schema.names))
    _create_text_table(cursor, target, columns, raw_file.location)
    copy = sql.SQL("copy {} ({}) from stdin with (format csv, header false)").format(
        target, sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    )
    rows = 0
    for path in raw_file.files:
        stream = _ChunkReader(_parquet_as_csv(path, columns))
        _copy(cursor, copy, stream, str(path))
        rows += int(cursor.rowcount)
    return rows


def _parquet_schema(path: Path) -> pa.Schema:
    try:
        return pa_dataset.dataset(str(path), format="parquet").schema
    except (pa.ArrowException, OSError) as error:
        raise RawInputError(f"{path}: {_first_line(str(error))}") from error


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
        raise RawInputError(f"{path}: {_first_line(str(error))}") from error


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
        raise RawInputError(f"{described_as}: {message}") from error


def _copy(cursor: Any, copy: sql.Composable, stream: IO[bytes] | _ChunkReader, described_as: str) -> None:
    try:
        cursor.copy_expert(copy, stream, size=COPY_READ_BYTES)
    except PostgresError as error:
        message = error.diag.message_primary or _first_line(str(error))
        if any(message.startswith(known) for known in RAGGED_LINE_ERRORS):
            line = _copy_line(error.diag.context)
            raise RawInputError(
                f"{described_as}: {message}" + (f" (line {line})" if line else "")
            ) from error
        raise RawInputError(f"{described_as}: {message}") from error


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
