"""What every engine shares: reading a warehouse (class Warehouse), publishing a build of
versioned schemas (SchemaWarehouse, Postgres and Spark), and running the pipeline on it (class
Engine); lifecycle.engines.duckdb, .postgres and .spark implement them, one module per engine.

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

import contextlib
import datetime as dt
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from lifecycle import PROJECT_DIR

if TYPE_CHECKING:
    from lifecycle.build_inputs import BuildInputs
    from lifecycle.raw_inputs import RawInputs

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


def new_build_suffix(now: dt.datetime | None = None) -> str:
    """The schema suffix of a new Postgres or Spark build: its UTC start time."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    return "__v" + moment.strftime("%Y%m%dt%H%M%S")


class Run(Protocol):
    """What an engine needs to know of a pipeline run (lifecycle.pipeline.Settings)."""

    warehouse: Path
    reports_dir: Path
    dbt_vars: dict[str, Any]
    full_refresh: bool
    raw_inputs: RawInputs | None
    inputs: BuildInputs | None
    profile_warehouse: Path

    @property
    def suffix(self) -> str: ...


@dataclass(frozen=True)
class BuildPlan:
    """How a run builds: from empty (full_refresh) or continuing the published build, and why."""

    full_refresh: bool
    why: str
    # DuckDB: what the build reads, recorded in it when published (lifecycle.build_inputs)
    inputs: BuildInputs | None = None


class Engine:
    """One output of profiles.yml as the pipeline runs it: where a run builds, how the raw files
    reach the build, how a checked build is published, and how either is read. The pipeline
    calls these methods in this order and never asks which engine it has."""

    name = ""

    def state_dir(self, warehouse: Path) -> Path:
        """Where reports go by default."""
        return PROJECT_DIR / "warehouse" / self.name

    def check_locations(self, warehouse: Path, building: bool) -> None:
        """Refuses (cli_checks.InputError) a --warehouse the run cannot build beside or publish."""

    def start_run(self, dbt_vars: dict[str, Any]) -> bool:
        """Sets what this engine needs in the run's dbt vars and environment; True when every run
        must build from empty."""
        return False

    def describe(self, run: Run) -> str:
        return f"target {self.name}"

    def dbt_target(self, run: Run) -> Path:
        """dbt's artifacts and log for this run."""
        return run.reports_dir.with_name(run.reports_dir.name + ".dbt_target")

    def plan_build(self, run: Run) -> BuildPlan:
        raise NotImplementedError

    def prepare_build(self, run: Run) -> None:
        """Makes the place the build goes to, and brings the raw files where dbt reads them."""

    @contextlib.contextmanager
    def dbt_session(self, run: Run) -> Iterator[None]:
        """Around each dbt command of the run."""
        yield

    def open_build(self, run: Run) -> Warehouse:
        raise NotImplementedError

    def open_published(self, run: Run) -> Warehouse:
        raise NotImplementedError

    def has_build(self, run: Run) -> bool:
        """Whether a failed run got as far as making a build to look into."""
        return True

    def has_published(self, run: Run) -> str | None:
        """None when a published warehouse exists, else why not (one line)."""
        return None

    def publish(self, run: Run) -> dict[str, str | None]:
        """Makes the checked build the published warehouse; returns what the run report says of it."""
        raise NotImplementedError

    def build_location(self, run: Run) -> dict[str, str | None]:
        raise NotImplementedError

    def outcome_note(self, run: Run) -> str:
        """After a failure: what was left as it was, and where the failed build is."""
        raise NotImplementedError


class SchemaEngine(Engine):
    """Postgres and Spark: each run builds in full into new versioned schemas (marts__v2026...),
    and publishing points the plain schemas' views at them."""

    def start_run(self, dbt_vars: dict[str, Any]) -> bool:
        dbt_vars["schema_suffix"] = new_build_suffix()
        return True

    def plan_build(self, run: Run) -> BuildPlan:
        return BuildPlan(True, "full (new schemas)")

    def open_build(self, run: Run) -> Warehouse:
        return self.connect(run.suffix)

    def open_published(self, run: Run) -> Warehouse:
        return self.connect("")

    def connect(self, suffix: str) -> SchemaWarehouse:
        raise NotImplementedError

    def publish(self, run: Run) -> dict[str, str | None]:
        with self.connect(run.suffix) as wh:
            wh.publish()
        return {"target": self.name, "published": f"build {run.suffix} as views in the plain schemas"}

    def build_location(self, run: Run) -> dict[str, str | None]:
        return {"target": self.name, "build": f"schemas *{run.suffix}"}

    def outcome_note(self, run: Run) -> str:
        return (
            f"published views untouched; the build's schemas *{run.suffix} are kept until the next "
            "successful run"
        )
