"""One way for the scripts to read (and, on Postgres and Spark, publish) the warehouse on any target.

The pipeline, the validation and the report ask the same questions of DuckDB, PostgreSQL and
Spark: run a query, read a table in batches, list tables and column types. Each target answers
through its own client: duckdb, psycopg2 (libpq), or the PySpark session that dbt-spark
(method: session) runs in this process. Connection settings come from the project's
profiles.yml, rendered with the same environment variables dbt sees, so that the scripts and dbt
always talk to the same database.

Schemas are named as dbt names them (macros/generate_schema_name.sql): `marts`, `audit`, ...,
plus a suffix while a Postgres or Spark build is not yet published (`marts__v20261125t101500`).
Callers name tables by their plain schema (`marts.dim_customers`); `relation()` adds the suffix.
"""

from __future__ import annotations

from lifecycle import PROJECT_DIR
import datetime as dt
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

PROFILE_NAME = "customer_lifecycle"
TARGETS = ("duckdb", "postgres", "spark")
# The schemas dbt writes (dbt_project.yml, the raw source); published as a whole on Postgres/Spark.
PROJECT_SCHEMAS = ("raw", "seeds", "staging", "intermediate", "marts", "audit", "semantic")
# Which builds were published, newest last: the publish step's record on Postgres and Spark.
PUBLISH_LOG = "lifecycle_publish.published_builds"
VERSION_SUFFIX = re.compile(r"^__v\d{8}t\d{6}$")

log = logging.getLogger("warehouse")


class WarehouseError(Exception):
    """The warehouse cannot be reached or read; the message is one line."""


def profile_output(target: str) -> dict[str, Any]:
    """The target's output of profiles.yml, rendered as dbt renders it (env_var, as_number)."""
    import jinja2

    def env_var(name: str, default: str | None = None) -> str:
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise WarehouseError(f"profiles.yml needs the environment variable {name}")
        return default

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.filters.update(as_number=lambda value: yaml.safe_load(str(value)), as_bool=bool)
    text = (PROJECT_DIR / "profiles.yml").read_text()
    profiles = yaml.safe_load(environment.from_string(text).render(env_var=env_var))
    try:
        return profiles[PROFILE_NAME]["outputs"][target]
    except KeyError:
        raise WarehouseError(f"profiles.yml has no output {target!r}") from None


def canonical_type(engine_type: str) -> str:
    """A column type in DuckDB's spelling (the expectation suites' language) from any engine."""
    text = engine_type.strip().lower()
    decimal = re.match(r"^(?:decimal|numeric)\s*\((\d+)\s*,\s*(\d+)\)$", text)
    if decimal:
        return f"DECIMAL({decimal.group(1)},{decimal.group(2)})"
    names = {
        "character varying": "VARCHAR", "varchar": "VARCHAR", "text": "VARCHAR", "string": "VARCHAR",
        "double precision": "DOUBLE", "double": "DOUBLE",
        "timestamp without time zone": "TIMESTAMP", "timestamp": "TIMESTAMP", "timestamp_ntz": "TIMESTAMP",
        "bigint": "BIGINT", "integer": "INTEGER", "int": "INTEGER",
        "boolean": "BOOLEAN", "date": "DATE",
    }
    return names.get(text, engine_type.upper())


