"""Validate a warehouse with the Great Expectations suites kept in expectations/.

Each suite file (GX Core 1.x JSON) names in meta.dataset what it validates:
  kind "relation"  a table, read in batches of --batch-rows rows (single_batch: the whole table
                   must fit one batch, for expectations about the table as a whole)
  kind "columns"   the columns and types of some relations, as "schema.table.column TYPE"
Aggregates over large tables (key uniqueness, volumes, row reconciliation) are dbt models in the
audit schema, so memory stays bounded by the batch size whatever the size of the warehouse.

GX runs on its pandas engine (its SQL engine fails every expectation on DuckDB: decisions #35).
An expectation that raises is reported as an error and fails its suite; it never counts as a pass.
Severity "warning" expectations only warn. Each problem is printed in words under its suite
(lifecycle/quality_messages.py), e.g.
  FAILED   raw_quality (1 batch, 2 rows)
      fail  orders: 11.1 % of rows quarantined (invalid_amount 9.8 %, missing_id 1.3 %) > quarantine_fail_rate 10 %
Data Docs (static HTML, offline, warnings shown as warnings: lifecycle/data_docs.py) are written
to --docs-dir.

Exit status: 0 when every suite passed (possibly with warnings), 1 otherwise, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lifecycle import PROJECT_DIR, cli_checks, console, data_docs, dbt_vars, engines
from lifecycle import quality_messages as messages
from lifecycle.engines import TARGETS, Warehouse, WarehouseError, connect
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

DEFAULT_EXPECTATIONS_DIR = PROJECT_DIR / "expectations"
DEFAULT_BATCH_ROWS = 500_000
# Suite parameters ($PARAMETER in the suite files) are dbt vars of dbt_project.yml.
SUITE_PARAMETERS = ("quarantine_warn_rate", "quarantine_fail_rate")

# How each kind of problem is labelled under its suite's line.
LABELS = {"failed": "fail", "warned": "warn", "errored": "error"}

log = logging.getLogger("validate")


class ValidationSetupError(Exception):
    """The validation itself could not run as asked (not a data failure)."""


@dataclass
class SuiteResult:
    name: str
    status: str  # passed, warned, failed or errored
    batches: int
    rows: int
    # what went wrong, in words (lifecycle/quality_messages.py)
    failed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    errored: list[str] = field(default_factory=list)
    # each batch's Data Docs page and how the run judged it (not in the run report)
    pages: list[data_docs.ValidationPage] = field(default_factory=list, repr=False)

    def line(self) -> str:
        """The suite's status line."""
        batches = f"{self.batches} batch{'es' if self.batches != 1 else ''}"
        rows = f"{self.rows:,} row{'s' if self.rows != 1 else ''}"
        return f"{self.status.upper():<8} {self.name} ({batches}, {rows})"

    def sentences(self) -> list[str]:
        """Each problem on a line of its own, labelled: `fail  fct_orders: ...`."""
        return [
            f"{LABELS[kind]:<5} {text}"
            for kind, texts in (("errored", self.errored), ("failed", self.failed), ("warned", self.warned))
            for text in texts
        ]

    def lines(self) -> list[str]:
        """What is printed: the status line, then each problem indented beneath it."""
        return [self.line(), *(f"    {sentence}" for sentence in self.sentences())]

    def as_dict(self) -> dict[str, Any]:
        return {
            "suite": self.name, "status": self.status, "batches": self.batches, "rows": self.rows,
            "failed": self.failed, "warned": self.warned, "errored": self.errored,
        }


def parse_vars(items: Sequence[str]) -> dict[str, Any]:
    """dbt vars given as KEY=VALUE (values read as YAML, as dbt reads --vars)."""
    parsed: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--vars takes KEY=VALUE, got {item!r}")
        try:
            parsed[key.strip()] = yaml.safe_load(value)
        except (yaml.YAMLError, ValueError):
            # e.g. 2026-02-30, which YAML takes for a date and cannot build: the var check
            # (dbt_vars.check_vars) then says what the var accepts
            parsed[key.strip()] = value
    return parsed


def suite_parameters(dbt_vars: dict[str, Any]) -> dict[str, Any]:
    """The suite parameters: dbt_project.yml vars, overridden by the run's vars."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    merged = {**project.get("vars", {}), **dbt_vars}
    return {name: merged[name] for name in SUITE_PARAMETERS}


def load_suite_file(path: Path) -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
    """The GX suite, its meta.dataset, and its expectations as written (with their $PARAMETER
    references and meta.message templates, which the messages need)."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    document = json.loads(path.read_text())
    expectations = [
        ExpectationConfiguration(
            type=item["type"],
            kwargs=item["kwargs"],
            meta=item.get("meta", {}),
            severity=item.get("severity", "critical"),
        ).to_domain_obj()
        for item in document["expectations"]
    ]
    suite = gx.ExpectationSuite(
        name=document["name"], expectations=expectations, meta=document.get("meta", {})
    )
    return suite, document["meta"]["dataset"], document["expectations"]


