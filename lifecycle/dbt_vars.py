"""The dbt vars of this project: their declaration, its check, and the README's settings table.

The declaration is the YAML text of the macro `declared_vars()` in macros/check_vars.sql, which
dbt's on-run-start hook `check_vars()` checks with the same rules (docs/decisions.md #58). The
scripts check --vars here before anything runs, so a bad value costs no build.

Run it to print the README's "Settings (dbt vars)" table; --write-readme puts it in README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from lifecycle import PROJECT_DIR, console

DECLARATION_FILE = PROJECT_DIR / "macros" / "check_vars.sql"
README = PROJECT_DIR / "README.md"
DECLARATION = re.compile(r"\{% macro declared_vars\(\) -%\}\n(.*?)\{%- endmacro %\}", re.DOTALL)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
KINDS = {
    "integer": "an integer", "number": "a number", "date": "a date (YYYY-MM-DD)",
    "path": "a folder path", "text": "a text", "boolean": "true or false",
    "files": "a mapping of raw table to file path",
}
TABLE_START = "| var | type | default | meaning |"

log = logging.getLogger("dbt_vars")


class VarError(ValueError):
    """A var that is unknown or has a value outside its declaration; the message is one line."""


def declared_vars() -> dict[str, dict[str, Any]]:
    match = DECLARATION.search(DECLARATION_FILE.read_text())
    if match is None:
        raise RuntimeError(f"no declared_vars() macro in {DECLARATION_FILE}")
    return yaml.safe_load(match.group(1))


def expectation(spec: dict[str, Any]) -> str:
    """What a var accepts, worded as the dbt check words it (macro var_expectation)."""
    words = [KINDS[spec["type"]]]
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None:
        words.append(f"from {low} to {high}")
    elif low is not None:
        words.append(f">= {low}")
    if spec.get("pattern"):
        words.append(f"matching {spec['pattern']}")
    if spec.get("nullable"):
        words.append("or null")
    return " ".join(words)


def is_allowed(value: Any, spec: dict[str, Any]) -> bool:
    kind = spec["type"]
    if value is None:
        return bool(spec.get("nullable"))
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in {"integer", "number"}:
        # YAML's true is a bool, and bool is an int in Python: neither a count nor a rate
        numeric = int if kind == "integer" else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric):
            return False
        low, high = spec.get("min"), spec.get("max")
        return (low is None or value >= low) and (high is None or value <= high)
    if kind == "date":
        text = value.isoformat() if type(value) is dt.date else str(value)
        if not ISO_DATE.fullmatch(text):
            return False
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return False
        return True
    if kind == "files":
        # {orders: path, touchpoints: {format: parquet, path: ...}}: every value names a path
        return isinstance(value, dict) and all(
            isinstance(entry, str) or (isinstance(entry, dict) and isinstance(entry.get("path"), str))
            for entry in value.values()
        )
    if not isinstance(value, str):
        return False
    if kind == "path":
        return bool(value.strip())
    return not spec.get("pattern") or re.search(spec["pattern"], value) is not None


def shown(value: Any) -> str:
    return json.dumps(value, default=str)


def check_vars(values: dict[str, Any], *, internal_allowed: bool = False) -> dict[str, Any]:
    """Raises VarError for the first bad var; returns the values with dates as ISO text (dbt
    gets them as JSON)."""
    declared = declared_vars()
    for name, value in values.items():
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1, cutoff=0)
            raise VarError(f"unknown var {name} (did you mean {close[0]}?)")
        spec = declared[name]
        if spec.get("internal") and not internal_allowed:
            raise VarError(f"var {name} is set by the pipeline, not by --vars")
        if not is_allowed(value, spec):
            raise VarError(f"var {name}={shown(value)}: expected {expectation(spec)}")
    merged = {name: values.get(name, spec["default"]) for name, spec in declared.items()}
    if merged["quarantine_warn_rate"] > merged["quarantine_fail_rate"]:
        raise VarError(
            f"var quarantine_warn_rate={merged['quarantine_warn_rate']}: must be at most "
            f"quarantine_fail_rate ({merged['quarantine_fail_rate']})"
        )
    return {
        name: value.isoformat() if isinstance(value, dt.date) else value
        for name, value in values.items()
    }


def readme_table() -> str:
    """The README's settings table, rendered from the declaration."""
    lines = [TABLE_START, "|---|---|---|---|"]
    for name, spec in declared_vars().items():
        default = spec.get("default_text", spec["default"])
        lines.append(f"| `{name}` | {expectation(spec)} | {default} | {spec['meaning']} |")
    return "\n".join(lines) + "\n"


def readme_with_table(readme: str) -> str:
    """README text with its settings table replaced by readme_table()."""
    start = readme.index(TABLE_START)
    end = readme.index("\n\n", start) + 1
    return readme[:start] + readme_table() + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-readme", action="store_true", help=f"update the table in {README.name}")
    console.add_verbosity_flags(parser)
    args = parser.parse_args(argv)
    console.setup_logging(args)
    if not args.write_readme:
        print(readme_table(), end="")
        return 0
    README.write_text(readme_with_table(README.read_text()))
    log.info("settings table written to %s", README)
    return 0


if __name__ == "__main__":
    sys.exit(main())
