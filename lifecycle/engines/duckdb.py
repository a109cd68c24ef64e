"""DuckDB, the default engine: the warehouse is one file, built beside the published one.

A run builds into <warehouse>.build.duckdb: a copy of the published file (an incremental run) or a
new file, checks it, and publishes it by an atomic rename over the published file, keeping the
previous one as <warehouse>.previous.duckdb. BI readers of the published file are never blocked
and keep their consistent, older copy until they reconnect. DuckDB reads the raw files itself:
the on-run-start hook makes the `raw` source views over the files the finder found.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from lifecycle import PROJECT_DIR, cli_checks
from lifecycle.build_inputs import BuildInputs, read_record, why_not_incremental, write_record
from lifecycle.engines.base import BuildPlan, Engine, Run, Warehouse, WarehouseError, canonical_type

# The published file is written in this DuckDB storage format so that older DuckDB releases, as
# bundled by BI tools and notebooks, can open it: DuckDB >= 1.1 reads it (tested with 1.1.3).
# A file once created in a storage version keeps it when later writers are newer.
STORAGE_VERSION = "v1.1.0"
# The file the duckdb output of profiles.yml opens; during a run, the build file.
WAREHOUSE_ENV_VAR = "LIFECYCLE_WAREHOUSE"
DEFAULT_WAREHOUSE = PROJECT_DIR / "warehouse" / "lifecycle.duckdb"
# What `mf` reads from PROJECT_DIR/target/ (dbt-metricflow: nothing else there).
SEMANTIC_MANIFEST = "semantic_manifest.json"

log = logging.getLogger("warehouse")


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


class DuckDBEngine(Engine):
    name = "duckdb"

    def state_dir(self, warehouse: Path) -> Path:
        return warehouse.parent

    def check_locations(self, warehouse: Path, building: bool) -> None:
        if building:
            # the build file goes beside the warehouse
            cli_checks.writable_folder(warehouse.parent, "--warehouse folder")
        if warehouse.exists():
            # never build over (and publish in place of) a file that is not a warehouse
            cli_checks.duckdb_file(warehouse, "--warehouse")

    def describe(self, run: Run) -> str:
        return f"warehouse {run.warehouse}"

    def dbt_target(self, run: Run) -> Path:
        return run.warehouse.with_name(run.warehouse.stem + ".dbt_target")

    @staticmethod
    def build_file(run: Run) -> Path:
        return run.warehouse.with_name(run.warehouse.stem + ".build.duckdb")

    @staticmethod
    def backup_file(run: Run) -> Path:
        return run.warehouse.with_name(run.warehouse.stem + ".previous.duckdb")

    def plan_build(self, run: Run) -> BuildPlan:
        """An incremental run continues the published build only when its inputs have just grown
        since (lifecycle.build_inputs); otherwise the run rebuilds from an empty file, and says so."""
        raw_dir = run.dbt_vars.get("raw_dir")
        load_date = run.dbt_vars.get("load_date")
        inputs = BuildInputs.of(Path(raw_dir) if raw_dir else None, str(load_date) if load_date else None)
        if not run.warehouse.exists():
            return BuildPlan(True, "full (nothing published yet)", inputs)
        if run.full_refresh:
            why = "full (--as-of)" if "as_of" in run.dbt_vars else "full (--full-refresh)"
            return BuildPlan(True, why, inputs)
        import duckdb

        try:
            with duckdb.connect(str(run.warehouse), read_only=True) as con:
                previous = read_record(con)
        except duckdb.Error as error:
            raise WarehouseError(
                f"cannot read the published warehouse {run.warehouse}: {str(error).splitlines()[0]}"
            ) from None
        reason = why_not_incremental(previous, inputs, Path(raw_dir) if raw_dir else None)
        if reason is None:
            return BuildPlan(False, "incremental", inputs)
        log.info("inputs changed since the published build (%s): full rebuild", reason)
        return BuildPlan(True, f"full (inputs changed: {reason})", inputs)

    def prepare_build(self, run: Run) -> None:
        """The build file: a copy of the published one, or a new file in STORAGE_VERSION."""
        import duckdb

        build = self.build_file(run)
        remove_database_file(build)  # a killed run may have left one
        if run.warehouse.exists() and not run.full_refresh:
            shutil.copyfile(run.warehouse, build)
            return
        with duckdb.connect() as con:
            con.execute(f"attach '{build}' as build (storage_version '{STORAGE_VERSION}')")

    @contextlib.contextmanager
    def dbt_session(self, run: Run) -> Iterator[None]:
        os.environ[WAREHOUSE_ENV_VAR] = str(self.build_file(run))
        try:
            yield
        finally:
            release_warehouse()

    def open_build(self, run: Run) -> Warehouse:
        return DuckDBWarehouse(self.build_file(run))

    def open_published(self, run: Run) -> Warehouse:
        return DuckDBWarehouse(run.warehouse)

    def has_build(self, run: Run) -> bool:
        return self.build_file(run).exists()

    def has_published(self, run: Run) -> str | None:
        return None if run.warehouse.is_file() else f"no published warehouse at {run.warehouse}"

    def publish(self, run: Run) -> dict[str, str | None]:
        """Atomically replaces the published warehouse by the build, keeping the old one as backup."""
        import duckdb

        build, backup = self.build_file(run), self.backup_file(run)
        # what the build was made from, published with it: the next run continues it only if its
        # inputs have just grown (plan_build); then fold any write-ahead log into the file, so
        # that the renamed file is complete on its own
        with duckdb.connect(str(build)) as con:
            if run.inputs is not None:
                write_record(con, run.inputs)
            con.execute("checkpoint")
        remove_database_file(build.with_name(build.name + ".wal"))
        if run.warehouse.exists():
            staged_backup = backup.with_name(backup.name + ".tmp")
            staged_backup.unlink(missing_ok=True)
            os.link(run.warehouse, staged_backup)
            os.replace(staged_backup, backup)
        os.replace(build, run.warehouse)
        self.share_semantic_manifest(run)
        return {"published": str(run.warehouse), "backup": str(backup) if backup.exists() else None}

    def share_semantic_manifest(self, run: Run) -> None:
        """`mf` reads PROJECT_DIR/target/semantic_manifest.json only, and opens the file the
        profile points at: the published build's manifest goes there when the two are the same
        file. Its relations name the catalog DuckDB gives the file, the first dot-separated part
        of its name, which the build file (<stem>.build.duckdb) shares with the published one."""
        built = self.dbt_target(run) / SEMANTIC_MANIFEST
        if run.warehouse != run.profile_warehouse:
            log.info(
                "semantic manifest left in %s: mf opens %s (for mf on this warehouse, set %s=%s "
                "before the run and before mf)",
                built, run.profile_warehouse, WAREHOUSE_ENV_VAR, run.warehouse,
            )
            return
        shared = PROJECT_DIR / "target" / SEMANTIC_MANIFEST
        shared.parent.mkdir(exist_ok=True)
        # a rename, so that an mf starting now reads the old manifest or the new one, never half
        staged = shared.with_name(f"{SEMANTIC_MANIFEST}.{os.getpid()}.tmp")
        shutil.copyfile(built, staged)
        os.replace(staged, shared)
        log.info("semantic manifest for mf: %s", shared)

    def build_location(self, run: Run) -> dict[str, str | None]:
        return {"published": str(run.warehouse), "build": str(self.build_file(run))}

    def outcome_note(self, run: Run) -> str:
        untouched = "published warehouse untouched" if run.warehouse.exists() else "nothing published"
        build = self.build_file(run)
        kept = f"; failed build kept at {build}" if build.exists() else ""
        return untouched + kept


def remove_database_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def release_warehouse() -> None:
    """Closes dbt-duckdb's connection: it keeps the file (and its lock) open after invoke()."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
