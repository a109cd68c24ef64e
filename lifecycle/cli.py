"""`lifecycle`: the product's commands in one place (installed by `make setup` into .venv/bin).

    lifecycle run               build, check and publish the warehouse (scripts/run_pipeline.py)
    lifecycle validate          the data-quality suites on a warehouse (scripts/validate.py)
    lifecycle report            report.html for a warehouse (scripts/report.py)
    lifecycle export-audiences  one file per playbook action (scripts/export_audiences.py)

`lifecycle <command> --help` explains each command's flags; the scripts take the same ones.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "run": "lifecycle.pipeline",
    "validate": "lifecycle.validate",
    "report": "lifecycle.report",
    "export-audiences": "lifecycle.audiences",
}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in {"-h", "--help"}:
        print(__doc__.strip())
        return 0 if arguments else 2
    command, rest = arguments[0], arguments[1:]
    if command not in COMMANDS:
        print(f"error: unknown command {command!r} (one of {', '.join(COMMANDS)})", file=sys.stderr)
        return 2
    # each command's --help and errors name it as typed
    sys.argv[0] = f"lifecycle {command}"
    return importlib.import_module(COMMANDS[command]).main(rest)


if __name__ == "__main__":
    sys.exit(main())
