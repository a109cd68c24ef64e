"""Write report.html: a static page of charts and data quality, from a built warehouse.

For people who do not read SQL: headline numbers, the lifecycle funnel, persons and revenue by
customer type, the type mix at every month end and the moves between types (each for all
persons and for buyers only, since on real traffic most persons never buy), cohort retention,
and the run's data quality (where every raw row went, the quarantine reasons, unknown event
types, and the run report in words). Every chart says how to read it; the kinds of moves and
the types are explained beside their charts. Charts are Plotly figures with plotly.js inlined
once: the page needs no server and no network; open it in any browser.

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
import os
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Sequence

from lifecycle import cli_checks, console, engines
from lifecycle.engines import TARGETS, Warehouse, WarehouseError, connect
from lifecycle.engines.duckdb import DEFAULT_WAREHOUSE

REPORT_NAME = "report.html"
RUN_REPORT_NAME = "run_report.json"
# One colour per customer type, in the order of seeds.customer_types.
TYPE_COLOURS = {
    "potential": "#9aa5b1", "new": "#4c9be8", "regular": "#2bb673", "loyal": "#f5a623",
    "lapsed": "#e5534b",
}

# The type of the persons who never made a valid purchase (seed customer_types): every other
# type is a buyer's, which is what the buyers-only charts keep.
POTENTIAL = "potential"
# One colour per kind of move (customer_type_transitions), in legend order: the buyers' moves
# first, then the arrivals and departures of persons. A kind added to the seed gets OTHER_COLOURS.
KIND_COLOURS = {
    "conversion": "#2bb673", "progression": "#3b6fd8", "reactivation": "#8e5bd6",
    "regression": "#f08c2e", "lapse": "#e5534b", "appeared": "#b8c2cc", "merged": "#52606d",
}
OTHER_COLOURS = ["#17becf", "#bcbd22", "#e377c2", "#8c564b"]
# What each kind means (docs/decisions.md #32; the seed says which moves each kind covers).
KIND_MEANINGS = {
    "conversion": "A potential person made a first valid purchase.",
    "progression": "A buyer moved up: a repeat purchase made them regular, or recent advocacy "
    "made them loyal.",
    "reactivation": "A lapsed buyer bought again.",
    "regression": "A person moved down: a refund or cancellation written later undid purchases, "
    "or a loyal buyer's last advocacy left the advocacy window.",
    "lapse": "No valid purchase for longer than the lapse threshold (the var "
    "lapsed_after_days, 180 days unless the run set another).",
    "appeared": "The person's first month end in the warehouse: their first touchpoint or order "
    "came that month. Counted in the type they arrived with; in the buyers' chart, only those "
    "who had already bought by that month end.",
    "merged": "An anonymous visitor identified as a known customer that month: the anonymous "
    "person ends and their touchpoints now belong to the customer (whose own move, if any, is "
    "counted on its own). Counted from the anonymous person's last type, almost always potential.",
}
QUARANTINE_MEANINGS = {
    "missing_id": "no order_id or touchpoint_id",
    "missing_customer_id": "an order without customer_id",
    "invalid_timestamp": "a timestamp missing or not a date and time",
    "future_timestamp": "dated more than a day after the load date (read again by later runs)",
    "unknown_status": "an order status that is neither one of the six nor in the seed order_status_map",
    "invalid_amount": "an amount missing, not a number, or negative",
    "no_identity": "a touchpoint with neither customer_id nor anonymous_id",
}
# No text smaller than this (px): tick labels, legends, text in bars and in heatmap cells.
MIN_FONT_PX = 11
# Cohort columns beyond which a cell is too narrow for a legible label (about 30 px each).
LABELLED_MONTHS = 36
STYLE = """
  body { font-family: system-ui, sans-serif; font-size: 15px; line-height: 1.45;
         margin: 2rem auto; max-width: 1280px; padding: 0 1.5rem; color: #1f2933; }
  h1 { margin-bottom: 0.2rem; }
  h2 { margin: 0 0 0.4rem; }
  nav a, a { color: #2f6fb3; }
  .cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 0.8rem; margin: 1.2rem 0; }
  .card { border: 1px solid #d9e2ec; border-radius: 6px; padding: 0.7rem 0.9rem; }
  .card .label { font-size: 13px; color: #52606d; text-transform: uppercase; letter-spacing: 0.04em; }
  .card .value { font-size: 26px; font-weight: 600; }
  .card .note { font-size: 13px; color: #52606d; }
  .panel { border-top: 1px solid #d9e2ec; padding: 1.4rem 0 0.6rem; }
  .how { color: #3e4c59; max-width: 70rem; }
  .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; align-items: start; }
  .pair > div { min-width: 0; }
  .side { padding-top: 3rem; }
  @media (max-width: 1000px) { .pair, .cards { grid-template-columns: 1fr; } }
  .legend { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0.8rem 0; }
  .legend dt { font-weight: 600; white-space: nowrap; }
  .legend dd { margin: 0; }
  .legend .moves { color: #52606d; }
  .swatch { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 2px;
            margin-right: 0.4rem; vertical-align: -0.05rem; }
  table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
  th, td { border: 1px solid #cbd2d9; padding: 0.25rem 0.6rem; text-align: left; }
  th { background: #f0f4f8; }
  th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; }
  td:first-child { white-space: nowrap; }
  table.facts th { text-align: left; white-space: nowrap; vertical-align: top; }
  table.facts td { text-align: left; }
"""

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
class TypeRow:
    """One row of customer_type_summary, with the type's definition from the seed."""

    customer_type: str
    definition: str
    persons: int
    share_of_persons: float | None
    valid_orders: int
    revenue: Decimal
    avg_revenue_per_person: Decimal | None


@dataclass
class Chart:
    name: str  # the chart's div is chart-<name>
    figure: Any


@dataclass
class Section:
    """A heading, how to read it, its charts (two are drawn side by side) and what goes beside
    or under them."""

    anchor: str
    heading: str
    how_to_read: str
    charts: list[Chart]
    side_html: str = ""
    legend_html: str = ""


@dataclass
class Page:
    types: list[TypeRow]
    sections: list[Section] = field(default_factory=list)


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
        "--reports-dir",
        type=Path,
        help=f"folder {REPORT_NAME} is written to, beside the run's run_report.json (default: "
        "the pipeline's, reports/ beside the warehouse file; for postgres and spark "
        "warehouse/<target>/reports)",
    )
    console.add_verbosity_flags(parser)
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


def read_types(wh: Warehouse) -> list[TypeRow]:
    """customer_type_summary in the seed's display order, with each type's definition."""
    return [
        TypeRow(
            customer_type=kind, definition=definition or "", persons=int(persons),
            share_of_persons=share, valid_orders=int(orders), revenue=Decimal(revenue),
            avg_revenue_per_person=None if average is None else Decimal(average),
        )
        for kind, definition, persons, share, orders, revenue, average in wh.rows(
            f"""
            select types.customer_type, types.definition, summary.persons,
                summary.share_of_persons, summary.valid_orders, summary.revenue,
                summary.avg_revenue_per_person
            from {wh.relation('seeds.customer_types')} as types
            inner join {wh.relation('marts.customer_type_summary')} as summary
                on types.customer_type = summary.customer_type
            order by types.type_rank
            """
        )
    ]


def build_page(wh: Warehouse) -> Page:
    """Every section of the page, from the marts as they are (no business rule here: buyers are
    the persons of any type but potential, which is what potential means)."""
    types = read_types(wh)
    return Page(types=types, sections=[
        funnel_section(wh),
        types_section(types),
        type_mix_section(wh, [row.customer_type for row in types]),
        moves_section(wh, [row.customer_type for row in types]),
        cohort_section(wh),
    ])


def _style(figure: Any, title: str, height: int, legend_title: str | None = None) -> Any:
    """One look for every chart. Fonts are at least 11 px everywhere (tick labels, legends, text
    in bars and cells), so that the page stays legible printed or on a laptop."""
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        template="plotly_white",
        height=height,
        font={"size": 13},
        margin={"t": 56, "l": 70, "r": 24, "b": 40},
        # text that does not fit a bar is shown at 11 px, not shrunk to nothing
        uniformtext={"minsize": MIN_FONT_PX, "mode": "show"},
    )
    if legend_title is not None:
        # below the plot: side by side charts keep their whole width for the bars
        figure.update_layout(
            # in the order of the stack from the bottom, as read left to right
            legend={"title": {"text": legend_title}, "orientation": "h", "x": 0, "y": -0.14,
                    "yanchor": "top", "font": {"size": 12}, "traceorder": "normal"},
            margin={"b": 110},
        )
    return figure


def funnel_section(wh: Warehouse) -> Section:
    import plotly.graph_objects as go

    funnel = wh.rows(
        "select lifecycle_stage, persons_entered, conversion_from_previous, conversion_from_first "
        f"from {wh.relation('marts.lifecycle_funnel')} order by stage_rank"
    )
    figure = go.Figure(go.Funnel(
        y=[stage for stage, *_ in funnel],
        x=[int(persons) for _, persons, *_ in funnel],
        text=[f"{persons:,} · {_percent(first)}" for _, persons, _, first in funnel],
        customdata=[_percent(previous) for _, _, previous, _ in funnel],
        textinfo="text",
        textposition="auto",
        textfont={"size": 13},
        hovertemplate="%{y}: %{x:,} persons, %{customdata} of the stage before<extra></extra>",
        marker={"color": "#4c9be8"},
        connector={"fillcolor": "#dbe7f5"},
    ))
    return Section(
        anchor="funnel",
        heading="Lifecycle funnel",
        how_to_read=(
            "Each bar counts the persons who have reached a stage by the as-of date; a person "
            "who reached a later stage is counted in every stage before it. The percentage is "
            "of the persons at awareness (hover a bar for the share of the stage before). "
            "Persons with no observed stage (for example, seen only through unknown event types) "
            "are not in the funnel."
        ),
        charts=[Chart("funnel", _style(figure, "Persons who reached each lifecycle stage", 440))],
    )


def types_section(types: list[TypeRow]) -> Section:
    import plotly.graph_objects as go

    total = sum((row.revenue for row in types), Decimal(0))
    figure = go.Figure(go.Bar(
        x=[row.customer_type for row in types],
        y=[float(row.revenue) for row in types],
        text=[f"{_money(row.revenue)} ({_share(_ratio(row.revenue, total))})" for row in types],
        textposition="outside",
        textfont={"size": 12},
        customdata=[[f"{row.persons:,}", _money(row.avg_revenue_per_person)] for row in types],
        hovertemplate="%{x}: revenue %{text}, %{customdata[0]} persons, "
        "%{customdata[1]} per person<extra></extra>",
        marker={"color": [TYPE_COLOURS.get(row.customer_type) for row in types]},
        cliponaxis=False,
    ))
    figure.update_yaxes(title_text="revenue", tickformat=",.0f", rangemode="tozero")
    table = _table(
        ["type", "persons", "share of persons", "valid orders", "revenue", "revenue per person"],
        [
            (
                _swatch(TYPE_COLOURS.get(row.customer_type)) + html.escape(row.customer_type),
                f"{row.persons:,}", _share(row.share_of_persons), f"{row.valid_orders:,}",
                _money(row.revenue), _money(row.avg_revenue_per_person),
            )
            for row in types
        ],
        table_id="type-summary",
        escape=False,
    )
    return Section(
        anchor="types",
        heading="Customer types and their revenue",
        how_to_read=(
            "Where every person stands at the as-of date. Revenue is the sum of each person's "
            "valid purchases (not cancelled, not refunded) over their whole history, counted "
            "under the type they have now: a lapsed buyer's past revenue is lapsed revenue. "
            "Potential persons have never made a valid purchase, so they bring no revenue."
        ),
        charts=[Chart("revenue_by_type", _style(figure, "Revenue by customer type", 420))],
        side_html=table,
        legend_html=types_legend(types),
    )


def types_legend(types: list[TypeRow]) -> str:
    items = "".join(
        f"<dt>{_swatch(TYPE_COLOURS.get(row.customer_type))}{html.escape(row.customer_type)}</dt>"
        f"<dd>{html.escape(row.definition)}</dd>"
        for row in types
    )
    return f"<dl class='legend' id='types-legend'>{items}</dl>"


def type_mix_section(wh: Warehouse, type_order: list[str]) -> Section:
    import plotly.graph_objects as go

    mix = wh.rows(
        f"""
        select month_start, customer_type, count(*) as persons
        from {wh.relation('marts.customer_type_history')}
        group by month_start, customer_type
        order by month_start
        """
    )

    def chart(kinds: list[str], title: str) -> Any:
        figure = go.Figure(layout={"barmode": "stack", "yaxis": {"title": "persons"}})
        for customer_type in kinds:
            months = [(month, persons) for month, kind, persons in mix if kind == customer_type]
            figure.add_trace(go.Bar(
                name=customer_type,
                x=[month for month, _ in months],
                y=[int(persons) for _, persons in months],
                marker={"color": TYPE_COLOURS.get(customer_type)},
                hovertemplate=f"{customer_type}: %{{y:,}} persons, end of %{{x|%b %Y}}<extra></extra>",
            ))
        return _style(figure, title, 460, legend_title="customer type")

    buyers = [kind for kind in type_order if kind != POTENTIAL]
    return Section(
        anchor="type-mix",
        heading="Customer types at each month end",
        how_to_read=(
            "Each bar is one month: the persons known at its last day, stacked by the type they "
            "had then (the last bar is as of the as-of date, its month may not be over). Left, "
            "everybody: on real traffic most persons never buy and the grey potential part "
            "dominates. Right, the same months with buyers only (every type but potential), so "
            "that the new, regular, loyal and lapsed buyers can be read."
        ),
        charts=[
            Chart("type_mix", chart(type_order, "All persons by type")),
            Chart("type_mix_buyers", chart(buyers, "Buyers by type (potential left out)")),
        ],
    )


def moves_section(wh: Warehouse, type_order: list[str]) -> Section:
    import plotly.graph_objects as go

    moves = wh.rows(
        f"""
        select month_start, transition_kind, from_customer_type, to_customer_type,
            sum(persons) as persons
        from {wh.relation('marts.customer_type_transitions')}
        where transition_kind != 'unchanged'
        group by month_start, transition_kind, from_customer_type, to_customer_type
        order by month_start
        """
    )
    pairs = wh.rows(
        f"""
        select transition_kind, from_customer_type, to_customer_type
        from {wh.relation('seeds.customer_type_transition_kinds')}
        where transition_kind != 'unchanged'
        """
    )
    kinds = _kind_order({kind for kind, *_ in pairs} | {kind for _, kind, *_ in moves})

    def chart(buyers_only: bool, title: str) -> Any:
        figure = go.Figure(layout={"barmode": "stack", "yaxis": {"title": "persons"}})
        for kind in kinds:
            per_month: dict[Any, int] = {}
            for month, move, from_type, to_type, persons in moves:
                # a buyer's move has a buyer type (any but potential) on either side
                if move == kind and (not buyers_only or {from_type, to_type} - {POTENTIAL, None}):
                    per_month[month] = per_month.get(month, 0) + int(persons)
            if per_month:  # the legend below the charts lists every kind, with or without moves
                figure.add_trace(go.Bar(
                    name=kind,
                    x=list(per_month),
                    y=list(per_month.values()),
                    marker={"color": _kind_colour(kind, kinds)},
                    hovertemplate=f"{kind}: %{{y:,}} persons in %{{x|%b %Y}}<extra></extra>",
                ))
        return _style(figure, title, 460, legend_title="move")

    return Section(
        anchor="moves",
        heading="Moves between customer types",
        how_to_read=(
            "Each bar is one month: the persons whose type at its end differs from their type at "
            "the end of the month before, by kind of move; staying in a type is not drawn. Left, "
            "the moves of buyers (a buyer type before or after the move). Right, every move, "
            "with the new persons of the month (appeared) and the anonymous visitors identified "
            "as customers (merged), which are most moves on real traffic. Each kind is "
            "explained below."
        ),
        charts=[
            Chart("transitions_buyers", chart(True, "Buyers' moves per month")),
            Chart("transitions", chart(False, "All moves per month")),
        ],
        legend_html=moves_legend(kinds, pairs, type_order),
    )


def moves_legend(kinds: list[str], pairs: list[tuple[Any, ...]], type_order: list[str]) -> str:
    """What each kind of move means: the sentence of KIND_MEANINGS and, for the kinds of the
    seed, the moves it lists (so that the legend follows an edited seed)."""
    items = []
    for kind in kinds:
        meaning = KIND_MEANINGS.get(kind, "A kind of move of the seed customer_type_transition_kinds.")
        moves = [(from_type, to_type) for move, from_type, to_type in pairs if move == kind]
        listed = ""
        if moves:
            listed = f" <span class='moves'>{html.escape(_describe_moves(moves, type_order))}</span>"
        items.append(
            f"<dt>{_swatch(_kind_colour(kind, kinds))}{html.escape(kind)}</dt>"
            f"<dd>{html.escape(meaning)}{listed}</dd>"
        )
    return f"<dl class='legend' id='moves-legend'>{''.join(items)}</dl>"


def _describe_moves(moves: list[tuple[str, str]], type_order: list[str]) -> str:
    """'potential → new, regular or loyal': the moves grouped by the side they share most."""
    rank = {kind: position for position, kind in enumerate(type_order)}

    def grouped(key: int) -> list[str]:
        groups: dict[str, list[str]] = {}
        def order(pair: tuple[str, str]) -> tuple[int, int]:
            return rank.get(pair[key], len(rank)), rank.get(pair[1 - key], len(rank))

        for move in sorted(moves, key=order):
            groups.setdefault(move[key], []).append(move[1 - key])
        if key == 0:
            return [f"{shared} → {_or(others)}" for shared, others in groups.items()]
        return [f"{_or(others)} → {shared}" for shared, others in groups.items()]

    by_from, by_to = grouped(0), grouped(1)
    return "; ".join(by_to if len(by_to) < len(by_from) else by_from) + "."


def cohort_section(wh: Warehouse) -> Section:
    import plotly.graph_objects as go

    cohorts = wh.rows(
        f"""
        select cohort_month, months_since, retention_rate, retained_persons, cohort_persons
        from {wh.relation('marts.cohort_retention')}
        order by cohort_month, months_since
        """
    )
    cohort_months = sorted({row[0] for row in cohorts})
    columns = max((row[1] for row in cohorts), default=0) + 1
    index = {month: position for position, month in enumerate(cohort_months)}
    rates: list[list[float | None]] = [[None] * columns for _ in cohort_months]
    labels: list[list[str]] = [[""] * columns for _ in cohort_months]
    counts: list[list[str]] = [[""] * columns for _ in cohort_months]
    sizes: dict[Any, int] = {}
    for cohort_month, since, rate, retained, size in cohorts:
        rates[index[cohort_month]][since] = float(rate)
        labels[index[cohort_month]][since] = _percent(rate)
        counts[index[cohort_month]][since] = f"{retained:,} of {size:,}"
        sizes[cohort_month] = int(size)
    # a cell label needs about 30 px; past LABELLED_MONTHS columns the cells are narrower, and
    # the colour and the hover say it instead of an unreadable label
    labelled = columns <= LABELLED_MONTHS
    figure = go.Figure(go.Heatmap(
        z=rates,
        x=list(range(columns)),
        y=[f"{month:%Y-%m} ({sizes[month]:,})" for month in cohort_months],
        text=labels,
        customdata=counts,
        texttemplate="%{text}" if labelled else "",
        textfont={"size": 12 if columns <= 24 else MIN_FONT_PX},
        colorscale="Blues",
        zmin=0,
        zmax=1,
        colorbar={"title": {"text": "retained"}, "tickformat": ".0%"},
        hovertemplate="cohort %{y}, month %{x}: %{text} (%{customdata})<extra></extra>",
        xgap=1,
        ygap=1,
    ))
    figure.update_xaxes(title_text="months since the first purchase", dtick=1)
    figure.update_yaxes(title_text="cohort (buyers)", autorange="reversed", type="category")
    height = max(320, 140 + 26 * len(cohort_months))
    return Section(
        anchor="cohorts",
        heading="Cohort retention",
        how_to_read=(
            "Each row is a cohort: the buyers whose first valid purchase fell in that month "
            "(their number in brackets). Column k is k months later; a cell is the share of the "
            "cohort who made a valid purchase in that month, whatever they did in between, so "
            "month 0 is always 100 %. Darker is more retained. The last cell of each row is the "
            "as-of month, which may not be over."
            + ("" if labelled else " There are too many months to label every cell: hover a "
               "cell for its numbers.")
        ),
        charts=[Chart(
            "cohort_retention", _style(figure, "Share of each cohort buying k months later", height)
        )],
    )


def headline_html(types: list[TypeRow]) -> str:
    """The page's first numbers: sums over customer_type_summary."""
    persons = sum(row.persons for row in types)
    buyers = sum(row.persons for row in types if row.customer_type != POTENTIAL)
    revenue = sum((row.revenue for row in types), Decimal(0))
    orders = sum(row.valid_orders for row in types)
    cards = [
        ("persons", f"{persons:,}", "everybody who touched the brand"),
        ("buyers", f"{buyers:,}", f"{_share(_ratio(buyers, persons))} of persons made a valid purchase"),
        ("valid-orders", f"{orders:,}", "purchases not cancelled or refunded"),
        ("revenue", _money(revenue), "of the valid purchases"),
        ("revenue-per-buyer", _money(_amount_per(revenue, buyers)), "revenue / buyers"),
    ]
    return "<div class='cards'>" + "".join(
        f"<div class='card' id='card-{key}'><div class='label'>{key.replace('-', ' ')}</div>"
        f"<div class='value'>{value}</div><div class='note'>{html.escape(note)}</div></div>"
        for key, value, note in cards
    ) + "</div>"


def _kind_order(kinds: set[str]) -> list[str]:
    known = [kind for kind in KIND_COLOURS if kind in kinds]
    return known + sorted(kinds - set(known))


def _kind_colour(kind: str, kinds: list[str]) -> str:
    return KIND_COLOURS.get(kind) or OTHER_COLOURS[kinds.index(kind) % len(OTHER_COLOURS)]


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _percent(value: Any) -> str:
    return "–" if value is None else f"{float(value):.0%}"


def _share(value: Any) -> str:
    """A share of a whole, to a tenth of a percent: 0.5 % of persons is not 0 %."""
    return "–" if value is None else f"{float(value):.1%}"


def _ratio(part: Any, whole: Any) -> float | None:
    return float(part) / float(whole) if whole else None


def _money(value: Decimal | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


def _amount_per(amount: Decimal, count: int) -> Decimal | None:
    return (amount / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if count else None


def _swatch(colour: str | None) -> str:
    return f"<span class='swatch' style='background:{colour or '#cbd2d9'}'></span>"


def _table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], table_id: str | None = None,
    escape: bool = True,
) -> str:
    # a header sits on the side of its column's first cell
    first = rows[0] if rows else [""] * len(header)
    head = "".join(
        f"<th{_align(cell)}>{html.escape(str(name))}</th>" for name, cell in zip(header, first)
    )
    body = "".join(
        "<tr>" + "".join(
            f"<td{_align(cell)}>{html.escape(_cell(cell)) if escape else cell}</td>" for cell in row
        ) + "</tr>"
        for row in rows
    )
    identifier = f" id='{table_id}'" if table_id else ""
    return f"<table{identifier}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _align(value: Any) -> str:
    """Numbers right-aligned (also when already formatted as text), words left."""
    text = _cell(value)
    digits = text.replace(",", "").replace(".", "").replace("%", "").strip("–-")
    numeric = bool(text) and digits.isdigit()
    return " class='n'" if numeric or text == "–" else ""


def _cell(value: Any) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def data_quality_html(quality: DataQuality, folder: Path) -> str:
    parts = [
        "<section class='panel' id='data-quality'><h2>Data quality of this run</h2>",
        "<p class='how'><strong>How to read this.</strong> Every raw row is kept, collapsed (an "
        "exact duplicate, or an older version of an order), quarantined (unusable, with a "
        "reason: the rows are in <code>audit.quarantined_*</code>) or later than the as-of "
        "date.</p>",
        _table(
            ["raw table", "raw", "kept", "collapsed", "quarantined", "after as-of"],
            quality.reconciliation,
            table_id="row-reconciliation",
        ),
    ]
    if quality.quarantine_reasons:
        parts.append("<h3>Quarantined rows by reason</h3>")
        parts.append(_table(
            ["raw table", "reason", "what it means", "rows"],
            [
                (table, reason, QUARANTINE_MEANINGS.get(reason, ""), count)
                for table, reason, count in quality.quarantine_reasons
            ],
            table_id="quarantine-reasons",
        ))
    else:
        parts.append("<p>No row was quarantined.</p>")
    parts.append(
        f"<p id='unknown-events'>Kept touchpoints with an unknown event type (no stage): "
        f"{quality.unknown_event_touchpoints:,}. Add their event types to the seed "
        "<code>lifecycle_event_stages</code> to classify them.</p>"
    )
    if quality.run_report is not None:
        parts.append(run_summary_html(quality.run_report, quality.run_report_path, folder))
    parts.append("</section>")
    return "\n".join(parts)


def run_summary_html(run: dict[str, Any], run_report: Path | None, folder: Path) -> str:
    """The run report in words: no JSON on the page; the documents of the run are linked."""
    inputs = run.get("inputs") if isinstance(run.get("inputs"), dict) else {}
    docs = run.get("docs") if isinstance(run.get("docs"), dict) else {}
    steps = [step for step in run.get("steps") or [] if isinstance(step, dict)]
    facts = [
        ("status", run.get("status")),
        ("reason", run.get("reason")),
        ("data", inputs.get("raw_dir")),
        ("build", inputs.get("build")),
        ("as of", run.get("as_of")),
        ("load date", run.get("load_date")),
        ("finished", _timestamp(run.get("finished_at"))),
        ("duration", _duration(steps)),
        ("dbt", _dbt_counts(run.get("dbt_results"))),
        ("dbt tests that warned or failed", _not_passed(run.get("dbt_results"))),
        ("expectation suites", _suite_counts(run.get("expectations"))),
    ]
    rows = [
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(str(value))}</td></tr>"
        for name, value in facts if value not in (None, "")
    ]
    documents = [
        (name, Path(path)) for name, path in (
            ("Data Docs", docs.get("data_docs")),
            ("dbt docs", docs.get("dbt_docs")),
            ("run report", run_report.with_suffix(".md") if run_report else None),
        ) if path and Path(path).is_file()
    ]
    if documents:
        links = ", ".join(
            f"<a href='{html.escape(_relative(path, folder))}'>{html.escape(name)}</a>"
            for name, path in documents
        )
        rows.append(f"<tr><th>documents</th><td>{links}</td></tr>")
    body = "".join(rows)
    return f"<h3>This run</h3><table class='facts' id='run-summary'><tbody>{body}</tbody></table>"


def _duration(steps: list[dict[str, Any]]) -> str | None:
    if not steps:
        return None
    seconds = sum(float(step.get("seconds") or 0) for step in steps)
    return f"{seconds:,.0f} s ({', '.join(str(step.get('name')) for step in steps)})"


def _dbt_counts(results: Any) -> str | None:
    counts = (results or {}).get("counts") if isinstance(results, dict) else None
    if not isinstance(counts, dict):
        return None
    # "test:pass" -> tests: 230 pass, 3 warn
    grouped: dict[str, list[str]] = {}
    for key, count in sorted(counts.items()):
        resource, _, status = str(key).partition(":")
        grouped.setdefault(resource.replace("_", " "), []).append(f"{count:,} {status}")
    return "; ".join(f"{resource}s: {', '.join(statuses)}" for resource, statuses in grouped.items())


def _not_passed(results: Any) -> str | None:
    tests = (results or {}).get("not_passed") if isinstance(results, dict) else None
    if not isinstance(tests, list) or not tests:
        return None
    return "; ".join(
        f"{test.get('name')} ({test.get('status')}, {test.get('failures') or 0:,} rows)"
        for test in tests if isinstance(test, dict)
    )


def _suite_counts(suites: Any) -> str | None:
    if not isinstance(suites, list) or not suites:
        return None
    by_status: dict[str, list[str]] = {}
    for suite in suites:
        if isinstance(suite, dict):
            by_status.setdefault(str(suite.get("status")), []).append(str(suite.get("suite")))
    return "; ".join(
        f"{len(names)} {status}" + ("" if status == "passed" else f" ({', '.join(names)})")
        for status, names in sorted(by_status.items())
    )


def _timestamp(value: Any) -> str | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None if value is None else str(value)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _relative(path: Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:  # another drive (Windows)
        return path.as_uri()


def render(page: Page, quality: DataQuality, folder: Path) -> str:
    """The whole page; plotly.js is inlined once, with the first chart."""
    first = True
    sections = []
    for section in page.sections:
        charts = []
        for chart in section.charts:
            charts.append(
                f"<div class='chart' data-chart='{chart.name}'>"
                + chart.figure.to_html(
                    full_html=False,
                    include_plotlyjs=first,
                    div_id=f"chart-{chart.name}",
                    config={"displaylogo": False, "responsive": True},
                )
                + "</div>"
            )
            first = False
        if section.side_html:
            charts.append(f"<div class='side'>{section.side_html}</div>")
        layout = "pair" if len(charts) > 1 else "single"
        sections.append(
            f"<section class='panel' id='{section.anchor}'><h2>{html.escape(section.heading)}</h2>"
            f"<p class='how'><strong>How to read this.</strong> {html.escape(section.how_to_read)}</p>"
            f"<div class='{layout}'>{''.join(charts)}</div>{section.legend_html}</section>"
        )
    as_of = html.escape(str(quality.as_of))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Customer lifecycle report as of {as_of}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Customer lifecycle report</h1>
<p>As of <strong id="as-of">{as_of}</strong>: every number describes the persons, orders and
touchpoints known on that date. Hover a chart for its numbers; click a legend entry to hide
or show it.</p>
<nav>{' · '.join(f"<a href='#{s.anchor}'>{html.escape(s.heading)}</a>" for s in page.sections)}
 · <a href='#data-quality'>Data quality</a></nav>
</header>
{headline_html(page.types)}
{''.join(sections)}
{data_quality_html(quality, folder)}
</body>
</html>
"""


def write_report(
    wh: Warehouse, output: Path, run_report: Path | None = None, quality: DataQuality | None = None
) -> Path:
    """Reads the warehouse (and the run's run_report.json: by default beside the output) and
    writes the report to output; returns output. The pipeline hands over the figures it already
    read (`quality`, with its run report) instead of having them read again."""
    if quality is None:
        quality = data_quality_summary(wh, run_report or output.parent / RUN_REPORT_NAME)
    page = build_page(wh)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(page, quality, output.parent), encoding="utf-8")
    log.info("report: %s", output)
    return output


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console.setup_logging(args)
    console.keep_spark_unloaded(args.target)
    warehouse = args.warehouse.expanduser().resolve()
    engine = engines.engine(args.target)
    if engine.name == "duckdb" and not warehouse.exists():
        print(f"error: no warehouse at {warehouse}: run scripts/run_pipeline.py first", file=sys.stderr)
        return 2
    reports_dir = (args.reports_dir or engine.state_dir(warehouse) / "reports").expanduser().resolve()
    output = reports_dir / REPORT_NAME
    try:
        engine.check_locations(warehouse, building=False)
        cli_checks.writable_folder(reports_dir, "--reports-dir")
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
