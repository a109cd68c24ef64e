"""What a published DuckDB build was made from, and whether the next run may update it in place.

An incremental run starts from a copy of the published warehouse and re-reads only the newest
days of the raw files (README "Incremental runs"). That is right only when the inputs have grown
since that build: rows appended to a CSV file, new Parquet parts in a folder. After any other
change (another raw folder, the demo data instead of files or the reverse, a file rewritten,
shortened or removed, a changed project) the copied tables describe other data, and the run
must start from an empty build instead.

The identity of each input file is its name, its size and two fingerprints: a hash of its first
bytes and a hash of the bytes just before its end. A later file has been appended to when it is
at least as large and both fingerprints still match at the old size; Parquet files cannot be
appended to, so any change to one is a rewrite. The project's own files (models, macros,
reference seeds, dbt_project.yml) are hashed too: a changed rule needs every row recomputed.
The record lives in the build itself (table lifecycle_meta.build_inputs), so it is published and
kept together with the tables it describes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lifecycle import PROJECT_DIR, raw_inputs

RECORD_TABLE = "lifecycle_meta.build_inputs"
# The raw tables and the file layouts a raw folder may hold them in (README "Running on your own
# data"); the demo data is the seeds of seeds/demo.
DEMO_SEEDS = PROJECT_DIR / "seeds" / "demo"
# Files whose change changes what a row becomes: every stored row must be recomputed.
PROJECT_FILES = ("models", "macros", "seeds/reference", "dbt_project.yml")
# Bytes hashed at each end of a file: enough to tell a rewrite from an append in practice, cheap
# on files of many GB.
WINDOW_BYTES = 1 << 20
RECORD_VERSION = 1


@dataclass(frozen=True)
class FileIdentity:
    name: str
    size: int
    head_sha256: str
    tail_sha256: str


def identify(path: Path, name: str) -> FileIdentity:
    size = path.stat().st_size
    return FileIdentity(name, size, _hash_range(path, 0, size), _hash_range(path, max(0, size - WINDOW_BYTES), size))


def _hash_range(path: Path, start: int, end: int) -> str:
    """sha256 of the bytes [start, end) of the file, at most WINDOW_BYTES from start."""
    with path.open("rb") as handle:
        handle.seek(start)
        return hashlib.sha256(handle.read(min(end - start, WINDOW_BYTES))).hexdigest()


def raw_files(raw_dir: Path | None) -> dict[str, Path]:
    """The input files of a raw folder by their name relative to it (the demo seeds without one),
    as the raw-input finder finds them (RawInputError when it finds none)."""
    if raw_dir is None:
        return {path.name: path for path in sorted(DEMO_SEEDS.glob("*.csv"))}
    return raw_inputs.files_by_name(raw_dir, raw_inputs.find(raw_dir))


def project_fingerprint() -> str:
    digest = hashlib.sha256()
    for entry in PROJECT_FILES:
        root = PROJECT_DIR / entry
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class BuildInputs:
    """What one build read: the raw folder ("demo" for the seeds), its files, the project and the
    load date (rows dated after it are quarantined, so a build must not be continued with an
    earlier one)."""

    source: str
    files: tuple[FileIdentity, ...]
    project: str
    load_date: str | None

    @classmethod
    def of(cls, raw_dir: Path | None, load_date: str | None) -> BuildInputs:
        files = tuple(identify(path, name) for name, path in raw_files(raw_dir).items())
        return cls("demo" if raw_dir is None else str(raw_dir), files, project_fingerprint(), load_date)

    def to_json(self) -> str:
        return json.dumps({"version": RECORD_VERSION, **asdict(self)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BuildInputs | None:
        document: dict[str, Any] = json.loads(text)
        if document.get("version") != RECORD_VERSION:
            return None
        files = tuple(FileIdentity(**entry) for entry in document["files"])
        return cls(document["source"], files, document["project"], document.get("load_date"))


def describe_source(source: str) -> str:
    return "the demo data" if source == "demo" else source


def why_not_incremental(previous: BuildInputs | None, current: BuildInputs, raw_dir: Path | None) -> str | None:
    """None when `current` only adds to `previous` (new rows at the end of a CSV file, new files);
    otherwise what changed, in a few words."""
    if previous is None:
        return "the published build does not record its inputs"
    if previous.source != current.source:
        return f"{describe_source(previous.source)} before, {describe_source(current.source)} now"
    if previous.project != current.project:
        return "the project's models, macros or reference seeds changed"
    if previous.load_date and current.load_date and current.load_date < previous.load_date:
        return f"load date {current.load_date} is before the published build's {previous.load_date}"
    now = {identity.name: identity for identity in current.files}
    paths = raw_files(raw_dir)
    for before in previous.files:
        after = now.get(before.name)
        if after is None:
            return f"{before.name} removed"
        if after == before:
            continue
        if not before.name.endswith(".csv") or not _starts_with(paths[before.name], before):
            return f"{before.name} rewritten"
    return None


def _starts_with(path: Path, before: FileIdentity) -> bool:
    """Whether the file's first before.size bytes are (by both fingerprints) the earlier file and
    it ended with a line break (else the appended bytes changed its last row)."""
    if path.stat().st_size < before.size:
        return False
    with path.open("rb") as handle:
        handle.seek(max(0, before.size - 1))
        if before.size and handle.read(1) != b"\n":
            return False
    head = _hash_range(path, 0, before.size)
    tail = _hash_range(path, max(0, before.size - WINDOW_BYTES), before.size)
    return head == before.head_sha256 and tail == before.tail_sha256


def read_record(con: Any) -> BuildInputs | None:
    """The inputs recorded in a warehouse (a DuckDB connection), or None."""
    schema, _, table = RECORD_TABLE.partition(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    if not found:
        return None
    row = con.execute(f"select inputs from {RECORD_TABLE}").fetchone()
    return BuildInputs.from_json(row[0]) if row else None


def write_record(con: Any, inputs: BuildInputs) -> None:
    """Records the inputs in a build (a read-write DuckDB connection), replacing any earlier record."""
    con.execute(f"create schema if not exists {RECORD_TABLE.partition('.')[0]}")
    con.execute(f"create or replace table {RECORD_TABLE} (inputs varchar, recorded_at timestamp)")
    con.execute(
        f"insert into {RECORD_TABLE} values (?, ?)",
        [inputs.to_json(), dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)],
    )
