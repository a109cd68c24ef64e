"""The engines the warehouse builds on, one module each: duckdb (the default, one file),
postgres and spark (versioned schemas published as views). `engine(name)` gives the pipeline's
view of one (lifecycle.engines.base.Engine), `connect` a connection for reading a warehouse.
An engine's module, and so its client library, is imported only when that engine is used."""

from __future__ import annotations

import importlib
from pathlib import Path

from lifecycle import PROJECT_DIR
from lifecycle.engines.base import (
    PROJECT_SCHEMAS, PUBLISH_LOG, TARGETS, BuildPlan, Engine, Warehouse, WarehouseError, canonical_type,
    new_build_suffix, profile_output,
)

__all__ = [
    "PROJECT_DIR",
    "PROJECT_SCHEMAS", "PUBLISH_LOG", "TARGETS", "BuildPlan", "Engine", "Warehouse", "WarehouseError",
    "canonical_type", "connect", "engine", "new_build_suffix", "profile_output",
]

_ENGINE_CLASSES = {"duckdb": "DuckDBEngine", "postgres": "PostgresEngine", "spark": "SparkEngine"}


def engine(name: str) -> Engine:
    if name not in _ENGINE_CLASSES:
        raise WarehouseError(f"unknown target {name!r} (one of {', '.join(TARGETS)})")
    module = importlib.import_module(f"lifecycle.engines.{name}")
    return getattr(module, _ENGINE_CLASSES[name])()


def connect(target: str, duckdb_path: Path | None = None, suffix: str = "") -> Warehouse:
    """A connection to the warehouse of `target`: a DuckDB file, or a build of Postgres/Spark."""
    if target == "duckdb":
        if duckdb_path is None:
            raise WarehouseError("the duckdb target needs a warehouse file")
        from lifecycle.engines.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(duckdb_path)
    return engine(target).connect(suffix)  # type: ignore[attr-defined]
