#!/usr/bin/env python3
"""Write report.html: a static page of charts and data quality, from a built warehouse.

The page has the lifecycle funnel, the customer-type mix at every month end, the moves between
types, cohort retention, and the run's data-quality summary (where every raw row went, the
quarantine reasons, unknown event types; plus run_report.json beside the warehouse if a run
wrote one). Charts are Plotly figures with plotly.js inlined in the file: the page needs no
server and no network; open it in any browser.

scripts/run_pipeline.py writes it beside the warehouse after every successful build; run this
script to write it again or elsewhere. The warehouse is opened read-only; --target reads the
published warehouse on Postgres or Spark instead of a DuckDB file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import cli_checks
from warehouse import TARGETS, Warehouse, WarehouseError, connect

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = PROJECT_DIR / "warehouse" / "lifecycle.duckdb"
REPORT_NAME = "report.html"
RUN_REPORT_NAME = "run_report.json"
# One colour per customer type, in the order of seeds.customer_types.
TYPE_COLOURS = {
    "potential": "#9aa5b1", "new": "#4c9be8", "regular": "#2bb673", "loyal": "#f5a623",
    "lapsed": "#e5534b",
}

log = logging.getLogger("report")


@dataclass
class DataQuality:
    """What the report says about the run's data quality."""

    as_of: dt.date | None
    reconciliation: list[tuple[Any, ...]]
    quarantine_reasons: list[tuple[str, str, int]]
    unknown_event_touchpoints: int
    run_report: dict[str, Any] | None = None
    run_report_path: Path | None = None


@dataclass
class Figures:
    """The report's charts, each as a Plotly figure or None when there is nothing to draw."""

    charts: dict[str, Any] = field(default_factory=dict)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli_checks.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=DEFAULT_WAREHOUSE,
        help=f"DuckDB file built by run_pipeline.py (default: {DEFAULT_WAREHOUSE})",
    )
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default="duckdb",
        help="where the warehouse is: the DuckDB file of --warehouse (default), or the published "
        "schemas of the postgres / spark output of profiles.yml",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"HTML file to write (default: {REPORT_NAME} beside the warehouse file)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def data_quality_summary(
    wh: Warehouse, run_report: Path | None = None, given_as_of: str | None = None
) -> DataQuality:
    """The data-quality figures of the warehouse's audit tables, and run_report.json if there.
    The pipeline's summary and run report use the same figures. given_as_of is the as_of the run
    was given (--as-of), if any."""
    loaded = _read_run_report(run_report)
    return DataQuality(
        as_of=read_as_of(wh, given_as_of or (loaded or {}).get("as_of")),
        reconciliation=wh.rows(
            f"""
            select raw_table, raw_rows, kept_rows, collapsed_rows, quarantined_rows, after_as_of_rows
            from {wh.relation('audit.row_reconciliation')}
            order by raw_table
            """
        ),
        quarantine_reasons=_quarantine_reasons(wh),
        unknown_event_touchpoints=wh.scalar(
            f"select count(*) from {wh.relation('marts.fct_touchpoints')} where lifecycle_stage is null"
        ),
        run_report=loaded,
        run_report_path=run_report if loaded is not None else None,
    )


def read_as_of(wh: Warehouse, known: str | None = None) -> dt.date | None:
    """The date the marts describe, as the marts say it: every row of dim_customers carries it.
    The intermediate models are not for consumers, so int_as_of_date is not read. A build with
    nobody as of that date (an --as-of before all data, or no kept row) has no row to say it:
    then the as_of the run was given or recorded in run_report.json (`known`), if any."""
    as_of = wh.scalar(f"select max(as_of_date) from {wh.relation('marts.dim_customers')}")
    if as_of is None and known:
        try:
            return dt.date.fromisoformat(str(known))
        except ValueError:
            log.warning("ignoring an as-of that is not a date: %r", known)
    # Spark and some drivers give a datetime for a date column
    return as_of.date() if isinstance(as_of, dt.datetime) else as_of


