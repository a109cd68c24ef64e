"""Apache Spark through the PySpark session of this process (dbt-spark's, or one made alike).

Each run builds in full into new versioned schemas (lifecycle.engines.base.SchemaEngine). Spark
reads the raw files itself: the on-run-start hook (spark__register_raw_input in
macros/engines/spark.sql) makes an external table over each file the finder found. Spark cannot
rename schemas or replace several views at once: each published view is replaced atomically,
one after another (README "Running at scale").
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from lifecycle import PROJECT_DIR
from lifecycle.engines.base import (
    PROJECT_SCHEMAS, PUBLISH_LOG, SchemaEngine, SchemaWarehouse, WarehouseError, canonical_type,
    profile_output,
)

log = logging.getLogger("warehouse")


class SparkEngine(SchemaEngine):
    name = "spark"

    def start_run(self, dbt_vars: dict[str, Any]) -> bool:
        os.environ.setdefault("LIFECYCLE_SPARK_DIR", str(PROJECT_DIR / "warehouse" / "spark"))
        return super().start_run(dbt_vars)

    def connect(self, suffix: str) -> SparkWarehouse:
        return SparkWarehouse(suffix)


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