def dataset_batches(wh: Warehouse, dataset: dict[str, Any], batch_rows: int) -> Iterator[Any]:
    """DataFrames to validate: a relation in batches, or the column listing of relations (types
    in DuckDB's spelling whatever the engine, so that one suite serves every target)."""
    import pandas as pd

    if dataset["kind"] == "columns":
        yield pd.DataFrame(
            {"column_and_type": [
                f"{relation}.{column} {data_type}"
                for relation, column, data_type in wh.column_types(dataset["relations"])
            ]}
        )
        return
    if dataset["kind"] != "relation":
        raise ValidationSetupError(f"unknown dataset kind {dataset['kind']!r}")
    order_by = f" order by {dataset['order_by']}" if dataset.get("order_by") else ""
    for number, frame in enumerate(
        wh.frames(f"select * from {wh.relation(dataset['relation'])}{order_by}", batch_rows)
    ):
        if dataset.get("single_batch") and number > 0:
            raise ValidationSetupError(
                f"{dataset['relation']} does not fit one batch of {batch_rows:,} rows"
            )
        yield frame


def raised(exception_info: Any) -> bool:
    """Whether GX recorded an exception for an expectation (its shape varies by code path)."""
    if isinstance(exception_info, dict):
        if exception_info.get("raised_exception"):
            return True
        return any(raised(value) for value in exception_info.values() if isinstance(value, dict))
    return bool(getattr(exception_info, "raised_exception", False))


def exception_text(exception_info: Any) -> str:
    """The first line of the first exception message GX recorded."""
    if isinstance(exception_info, dict):
        if exception_info.get("raised_exception"):
            return str(exception_info.get("exception_message") or "error").strip().splitlines()[0]
        for value in exception_info.values():
            if isinstance(value, dict) and raised(value):
                return exception_text(value)
    return str(getattr(exception_info, "exception_message", None) or "error").strip().splitlines()[0]


def make_context(project_dir: Path, docs_dir: Path) -> Any:
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(project_dir))
    # progress bars would flood a CI log, one per batch and suite
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    for site in list(context.get_site_names()):
        context.delete_data_docs_site(site)
    context.add_data_docs_site(
        site_name="lifecycle",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def validate(
    wh: Warehouse,
    docs_dir: Path,
    parameters: dict[str, Any],
    expectations_dir: Path = DEFAULT_EXPECTATIONS_DIR,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> list[SuiteResult]:
    import great_expectations as gx

    suite_files = sorted(expectations_dir.glob("*.json"))
    if not suite_files:
        raise ValidationSetupError(f"no suite files in {expectations_dir}")
    if docs_dir.exists():
        shutil.rmtree(docs_dir)
    results: list[SuiteResult] = []
    with tempfile.TemporaryDirectory(prefix="gx-project-") as project_dir:
        context = make_context(Path(project_dir), docs_dir)
        source = context.data_sources.add_pandas("warehouse")
        for path in suite_files:
            suite, dataset, items = load_suite_file(path)
            suite = context.suites.add(suite)
            asset = source.add_dataframe_asset(suite.name)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=suite.name,
                    data=asset.add_batch_definition_whole_dataframe(suite.name),
                    suite=suite,
                )
            )
            results.append(run_suite(wh, definition, dataset, items, parameters, batch_rows))
            log.debug("%s", "\n".join(results[-1].lines()))
        context.build_data_docs()
    write_data_docs(docs_dir, results)
    return results


def write_data_docs(docs_dir: Path, results: Sequence[SuiteResult]) -> None:
    """Offline assets, and the run's verdicts on GX's pages (lifecycle/data_docs.py). The docs are
    for people: what cannot be done is logged, it does not fail the validation."""
    remote = data_docs.localize(docs_dir)
    if remote and data_docs.DATA_DOCS_ASSETS.is_dir():
        log.warning("Data Docs still load %s from the network (GX markup changed?)", ", ".join(remote))
    problems = data_docs.tell_the_run(docs_dir, [page for result in results for page in result.pages])
    for problem in problems:
        log.warning("Data Docs may not match the run: %s", problem)


def run_suite(
    wh: Warehouse,
    definition: Any,
    dataset: dict[str, Any],
    items: Sequence[dict[str, Any]],
    parameters: dict[str, Any],
    batch_rows: int,
) -> SuiteResult:
    """Validates every batch, gathering each expectation's failing rows over all of them, so
    that a message counts for the whole table; the messages are written at the end."""
    outcome = SuiteResult(name=definition.name, status="passed", batches=0, rows=0)
    # the results name their expectation by id; the suite file's items are in the suite's order
    by_id = {
        expectation.id: messages.Finding(item=item, parameters=parameters)
        for expectation, item in zip(definition.suite.expectations, items, strict=True)
    }
    context = messages.Context(wh=wh, items=items)
    batch_statuses: list[tuple[Any, str]] = []
    for frame in dataset_batches(wh, dataset, batch_rows):
        outcome.batches += 1
        outcome.rows += len(frame)
        if dataset["kind"] == "columns":
            context.columns_seen += [str(value) for value in frame["column_and_type"]]
        validation = definition.run(
            batch_parameters={"dataframe": frame}, expectation_parameters=parameters
        )
        kinds = set()
        for result in validation.results:
            finding = by_id[result.expectation_config.id]
            error = exception_text(result.exception_info) if raised(result.exception_info) else None
            finding.add(result, frame, outcome.batches, error)
            if error is not None:
                kinds.add("errored")
            elif not result.success:
                kinds.add("warned" if finding.warning else "failed")
        batch_statuses.append((validation.meta["run_id"], worst(kinds)))
    findings = list(by_id.values())
    messages.drop_repeated_warnings(findings)
    described = messages.Dataset.from_meta(dataset)
    lists = {"errored": outcome.errored, "failed": outcome.failed, "warned": outcome.warned}
    for finding in findings:
        for kind, text in messages.messages(finding, described, context):
            lists[kind].append(text)
    outcome.status = worst(
        {kind for kind, texts in (("errored", outcome.errored), ("failed", outcome.failed),
                                  ("warned", outcome.warned)) if texts}
    )
    outcome.pages = [
        data_docs.ValidationPage(definition.name, *run_id.to_tuple(), status, outcome.sentences())
        for run_id, status in batch_statuses
    ]
    return outcome


