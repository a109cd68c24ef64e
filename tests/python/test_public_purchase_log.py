"""A real purchase log with no marketing events: the CDNOW log through the whole pipeline.

Source: `lifetimes/datasets/CDNOW_master.txt` in the PyPI package `lifetimes` 0.11.3 (MIT licence,
https://github.com/CamDavidsonPilon/lifetimes), pinned as a test dependency. Origin: the purchases
of the 23,570 customers who made their first purchase at the online music shop CDNOW in the first
quarter of 1997, followed until the end of June 1998 (P. S. Fader, B. G. S. Hardie, "Forecasting
Repeat Sales at CDNOW", 2001): one line per purchase, `customer_id date(YYYYMMDD) number_of_cds
dollar_value`.

The log becomes orders.csv (order_id from the line number, status completed, ordered_at the day's
midnight UTC) beside a header-only touchpoints.csv (docs/definitions.md §2: a valid, empty input).
The marts are compared with facts computed here from the raw file in plain Python, not with what the
models compute.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import importlib.metadata
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import PipelineRun, read_table, run_pipeline, shared_lock

AS_OF = dt.date(1998, 6, 30)  # the last day of the log
LAPSED_AFTER_DAYS = 180  # dbt_project.yml defaults (docs/definitions.md §5)
REGULAR_MIN_ORDERS = 2


@dataclass(frozen=True)
class Purchase:
    line_number: int
    customer_id: str
    day: dt.date
    amount: Decimal


def cdnow_log() -> Path:
    # located through the installed distribution rather than importlib.resources: importing the
    # lifetimes package pulls in scipy and autograd and warns under pandas 3, for a data file
    path = Path(str(importlib.metadata.distribution("lifetimes").locate_file(
        "lifetimes/datasets/CDNOW_master.txt"
    )))
    assert path.is_file(), f"lifetimes is installed without its CDNOW log ({path})"
    return path


def read_purchases(path: Path) -> list[Purchase]:
    purchases = []
    with path.open() as handle:
        next(handle)  # the header line: customer_id  date number_of_cds  dollar_value
        for line_number, line in enumerate(handle, start=2):
            customer_id, day, _cds, amount = line.split()
            purchases.append(Purchase(
                line_number, customer_id, dt.datetime.strptime(day, "%Y%m%d").date(), Decimal(amount)
            ))
    return purchases


@pytest.fixture(scope="module")
def cdnow(shared_tmp: Path) -> tuple[list[Purchase], PipelineRun]:
    purchases = read_purchases(cdnow_log())
    folder = shared_tmp / "cdnow"
    record = folder / "pipeline_run.json"
    # one build per test session, whichever pytest-xdist worker asks first
    with shared_lock(shared_tmp / "cdnow.lock"):
        if record.exists():
            saved = json.loads(record.read_text())
            return purchases, PipelineRun(**{**saved, "warehouse": Path(saved["warehouse"])})
        raw = folder / "raw"
        raw.mkdir(parents=True)
        with (raw / "orders.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["order_id", "customer_id", "ordered_at", "updated_at", "status", "amount", "coupon_code"]
            )
            for purchase in purchases:
                writer.writerow([
                    f"L{purchase.line_number}", purchase.customer_id,
                    f"{purchase.day.isoformat()}T00:00:00Z", "", "completed", str(purchase.amount), "",
                ])
        (raw / "touchpoints.csv").write_text(
            "touchpoint_id,anonymous_id,customer_id,occurred_at,channel,event_type,campaign\n"
        )
        run = run_pipeline(
            folder / "lifecycle.duckdb", "--raw-dir", str(raw), "--as-of", AS_OF.isoformat(),
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        record.write_text(json.dumps({**run.__dict__, "warehouse": str(run.warehouse)}))
    return purchases, run


def test_the_log_is_published(cdnow: tuple[list[Purchase], PipelineRun]):
    _, run = cdnow
    report = json.loads((run.reports_dir / "run_report.json").read_text())
    assert report["status"] == "succeeded"
    assert {step["name"]: step["status"] for step in report["steps"]}["publish"] == "ok"
    assert run.warehouse.is_file()
    volume = next(suite for suite in report["expectations"] if suite["suite"] == "marts_volume")
    assert volume["status"] == "passed"


def test_orders_and_revenue_per_person_equal_the_raw_log(cdnow: tuple[list[Purchase], PipelineRun]):
    purchases, run = cdnow
    expected: dict[str, tuple[int, Decimal]] = {}
    for purchase in purchases:
        count, revenue = expected.get(purchase.customer_id, (0, Decimal("0")))
        expected[purchase.customer_id] = (count + 1, revenue + purchase.amount)

    rows = read_table(run, "dim_customers", ["person_id", "valid_order_count", "lifetime_revenue"])
    actual = {row["person_id"]: (row["valid_order_count"], row["lifetime_revenue"]) for row in rows}
    assert len(rows) == len(expected) == 23_570
    assert actual == expected
    assert len(read_table(run, "fct_orders", ["order_id"])) == len(purchases) == 69_659
    assert read_table(run, "fct_touchpoints", ["touchpoint_id"]) == []


def test_customer_types_and_funnel_equal_the_raw_log(cdnow: tuple[list[Purchase], PipelineRun]):
    purchases, run = cdnow
    days_by_customer: dict[str, list[dt.date]] = collections.defaultdict(list)
    for purchase in purchases:
        days_by_customer[purchase.customer_id].append(purchase.day)

    def customer_type(days: list[dt.date]) -> str:
        # definitions §5 without touchpoints: every buyer is new, regular or lapsed, never loyal
        if (AS_OF - max(days)).days > LAPSED_AFTER_DAYS:
            return "lapsed"
        return "new" if len(days) < REGULAR_MIN_ORDERS else "regular"

    expected_types = {customer: customer_type(days) for customer, days in days_by_customer.items()}
    rows = read_table(run, "dim_customers", ["person_id", "customer_type"])
    assert {row["person_id"]: row["customer_type"] for row in rows} == expected_types

    type_counts = collections.Counter(expected_types.values())
    summary = read_table(run, "customer_type_summary", ["customer_type", "persons"])
    assert {row["customer_type"]: row["persons"] for row in summary} == {
        "potential": 0, "loyal": 0,
        "new": type_counts["new"], "regular": type_counts["regular"], "lapsed": type_counts["lapsed"],
    }
    # a fact of the data set, so that a change in the reading above cannot pass unnoticed
    assert sum(type_counts.values()) == 23_570 and type_counts["lapsed"] > type_counts["regular"] > 0

    buyers = len(days_by_customer)
    repeat_buyers = sum(1 for days in days_by_customer.values() if len(days) >= 2)
    funnel = read_table(run, "lifecycle_funnel", ["stage_rank", "persons_entered"])
    # stages 1-4 are inferred at the first purchase; loyalty is the second purchase
    assert sorted((row["stage_rank"], row["persons_entered"]) for row in funnel) == [
        (1, buyers), (2, buyers), (3, buyers), (4, buyers), (5, buyers), (6, repeat_buyers), (7, 0),
    ]
