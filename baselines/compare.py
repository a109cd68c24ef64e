"""Compare marts cell by cell: the dbt warehouse against a baseline's output.

Each table is normalised (money to two decimals, ratios rounded to 9 places, timestamps to
microseconds) and compared as a multiset of rows: first by row count and the sum of row hashes
(one scan, fast at any size), and when these differ both ways with EXCEPT ALL, so a missing,
extra, duplicated or different row is a difference with examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# docs/definitions.md §6 columns, with how to normalise each kind.
MONEY = {"amount", "lifetime_revenue", "revenue", "avg_revenue_per_person"}
RATIOS = {"share_of_persons", "conversion_from_previous", "conversion_from_first",
          "median_days_from_previous"}
TIMESTAMPS = {"first_seen_at", "first_order_at", "last_order_at", "lifecycle_stage_entered_at",
              "entered_at", "observed_at", "exited_at", "ordered_at", "occurred_at"}
TABLES: dict[str, list[str]] = {
    "marts.dim_customers": [
        "person_id", "customer_id", "is_identified", "first_seen_at", "first_order_at",
        "last_order_at", "valid_order_count", "lifetime_revenue", "days_since_last_order",
        "acquisition_channel", "customer_type", "lifecycle_stage", "lifecycle_stage_entered_at",
        "as_of_date"],
    "marts.customer_lifecycle_stages": [
        "person_id", "lifecycle_stage", "stage_rank", "entered_at", "observed_at", "is_inferred",
        "exited_at", "is_current"],
    "marts.fct_orders": [
        "order_id", "person_id", "ordered_at", "status", "amount", "coupon_code",
        "is_valid_purchase", "purchase_number"],
    "marts.fct_touchpoints": [
        "touchpoint_id", "person_id", "anonymous_id", "customer_id", "occurred_at", "channel",
        "event_type", "lifecycle_stage", "campaign"],
    "marts.lifecycle_funnel": [
        "lifecycle_stage", "stage_rank", "persons_entered", "conversion_from_previous",
        "conversion_from_first", "median_days_from_previous"],
    "marts.customer_type_summary": [
        "customer_type", "persons", "share_of_persons", "valid_orders", "revenue",
        "avg_revenue_per_person"],
    "audit.row_reconciliation": [
        "raw_table", "raw_rows", "kept_rows", "collapsed_rows", "quarantined_rows",
        "after_as_of_rows"],
}


@dataclass
class TableDiff:
    table: str
    rows_dbt: int
    rows_baseline: int
    only_in_dbt: list[tuple]
    only_in_baseline: list[tuple]
    only_in_dbt_count: int
    only_in_baseline_count: int

    @property
    def equal(self) -> bool:
        return self.only_in_dbt_count == 0 and self.only_in_baseline_count == 0

    def describe(self) -> str:
        return (f"{self.table}: {self.rows_dbt} rows in dbt, {self.rows_baseline} in the baseline; "
                f"{self.only_in_dbt_count} only in dbt, e.g. {self.only_in_dbt}; "
                f"{self.only_in_baseline_count} only in the baseline, e.g. {self.only_in_baseline}")


def normalised(relation: str, columns: list[str]) -> str:
    expressions = []
    for column in columns:
        if column in MONEY:
            expressions.append(f"cast({column} as decimal(18, 2)) as {column}")
        elif column in RATIOS:
            expressions.append(f"round(cast({column} as double), 9) as {column}")
        elif column in TIMESTAMPS:
            expressions.append(f"cast({column} as timestamp) as {column}")
        else:
            expressions.append(f"cast({column} as varchar) as {column}")
    return f"select {', '.join(expressions)} from {relation}"


def baseline_relation(baseline: Path, table: str) -> str:
    """A baseline is a DuckDB file (attached as `baseline`) or a folder of <table>.parquet."""
    if baseline.is_dir():
        return f"read_parquet('{baseline / (table.split('.')[1] + '.parquet')}')"
    return f"baseline.{table}"


def compare(dbt_warehouse: Path, baseline: Path, tables: list[str] | None = None,
            examples: int = 3) -> list[TableDiff]:
    diffs = []
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'")
        con.execute(f"attach '{dbt_warehouse}' as dbt (read_only)")
        if not baseline.is_dir():
            con.execute(f"attach '{baseline}' as baseline (read_only)")
        for table in tables or list(TABLES):
            if baseline.is_dir() and not (baseline / f"{table.split('.')[1]}.parquet").exists():
                continue
            columns = TABLES[table]
            left = normalised(f"dbt.{table}", columns)
            right = normalised(baseline_relation(baseline, table), columns)
            # one scan each: row count and an order-independent sum of row hashes; the costly
            # row-by-row comparison only runs when they differ
            fingerprint = "select count(*), sum(hash({}))".format(", ".join(columns))
            left_print = con.execute(f"{fingerprint} from ({left})").fetchone()
            right_print = con.execute(f"{fingerprint} from ({right})").fetchone()
            if left_print == right_print:
                diffs.append(TableDiff(table, left_print[0], right_print[0], [], [], 0, 0))
                continue
            counts = con.execute(f"""
                select
                    (select count(*) from ({left})),
                    (select count(*) from ({right})),
                    (select count(*) from ({left} except all {right})),
                    (select count(*) from ({right} except all {left}))
            """).fetchone()
            only_dbt = con.execute(f"{left} except all {right} order by all limit {examples}").fetchall()
            only_base = con.execute(f"{right} except all {left} order by all limit {examples}").fetchall()
            diffs.append(TableDiff(table, counts[0], counts[1], only_dbt, only_base, counts[2], counts[3]))
    return diffs