def worst(kinds: set[str]) -> str:
    for status in ("errored", "failed", "warned"):
        if status in kinds:
            return status
    return "passed"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli_checks.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--warehouse", type=Path, help="DuckDB file to validate (target duckdb)")
    parser.add_argument(
        "--target", choices=TARGETS, default="duckdb",
        help="duckdb (the file of --warehouse, default), or the published schemas of the postgres "
        "/ spark output of profiles.yml",
    )
    parser.add_argument(
        "--reports-dir", type=Path,
        help="Data Docs go to its data_docs/ folder (default: the pipeline's, reports/ beside "
        "the warehouse file; for postgres and spark warehouse/<target>/reports)",
    )
    parser.add_argument(
        "--expectations-dir", type=Path, default=DEFAULT_EXPECTATIONS_DIR, help="suite files"
    )
    parser.add_argument(
        "--batch-rows", type=cli_checks.positive_int, default=DEFAULT_BATCH_ROWS,
        help=f"rows per validated batch, bounds memory (default {DEFAULT_BATCH_ROWS:,})",
    )
    parser.add_argument(
        "--vars", nargs="+", default=[], metavar="KEY=VALUE",
        help="dbt vars overriding dbt_project.yml, e.g. quarantine_fail_rate=0.2",
    )
    console.add_verbosity_flags(parser)
    return parser.parse_args(argv)


def check_suite_files(expectations_dir: Path) -> None:
    """InputError unless the folder holds suite files that are JSON objects."""
    if not expectations_dir.is_dir():
        raise cli_checks.InputError(f"--expectations-dir {expectations_dir} is not a folder")
    suite_files = sorted(expectations_dir.glob("*.json"))
    if not suite_files:
        raise cli_checks.InputError(f"--expectations-dir {expectations_dir} holds no suite files (*.json)")
    for path in suite_files:
        try:
            document = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise cli_checks.InputError(f"--expectations-dir: cannot read suite {path}: {error}") from None
        if not isinstance(document, dict):
            raise cli_checks.InputError(f"--expectations-dir: suite {path} is not a JSON object")


def print_results(results: Sequence[SuiteResult], quiet: bool, indent: str = "") -> None:
    """Each suite's lines; with --quiet only the suites that did not pass, on stderr, where
    warnings and errors go."""
    for result in results:
        if not quiet:
            print("\n".join(f"{indent}{line}" for line in result.lines()))
        elif result.status != "passed":
            print("\n".join(f"{indent}{line}" for line in result.lines()), file=sys.stderr)


def quiet_gx_logging() -> None:
    """GX logs every datasource save at INFO; keep its warnings and errors only."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console.setup_logging(args)
    console.keep_spark_unloaded(args.target)
    quiet_gx_logging()
    engine = engines.engine(args.target)
    if engine.name == "duckdb" and (args.warehouse is None or not args.warehouse.exists()):
        print(f"error: no warehouse file at {args.warehouse} (--warehouse)", file=sys.stderr)
        return 2
    warehouse = (args.warehouse or PROJECT_DIR / "warehouse").resolve()
    reports_dir = args.reports_dir or engine.state_dir(warehouse) / "reports"
    docs_dir = reports_dir / "data_docs"
    try:
        overrides = dbt_vars.check_vars(parse_vars(args.vars))
        engine.check_locations(warehouse, building=False)
        check_suite_files(args.expectations_dir)
        cli_checks.writable_folder(reports_dir, "--reports-dir")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        with connect(args.target, args.warehouse) as wh:
            try:
                cli_checks.require_built(wh)
            except cli_checks.InputError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            results = validate(
                wh, docs_dir, suite_parameters(overrides), args.expectations_dir, args.batch_rows
            )
    except (ValidationSetupError, WarehouseError) as error:
        print(f"error: validation could not run: {error}", file=sys.stderr)
        return 1
    print_results(results, args.quiet)
    print(f"Data Docs: {docs_dir / 'index.html'}")
    return 0 if all(result.status in {"passed", "warned"} for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