def _read_run_report(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.is_file():
        return None
    try:
        content = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        log.warning("cannot read %s: %s", path, error)
        return None
    return content if isinstance(content, dict) else {"report": content}


def _quarantine_reasons(wh: Warehouse) -> list[tuple[Any, ...]]:
    return wh.rows(
        f"""
        select raw_table, quarantine_reason, row_count from (
            select 'orders' as raw_table, quarantine_reason, count(*) as row_count
            from {wh.relation('audit.quarantined_orders')}
            group by quarantine_reason
            union all
            select 'touchpoints' as raw_table, quarantine_reason, count(*) as row_count
            from {wh.relation('audit.quarantined_touchpoints')}
            group by quarantine_reason
        ) as reasons
        order by raw_table, quarantine_reason
        """
    )


def build_figures(wh: Warehouse) -> Figures:
    """One Plotly figure per chart, from the marts (read as they are: no business rule here)."""
    import plotly.graph_objects as go

    figures = Figures()
    type_order = [row[0] for row in wh.rows(
        f"select customer_type from {wh.relation('seeds.customer_types')} order by type_rank"
    )]

    funnel = wh.rows(
        "select lifecycle_stage, persons_entered from "
        f"{wh.relation('marts.lifecycle_funnel')} order by stage_rank"
    )
    figures.charts["funnel"] = go.Figure(
        go.Funnel(
            y=[stage for stage, _ in funnel],
            x=[persons for _, persons in funnel],
            textinfo="value+percent initial",
            marker={"color": "#4c9be8"},
        ),
        layout={"title": "Lifecycle funnel: persons who entered each stage"},
    )

    mix = wh.rows(
        f"""
        select month_start, customer_type, count(*) as persons
        from {wh.relation('marts.customer_type_history')}
        group by month_start, customer_type
        order by month_start
        """
    )
    type_mix = go.Figure(layout={
        "title": "Customer types at each month end (the last month as of the as-of date)",
        "barmode": "stack",
        "yaxis": {"title": "persons"},
    })
    for customer_type in type_order:
        months = [(month, persons) for month, kind, persons in mix if kind == customer_type]
        type_mix.add_trace(go.Bar(
            name=customer_type,
            x=[month for month, _ in months],
            y=[persons for _, persons in months],
            marker={"color": TYPE_COLOURS.get(customer_type)},
        ))
    figures.charts["type_mix"] = type_mix

    moves = wh.rows(
        f"""
        select month_start, transition_kind, sum(persons) as persons
        from {wh.relation('marts.customer_type_transitions')}
        where transition_kind != 'unchanged'
        group by month_start, transition_kind
        order by month_start, transition_kind
        """
    )
    transitions = go.Figure(layout={
        "title": "Moves between customer types per month (persons, unchanged left out)",
        "barmode": "stack",
        "yaxis": {"title": "persons"},
    })
    for kind in sorted({kind for _, kind, _ in moves}):
        months = [(month, persons) for month, move, persons in moves if move == kind]
        transitions.add_trace(go.Bar(
            name=kind, x=[month for month, _ in months], y=[persons for _, persons in months]
        ))
    figures.charts["transitions"] = transitions

    cohorts = wh.rows(
        f"""
        select cohort_month, months_since, retention_rate, retained_persons, cohort_persons
        from {wh.relation('marts.cohort_retention')}
        order by cohort_month, months_since
        """
    )
    cohort_months = sorted({row[0] for row in cohorts})
    max_since = max((row[1] for row in cohorts), default=0)
    rates: list[list[float | None]] = [[None] * (max_since + 1) for _ in cohort_months]
    labels: list[list[str]] = [[""] * (max_since + 1) for _ in cohort_months]
    index = {month: position for position, month in enumerate(cohort_months)}
    for cohort_month, since, rate, retained, size in cohorts:
        rates[index[cohort_month]][since] = rate
        labels[index[cohort_month]][since] = f"{retained}/{size}"
    figures.charts["cohort_retention"] = go.Figure(
        go.Heatmap(
            z=rates,
            x=list(range(max_since + 1)),
            y=[month.strftime("%Y-%m") for month in cohort_months],
            text=labels,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"title": "retained"},
            hovertemplate="cohort %{y}, month %{x}: %{z:.0%} (%{text})<extra></extra>",
        ),
        layout={
            "title": "Cohort retention: share of each first-purchase month buying k months later",
            "xaxis": {"title": "months since the first purchase", "dtick": 1},
            "yaxis": {"title": "cohort", "autorange": "reversed", "type": "category"},
        },
    )
    return figures


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def data_quality_html(quality: DataQuality) -> str:
    parts = [
        "<h2>Data quality of this run</h2>",
        "<p>Every raw row is kept, collapsed (a duplicate or an older version of an order), "
        "quarantined (unusable, with a reason) or later than the as-of date.</p>",
        _table(
            ["raw table", "raw", "kept", "collapsed", "quarantined", "after as-of"],
            quality.reconciliation,
        ),
    ]
    if quality.quarantine_reasons:
        parts.append("<h3>Quarantined rows by reason</h3>")
        parts.append(_table(["raw table", "reason", "rows"], quality.quarantine_reasons))
    else:
        parts.append("<p>No row was quarantined.</p>")
    parts.append(
        f"<p id='unknown-events'>Kept touchpoints with an unknown event type (no stage): "
        f"{quality.unknown_event_touchpoints:,}</p>"
    )
    if quality.run_report is not None:
        parts.append(f"<h3>Run report ({html.escape(str(quality.run_report_path))})</h3>")
        parts.append(_table(["item", "value"], sorted(quality.run_report.items())))
    return "\n".join(parts)


