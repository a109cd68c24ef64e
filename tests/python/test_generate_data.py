"""scripts/generate_data.py: deterministic, realistic, with every messy case of definitions §2-3."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR

GENERATOR = PROJECT_DIR / "scripts" / "generate_data.py"


def generate(out: Path, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), *args],
        capture_output=True, text=True, timeout=300, check=True,
    )
    return completed.stdout


def printed_count(stdout: str, name: str) -> int:
    match = re.search(rf"^{name}\s+([\d,]+)", stdout, re.MULTILINE)
    assert match, stdout
    return int(match.group(1).replace(",", ""))


@pytest.fixture(scope="module")
def csv_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("generated") / "raw"
    stdout = generate(out, "--persons", "4000", "--seed", "7", "--format", "csv",
                      "--bad-row-rate", "0.01")
    return out, stdout


def query(out: Path, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        for table in ("orders", "touchpoints"):
            con.execute(
                f"create view {table} as select * from read_csv('{out / table}.csv', "
                "header = true, all_varchar = true)"
            )
        return con.execute(sql).fetchall()


def test_same_seed_same_bytes_and_other_seed_other_data(csv_data, tmp_path: Path):
    out, _ = csv_data
    generate(tmp_path / "again", "--persons", "4000", "--seed", "7", "--format", "csv",
             "--bad-row-rate", "0.01")
    generate(tmp_path / "other", "--persons", "4000", "--seed", "8", "--format", "csv",
             "--bad-row-rate", "0.01")
    for table in ("orders.csv", "touchpoints.csv"):
        assert (tmp_path / "again" / table).read_bytes() == (out / table).read_bytes()
        assert (tmp_path / "other" / table).read_bytes() != (out / table).read_bytes()


def test_printed_counts_are_the_rows_written(csv_data):
    out, stdout = csv_data
    [(orders, touchpoints)] = query(
        out, "select (select count(*) from orders), (select count(*) from touchpoints)"
    )
    assert printed_count(stdout, "orders") == orders
    assert printed_count(stdout, "touchpoints") == touchpoints
    assert printed_count(stdout, "persons") == 4000


def test_most_persons_stay_anonymous_and_never_buy(csv_data):
    out, _ = csv_data
    [(persons, identified, buyers)] = query(out, """
        select
            count(distinct split_part(touchpoint_id, '-', 1)),
            count(distinct customer_id),
            (select count(distinct customer_id) from orders
             where lower(trim(status)) in ('paid', 'shipped', 'completed'))
        from touchpoints
    """)
    # every person has touchpoints (ids t<person>-<n>); a few lost their only one to a bad row
    assert 0.99 * 4000 < persons <= 4000
    assert identified < 0.3 * persons
    assert 0.03 * persons < buyers < 0.15 * persons


def test_funnel_drops_off_at_every_stage(csv_data):
    out, _ = csv_data
    stage_of = {
        "ad_click": 1, "page_view": 2, "pricing_view": 3, "add_to_cart": 3, "checkout_start": 4,
    }
    rows = query(out, """
        select lower(trim(event_type)), count(distinct split_part(touchpoint_id, '-', 1))
        from touchpoints group by 1
    """)
    reach = dict(rows)
    assert reach["ad_click"] > reach["page_view"] > reach["pricing_view"] > reach["checkout_start"]
    assert set(stage_of) <= set(reach)


def test_repeat_buyers_refunds_cancellations_and_versions(csv_data):
    out, _ = csv_data
    [(repeat_buyers, refunded, cancelled, multi_version, exact_duplicates, no_updated_at)] = query(out, """
        select
            (select count(*) from (select customer_id from orders
                where lower(trim(status)) = 'completed' group by 1 having count(distinct order_id) >= 2)),
            count(*) filter (where lower(trim(status)) = 'refunded'),
            count(*) filter (where lower(trim(status)) = 'cancelled'),
            (select count(*) from (select order_id from orders group by 1 having count(*) > 1)),
            (select count(*) - count(distinct (order_id, customer_id, ordered_at, updated_at, status,
                amount, coupon_code)) from orders),
            count(*) filter (where updated_at is null)
        from orders
    """)
    assert repeat_buyers > 20
    assert refunded > 0 and cancelled > 0
    assert multi_version > 100
    assert exact_duplicates > 0
    assert no_updated_at > 0


def test_identity_stitching_cases_are_present(csv_data):
    out, _ = csv_data
    [(anonymous_then_identified, second_devices, customer_only)] = query(out, """
        with ids as (
            select anonymous_id, customer_id, try_cast(occurred_at as timestamptz) as seen_at
            from touchpoints where anonymous_id is not null
        ),
        first_identified as (
            select anonymous_id, min(seen_at) as identified_at from ids
            where customer_id is not null group by 1
        )
        select
            (select count(distinct ids.anonymous_id) from ids join first_identified using (anonymous_id)
             where ids.customer_id is null and ids.seen_at < first_identified.identified_at),
            (select count(*) from (select customer_id from ids where customer_id is not null
             group by 1 having count(distinct anonymous_id) > 1)),
            (select count(*) from touchpoints where anonymous_id is null and customer_id is not null)
    """)
    assert anonymous_then_identified > 50
    assert second_devices > 0
    assert customer_only > 0


def test_messy_values_and_bad_rows_are_present(csv_data):
    out, _ = csv_data
    [(offsets, zulu, mixed_case, unknown_events, resent)] = query(out, """
        select
            count(*) filter (where regexp_matches(occurred_at, '[+-]\\d\\d:\\d\\d$')),
            count(*) filter (where occurred_at like '%Z'),
            count(*) filter (where channel <> lower(channel) or event_type <> trim(event_type)),
            count(*) filter (where event_type in ('app_open', 'push_received', 'chat_started')),
            (select count(*) from (select touchpoint_id from touchpoints where touchpoint_id is not null
             group by 1 having count(distinct occurred_at) > 1))
        from touchpoints
    """)
    assert offsets > 0 and zulu > 0 and mixed_case > 0 and unknown_events > 0 and resent > 0
    bad_orders = dict(query(out, """
        select
            case
                when order_id is null then 'missing_id'
                when customer_id is null then 'missing_customer_id'
                when try_cast(ordered_at as timestamptz) is null then 'invalid_timestamp'
                when lower(trim(status)) not in ('placed', 'paid', 'shipped', 'completed', 'cancelled',
                    'refunded') then 'unknown_status'
                when try_cast(amount as decimal(18, 2)) is null or try_cast(amount as decimal(18, 2)) < 0
                    then 'invalid_amount'
            end as reason,
            count(*)
        from orders group by 1
    """))
    assert {"missing_id", "missing_customer_id", "invalid_timestamp", "unknown_status",
            "invalid_amount"} <= set(bad_orders)
    bad_touchpoints = dict(query(out, """
        select
            case
                when touchpoint_id is null then 'missing_id'
                when try_cast(occurred_at as timestamptz) is null then 'invalid_timestamp'
                when anonymous_id is null and customer_id is null then 'no_identity'
            end as reason,
            count(*)
        from touchpoints group by 1
    """))
    assert {"missing_id", "invalid_timestamp", "no_identity"} <= set(bad_touchpoints)
    total = sum(bad_touchpoints.values())
    # --bad-row-rate 0.01: about 1 % of the rows, each with one reason
    assert 0.005 * total < sum(v for k, v in bad_touchpoints.items() if k) < 0.02 * total


def test_scale_flags_and_parquet_parts(tmp_path: Path):
    stdout = generate(tmp_path, "--persons", "2000", "--touchpoints-per-person", "20",
                      "--orders-per-buyer", "6", "--start", "2025-01-01", "--end", "2025-12-31")
    touchpoints = printed_count(stdout, "touchpoints")
    orders = printed_count(stdout, "orders")
    assert 0.85 * 40_000 < touchpoints < 1.15 * 40_000
    default = generate(tmp_path / "default", "--persons", "2000", "--start", "2025-01-01",
                       "--end", "2025-12-31")
    assert orders > 2 * printed_count(default, "orders")
    with duckdb.connect() as con:
        [(rows, first, last)] = con.execute(
            "select count(*), min(ts), max(ts) from (select timezone('UTC', try_cast(occurred_at as "
            f"timestamptz)) as ts from read_parquet('{tmp_path}/touchpoints/*.parquet'))"
        ).fetchall()
    assert rows == touchpoints
    assert first.isoformat() >= "2025-01-01" and last.isoformat() <= "2025-12-31T23:59:59"
