"""Command-line checks shared by the scripts: bad input is one line `error: ...` and exit 2.

Paths and numbers are checked before anything runs, so that a typo costs no build and never
shows a traceback (docs/decisions.md #60).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, NoReturn

# A DuckDB database file has "DUCK" at byte 8 (every storage version since 0.x).
DUCKDB_MAGIC_OFFSET = 8
DUCKDB_MAGIC = b"DUCK"


class InputError(ValueError):
    """Unusable input, explained in one line (exit status 2)."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are one line, `error: ...`, instead of a usage block (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    # nan compares false with everything, so "> 0" alone would let it through
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0: {text}")
    return value


def writable_folder(path: Path, flag: str) -> Path:
    """The folder `path`, created when missing; InputError when it cannot be one."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {path} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-probe"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise InputError(f"{flag} {path}: cannot write there ({error.strerror})") from None
    return path


def duckdb_file(path: Path, flag: str, hint: str = "") -> Path:
    """An existing DuckDB database file (checked by its header, without opening or locking it)."""
    if not path.exists():
        raise InputError(f"no warehouse at {path} ({flag}){hint}")
    if not path.is_file():
        raise InputError(f"{flag} {path} is a folder, not a DuckDB file")
    try:
        with path.open("rb") as handle:
            header = handle.read(DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    except OSError as error:
        raise InputError(f"{flag} {path}: cannot read it ({error.strerror})") from None
    if header[DUCKDB_MAGIC_OFFSET:] != DUCKDB_MAGIC:
        raise InputError(f"{flag} {path} is not a DuckDB database file")
    return path


def fail(error: Exception) -> NoReturn:
    """Ends the program with the one-line message of an InputError (or OSError), exit 2."""
    if isinstance(error, OSError) and error.strerror:
        message = f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    else:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def require_built(wh: Any, flag: str = "--warehouse") -> None:
    """InputError unless the warehouse (a warehouse.Warehouse) holds the pipeline's marts."""
    if "marts.dim_customers" not in wh.tables(["marts"]):
        raise InputError(
            f"{flag}: not a warehouse built by scripts/run_pipeline.py (no marts.dim_customers)"
        )