class Warehouse:
    """A connection to one build (schema suffix) of the warehouse on one target."""

    target = "duckdb"

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix

    def relation(self, name: str) -> str:
        """`schema.table` of this build for the plain `schema.table` of the docs and suites."""
        schema, _, table = name.partition(".")
        return f"{schema}{self.suffix}.{table}"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def scalar(self, sql: str) -> Any:
        found = self.rows(sql)
        return found[0][0] if found else None

    def frames(self, sql: str, batch_rows: int) -> Iterator[Any]:
        """The result of sql as pandas DataFrames of at most batch_rows rows (at least one)."""
        raise NotImplementedError

    def tables(self, schemas: Sequence[str]) -> list[str]:
        """Plain `schema.table` names of the base tables of this build in the given schemas."""
        raise NotImplementedError

    def column_types(self, relations: Sequence[str]) -> list[tuple[str, str, str]]:
        """(plain relation, column, canonical type) of the relations, in column order."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class DuckDBWarehouse(Warehouse):
    """A DuckDB file, opened read-only: the pipeline builds and publishes files, not schemas."""

    VECTOR_ROWS = 2048

    def __init__(self, path: Path) -> None:
        import duckdb

        super().__init__()
        try:
            self.con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as error:
            raise WarehouseError(f"cannot open {path}: {str(error).splitlines()[0]}") from None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def frames(self, sql: str, batch_rows: int) -> Iterator[Any]:
        self.con.execute(sql)
        vectors = max(1, batch_rows // self.VECTOR_ROWS)
        first = True
        while True:
            frame = self.con.fetch_df_chunk(vectors)
            if len(frame) == 0 and not first:
                return
            first = False
            yield frame
            if len(frame) == 0:
                return

    def tables(self, schemas: Sequence[str]) -> list[str]:
        listed = ", ".join(f"'{schema}'" for schema in schemas)
        return [
            f"{schema}.{table}"
            for schema, table in self.rows(
                "select table_schema, table_name from information_schema.tables "
                f"where table_schema in ({listed}) and table_type = 'BASE TABLE' order by 1, 2"
            )
        ]

    def column_types(self, relations: Sequence[str]) -> list[tuple[str, str, str]]:
        found = []
        for relation in relations:
            schema, _, table = relation.partition(".")
            for column, data_type in self.rows(
                "select column_name, data_type from information_schema.columns "
                f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
            ):
                found.append((relation, column, canonical_type(data_type)))
        return found

    def close(self) -> None:
        self.con.close()


class SchemaWarehouse(Warehouse):
    """Postgres and Spark: builds go to versioned schemas and are published as views."""

    def published_builds(self) -> list[str]:
        """Suffixes of the published builds, oldest first."""
        try:
            return [row[0] for row in self.rows(f"select suffix from {PUBLISH_LOG} order by published_at")]
        except Exception:  # noqa: BLE001  (no log yet: nothing was published)
            self.after_error()
            return []

    def after_error(self) -> None:
        pass

    def publish(self) -> list[str]:
        """Makes this build the published one: in each plain schema, a view per table of the
        build; views of tables the build no longer has are dropped. Then drops the schemas of
        builds other than this one and the previously published one. Returns the plain tables."""
        previous = self.published_builds()
        built = self.tables(PROJECT_SCHEMAS)
        self.replace_views(built)
        self.record_publication()
        keep = {self.suffix, *(previous[-1:])}
        for schema in self.versioned_schemas():
            if schema.suffix_of not in keep:
                self.drop_schema(schema.name)
        return built

    def versioned_schemas(self) -> list[VersionedSchema]:
        found = []
        for name in self.schema_names():
            for plain in PROJECT_SCHEMAS:
                if name.startswith(plain + "__") and VERSION_SUFFIX.match(name[len(plain):]):
                    found.append(VersionedSchema(name, name[len(plain):]))
        return found

    def schema_names(self) -> list[str]:
        raise NotImplementedError

    def replace_views(self, built: Sequence[str]) -> None:
        raise NotImplementedError

    def record_publication(self) -> None:
        raise NotImplementedError

    def drop_schema(self, name: str) -> None:
        raise NotImplementedError


class VersionedSchema:
    def __init__(self, name: str, suffix_of: str) -> None:
        self.name = name
        self.suffix_of = suffix_of


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


class SparkWarehouse(SchemaWarehouse):
    """Spark through the PySpark session of this process (dbt-spark's, or one made alike).

    Spark cannot rename schemas or replace several views at once: each published view is
    replaced atomically, one after another (README "Running at scale")."""

    target = "spark"

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.session = spark_session()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.session.sql(sql).collect()]

    def frames(self, sql: str, batch_rows: int) -> Iterator[Any]:
        import pandas as pd

        frame = self.session.sql(sql)
        columns = frame.columns
        batch: list[tuple[Any, ...]] = []
        yielded = False
        for row in frame.toLocalIterator():
            batch.append(tuple(row))
            if len(batch) == batch_rows:
                yield pd.DataFrame.from_records(batch, columns=columns)
                yielded, batch = True, []
        if batch or not yielded:
            yield pd.DataFrame.from_records(batch, columns=columns)

    def tables(self, schemas: Sequence[str]) -> list[str]:
        found = []
        existing = set(self.schema_names())
        for schema in schemas:
            physical = f"{schema}{self.suffix}"
            if physical not in existing:
                continue
            views = {row[1] for row in self.rows(f"show views in {physical}")}
            found += [
                f"{schema}.{row[1]}"
                for row in self.rows(f"show tables in {physical}")
                if row[1] not in views and not row[2]
            ]
        return sorted(found)

    def column_types(self, relations: Sequence[str]) -> list[tuple[str, str, str]]:
        found = []
        for relation in relations:
            for field in self.session.table(self.relation(relation)).schema.fields:
                found.append((relation, field.name, canonical_type(field.dataType.simpleString())))
        return found

    def schema_names(self) -> list[str]:
        return [row[0] for row in self.rows("show schemas")]

    def replace_views(self, built: Sequence[str]) -> None:
        existing = set(self.schema_names())
        for schema in sorted({name.partition(".")[0] for name in built}):
            self.rows(f"create schema if not exists {schema}")
        for schema in PROJECT_SCHEMAS:
            if schema not in existing:
                continue
            views = {row[1] for row in self.rows(f"show views in {schema}")}
            for row in self.rows(f"show tables in {schema}"):
                name = f"{schema}.{row[1]}"
                if row[2] or name in built:
                    continue
                self.rows(f"drop {'view' if row[1] in views else 'table'} if exists {name}")
        for name in built:
            kind = self.rows(f"show tables in {name.partition('.')[0]} like '{name.partition('.')[2]}'")
            if kind and kind[0][1] not in {row[1] for row in self.rows(f"show views in {name.partition('.')[0]}")}:
                self.rows(f"drop table if exists {name}")
            self.rows(f"create or replace view {name} as select * from {self.relation(name)}")

    def record_publication(self) -> None:
        self.rows(f"create schema if not exists {PUBLISH_LOG.partition('.')[0]}")
        self.rows(f"create table if not exists {PUBLISH_LOG} (suffix string, published_at timestamp) using parquet")
        self.rows(f"insert into {PUBLISH_LOG} values ('{self.suffix}', current_timestamp())")

    def drop_schema(self, name: str) -> None:
        log.info("dropping old build schema %s", name)
        self.rows(f"drop schema if exists {name} cascade")


def spark_session() -> Any:
    """The process's Spark session: the one dbt-spark started, or a new one configured from the
    spark output of profiles.yml (the same tables and metastore)."""
    from pyspark.sql import SparkSession

    output = profile_output("spark")
    if output.get("method") != "session":
        raise WarehouseError(
            f"the spark output uses method {output.get('method')!r}: the scripts read Spark through "
            "a local session (method: session) only; against a cluster, run dbt build and "
            "dbt test directly (README \"Running at scale\")"
        )
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    # Python turns Spark timestamps into datetimes in the process's time zone: make it UTC
    os.environ["TZ"] = "UTC"
    time.tzset()
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in (output.get("server_side_parameters") or {}).items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def connect(target: str, duckdb_path: Path | None = None, suffix: str = "") -> Warehouse:
    """A connection to the warehouse of `target`: a DuckDB file, or a build of Postgres/Spark."""
    if target == "duckdb":
        if duckdb_path is None:
            raise WarehouseError("the duckdb target needs a warehouse file")
        return DuckDBWarehouse(duckdb_path)
    if target == "postgres":
        return PostgresWarehouse(suffix)
    if target == "spark":
        return SparkWarehouse(suffix)
    raise WarehouseError(f"unknown target {target!r} (one of {', '.join(TARGETS)})")


def new_build_suffix(now: dt.datetime | None = None) -> str:
    """The schema suffix of a new Postgres or Spark build: its UTC start time."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    return "__v" + moment.strftime("%Y%m%dt%H%M%S")
