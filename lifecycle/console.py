"""What the scripts print, the same way in each: one flag vocabulary for how much (-v, --quiet),
one log layout, sizes written as 100k or 1M, and dbt's own log reduced to a progress counter.

By default a script prints one line per step, its warnings and its result; -v adds debug lines
(and, in run_pipeline.py, dbt's own log); --quiet prints warnings and errors only. dbt's full
log always goes to dbt.log in the run's dbt target folder, whatever the console shows.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any, TextIO

SIZE_UNITS = {"k": 1_000, "m": 1_000_000}
# dbt events that finish one node of a command: their index counts the progress
NODE_RESULT_EVENTS = {
    "LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult", "SkippingDetails",
    "LogNodeNoOpResult",
}
# dbt's end-of-run repetition of each warned test (already kept from its LogTestResult)
REPEATED_WARNINGS = {"RunResultWarning", "RunResultWarningMessage"}
# a terminal gets the counter redrawn at most this often; a log file a line at each quarter
REDRAW_SECONDS = 0.2
LOGGED_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
# a command of fewer nodes (the six seeds) is over before a counter says anything
MIN_COUNTED_NODES = 20


def add_verbosity_flags(parser: argparse.ArgumentParser) -> None:
    """-v and --quiet, the same in every script."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v", "--verbose", action="store_true",
        help="also print debug lines (run_pipeline.py: and dbt's own log)",
    )
    group.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")


def setup_logging(args: argparse.Namespace) -> None:
    """INFO lines as plain sentences on stdout; with -v timestamped DEBUG lines; with --quiet
    warnings only, on stderr (where errors go)."""
    verbose, quiet = getattr(args, "verbose", False), getattr(args, "quiet", False)
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    # timestamps and logger names help to read a debug log, not one line per step
    layout = "%(asctime)s %(name)s %(message)s" if verbose else "%(message)s"
    logging.basicConfig(
        level=level, format=layout, datefmt="%H:%M:%S", stream=sys.stderr if quiet else sys.stdout
    )


def parse_size(text: str) -> int:
    """A count written as 20000, 20_000, 20,000, 20k, 1M or 2.5M (an argparse type)."""
    cleaned = text.strip().lower().replace("_", "").replace(",", "")
    try:
        if cleaned and cleaned[-1] in SIZE_UNITS:
            size = int(float(cleaned[:-1]) * SIZE_UNITS[cleaned[-1]])
        else:
            size = int(cleaned)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"not a size like 20000, 20k, 1M or 2.5M: {text!r}") from None
    if size <= 0:
        raise argparse.ArgumentTypeError(f"a size must be > 0: {text!r}")
    return size


def size_label(size: int) -> str:
    """How sizes are written back: 20000 -> 20k, 1000000 -> 1M."""
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


class DbtProgress:
    """A dbt callback (dbtRunner(callbacks=[...])): counts finished nodes into one progress line
    and keeps dbt's warnings for the end of the step.

    On a terminal `build 41/266 nodes` is redrawn in place; elsewhere (CI logs, pipes) a line is
    written at each quarter, so that a log shows a long build moving without 700 lines."""

    def __init__(self, step: str, stream: TextIO | None = None, shown: bool = True) -> None:
        self.step = step
        self.stream = stream or sys.stdout
        self.shown = shown
        self.interactive = self.stream.isatty()
        self.done = 0
        self.total = 0
        self.warnings: list[str] = []
        self._drawn_at = 0.0
        self._logged: set[float] = set()

    def __call__(self, event: Any) -> None:
        name = event.info.name
        if name in NODE_RESULT_EVENTS:
            data = event.data
            self.done = max(self.done, int(getattr(data, "index", 0) or 0))
            self.total = max(self.total, int(getattr(data, "total", 0) or 0))
            if name == "LogTestResult" and getattr(data, "status", "") == "warn":
                self.warnings.append(
                    f"dbt test {data.name} found {int(data.num_failures):,} rows (configured to warn)"
                )
            self._show()
        elif event.info.level == "warn" and name not in REPEATED_WARNINGS | {"LogTestResult"}:
            # deprecations and other warnings of dbt's: one line each, as dbt words them
            first_line = event.info.msg.strip().splitlines()[0] if event.info.msg.strip() else name
            self.warnings.append(f"dbt: {first_line}")

    def _show(self) -> None:
        if not self.shown or self.total < MIN_COUNTED_NODES:
            return
        text = f"{self.step} {self.done}/{self.total} nodes"
        if self.interactive:
            now = time.monotonic()
            if now - self._drawn_at >= REDRAW_SECONDS or self.done == self.total:
                self._drawn_at = now
                self.stream.write(f"\r  {text}")
                self.stream.flush()
            return
        for fraction in LOGGED_FRACTIONS:
            if fraction not in self._logged and self.done >= fraction * self.total:
                self._logged.add(fraction)
                self.stream.write(f"  {text}\n")
                self.stream.flush()

    def finish(self) -> None:
        """Ends a redrawn line, so that the next line starts on its own."""
        if self.shown and self.interactive and self.total >= MIN_COUNTED_NODES:
            self.stream.write("\n")
            self.stream.flush()


def keep_spark_unloaded(target: str) -> None:
    """Great Expectations imports PySpark when it is installed, and PySpark warns about pandas on
    every import: a DuckDB or Postgres run has no use for either. A None entry in sys.modules
    makes `import pyspark` raise ImportError at once, which GX takes as "not installed"."""
    if target != "spark" and "pyspark" not in sys.modules:
        sys.modules["pyspark"] = None  # type: ignore[assignment]
