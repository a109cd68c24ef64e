"""customer_type_history is dim_customers replayed at every month end (docs/decisions.md #29-#31).

The `history` case (cases/history: refunds written later, an order whose first version is
written after the month it was placed, an anonymous visitor identified later, a lapse and a
reactivation, a partial last month) is run as of 2026-04-15, and again as of an earlier month end:
that run's dim_customers must equal the full run's history at that month, row for row.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from conftest import CaseBuilder, format_cell, run_pipeline, CASES_DIR

EARLIER_MONTH_END = "2026-02-28"
COMPARED = [
    "person_id", "customer_type", "lifecycle_stage", "valid_order_count", "lifetime_revenue",
    "days_since_last_order", "as_of_date",
]
HISTORY_COLUMNS = ["month_start", "is_complete_month", *COMPARED]


def rows(warehouse: Path, query: str) -> list[tuple[str, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return sorted(tuple(format_cell(value) for value in row) for row in con.execute(query).fetchall())


def history(warehouse: Path, where: str = "true") -> list[tuple[str, ...]]:
    return rows(warehouse, f"select {', '.join(HISTORY_COLUMNS)} from marts.customer_type_history where {where}")


def test_a_month_of_history_equals_dim_customers_as_of_that_month_end(build_case: CaseBuilder):
    full = build_case("history")
    earlier = build_case("history", as_of=EARLIER_MONTH_END)
    month = rows(
        full.warehouse,
        f"select {', '.join(COMPARED)} from marts.customer_type_history "
        f"where as_of_date = date '{EARLIER_MONTH_END}'",
    )
    dim_customers = rows(earlier.warehouse, f"select {', '.join(COMPARED)} from marts.dim_customers")
    assert month == dim_customers
    # the case is built so that this month differs from the as-of month: a refund written in
    # March, a loyal customer whose first purchase is refunded later, a visitor identified
    assert ("h1", "new", "advocacy", "1", "50.00", "49", EARLIER_MONTH_END) in month
    assert ("h5", "loyal", "advocacy", "2", "25.00", "13", EARLIER_MONTH_END) in month
    assert [row[0] for row in month] == ["h1", "h2", "h3", "h4", "h5"]


def test_later_data_does_not_change_earlier_months(build_case: CaseBuilder):
    full = build_case("history")
    earlier = build_case("history", as_of=EARLIER_MONTH_END)
    before = f"month_start <= date '{EARLIER_MONTH_END}'"
    assert history(earlier.warehouse) == history(full.warehouse, before)
    assert len(history(earlier.warehouse)) == 14  # h4 7 months, h1 2, h5 2, h2, anon:z1, h3


def test_an_incremental_run_continues_the_history_of_an_earlier_run(
    build_case: CaseBuilder, tmp_path: Path
):
    earlier = build_case("history", as_of=EARLIER_MONTH_END)
    full = build_case("history")
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(earlier.warehouse, warehouse)
    run = run_pipeline(warehouse, "--raw-dir", str(CASES_DIR / "history" / "raw"), "--as-of", "2026-04-15")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    dbt_log = warehouse.with_name("warehouse.dbt_target") / "dbt.log"
    assert "incremental model marts.customer_type_history" in dbt_log.read_text()
    assert history(warehouse) == history(full.warehouse)