def render(figures: Figures, quality: DataQuality) -> str:
    """The whole page; plotly.js is inlined once, with the first chart."""
    sections = []
    for position, (name, figure) in enumerate(figures.charts.items()):
        figure.update_layout(template="plotly_white", height=460, margin={"t": 60})
        chart = figure.to_html(
            full_html=False,
            include_plotlyjs=position == 0,
            div_id=f"chart-{name}",
            config={"displaylogo": False, "responsive": True},
        )
        sections.append(f"<section class='chart' data-chart='{name}'>{chart}</section>")
    as_of = html.escape(str(quality.as_of))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Customer lifecycle report as of {as_of}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1f2933; }}
  h1 {{ margin-bottom: 0.2rem; }}
  .charts {{ display: grid; grid-template-columns: 1fr; gap: 1.5rem; }}
  table {{ border-collapse: collapse; margin: 0.5rem 0 1rem; }}
  th, td {{ border: 1px solid #cbd2d9; padding: 0.25rem 0.6rem; text-align: right; }}
  th {{ background: #f0f4f8; }}
  td:first-child, th:first-child {{ text-align: left; }}
</style>
</head>
<body>
<h1>Customer lifecycle report</h1>
<p>As of <strong id="as-of">{as_of}</strong>. Built from the marts of the customer-lifecycle
warehouse (README: Outputs).</p>
<div class="charts">
{''.join(sections)}
</div>
{data_quality_html(quality)}
</body>
</html>
"""


def write_report(wh: Warehouse, output: Path, run_report: Path | None = None) -> Path:
    """Reads the warehouse (and the run's run_report.json: by default beside the output) and
    writes the report to output; returns output."""
    quality = data_quality_summary(wh, run_report or output.parent / RUN_REPORT_NAME)
    figures = build_figures(wh)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(figures, quality), encoding="utf-8")
    log.info("report: %s", output)
    return output


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
        datefmt="%H:%M:%S",
    )
    warehouse = args.warehouse.expanduser().resolve()
    if args.target == "duckdb" and not warehouse.exists():
        print(f"error: no warehouse at {warehouse}: run scripts/run_pipeline.py first", file=sys.stderr)
        return 2
    default_folder = warehouse.parent if args.target == "duckdb" else PROJECT_DIR / "warehouse" / args.target
    output = (args.output or default_folder / REPORT_NAME).expanduser().resolve()
    try:
        if args.target == "duckdb":
            cli_checks.duckdb_file(warehouse, "--warehouse")
        cli_checks.writable_file(output, "--output")
        with connect(args.target, warehouse) as wh:
            cli_checks.require_built(wh)
            write_report(wh, output)
    except (WarehouseError, cli_checks.InputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001  (any client's error: one line, not a traceback)
        print(f"error: cannot read the warehouse: {str(error).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
