"""Split generated raw data into an initial load and two later batches, with the hard cases of
incremental processing planted in the batches (used by test_incremental.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb

LOOKBACK_DAYS = 3  # dbt_project.yml incremental_lookback_days


@dataclass(frozen=True)
class Planted:
    refunded_order_id: str
    identified_anonymous_id: str
    identifying_customer_id: str
    late_touchpoints: int
    resent_touchpoint_id: str


def split(generated: Path, batches_dir: Path) -> Planted:
    """initial/ = rows up to T1; batch1/ = (T1, T2] plus late rows dated just before T1, a
    new identification of an old anonymous_id and an old touchpoint sent again a day after T2;
    batch2/ = after T2 plus a refund of an old order."""
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'")
        con.execute(f"""
            create table touchpoints as
            select *, timezone('UTC', try_cast(occurred_at as timestamptz)) as t
            from read_parquet('{generated}/touchpoints/*.parquet')
        """)
        con.execute(f"""
            create table orders as
            select *, timezone('UTC', coalesce(try_cast(updated_at as timestamptz),
                try_cast(ordered_at as timestamptz))) as t
            from read_parquet('{generated}/orders/*.parquet')
        """)
        t1, t2 = con.execute(
            "select quantile_disc(t, 0.95), quantile_disc(t, 0.98) from touchpoints"
        ).fetchone()
        # late rows: dated within the lookback before T1, arriving only with batch 1
        con.execute(f"""
            alter table touchpoints add column batch integer;
            update touchpoints set batch = case
                when t is null or t <= '{t1}'::timestamp - interval {LOOKBACK_DAYS - 1} day then 0
                when t <= '{t1}' and hash(touchpoint_id) % 4 = 0 then 1
                when t <= '{t1}' then 0
                when t <= '{t2}' then 1
                else 2 end;
            alter table orders add column batch integer;
            update orders set batch = case
                when t is null or t <= '{t1}' then 0 when t <= '{t2}' then 1 else 2 end;
        """)
        late = con.execute(f"select count(*) from touchpoints where batch = 1 and t <= '{t1}'").fetchone()[0]
        # an anonymous_id only ever seen anonymously, long before T1, identified in batch 1
        anonymous_id = con.execute(f"""
            select anonymous_id from touchpoints
            where batch = 0 and t < '{t1}'::timestamp - interval 60 day
            group by anonymous_id
            having count(customer_id) = 0 and count(*) >= 2
               and anonymous_id not in (select anonymous_id from touchpoints
                                        where customer_id is not null and anonymous_id is not null)
            order by anonymous_id limit 1
        """).fetchone()[0]
        customer_id = con.execute(
            "select max(customer_id) from orders where batch = 0 and lower(trim(status)) = 'completed'"
        ).fetchone()[0]
        con.execute(f"""
            insert into touchpoints (touchpoint_id, anonymous_id, customer_id, occurred_at, channel,
                event_type, campaign, batch)
            values ('t-login-{anonymous_id}', '{anonymous_id}', '{customer_id}',
                strftime('{t2}'::timestamp - interval 1 hour, '%Y-%m-%d %H:%M:%S'), 'direct',
                'page_view', null, 1)
        """)
        # an order completed long before T1, refunded in batch 2
        order_id = con.execute(f"""
            select order_id from orders
            where batch = 0 and lower(trim(status)) = 'completed' and order_id is not null
                and t < '{t1}'::timestamp - interval 90 day
                and order_id not in (select order_id from orders where batch > 0 and order_id is not null)
            order by order_id limit 1
        """).fetchone()[0]
        con.execute(f"""
            insert into orders (order_id, customer_id, ordered_at, updated_at, status, amount,
                coupon_code, batch)
            select order_id, customer_id, ordered_at,
                strftime('{t2}'::timestamp + interval 1 hour, '%Y-%m-%dT%H:%M:%SZ'), 'refunded',
                amount, coupon_code, 2
            from orders where order_id = '{order_id}' and lower(trim(status)) = 'completed'
            limit 1
        """)
        # a touchpoint of the initial load sent again in batch 1, dated a day after batch 1's
        # latest day: after that run's as_of, then collapsed once batch 2 moves as_of past it
        resent_id = con.execute("""
            select touchpoint_id from touchpoints
            where batch = 0 and touchpoint_id is not null
            group by touchpoint_id
            having count(*) = 1 and count(t) = 1
                and count(anonymous_id) + count(customer_id) > 0
            order by touchpoint_id limit 1
        """).fetchone()[0]
        latest = con.execute("select max(t) from touchpoints").fetchone()[0]
        assert latest.date() > (t2 + timedelta(days=2)).date(), "batch 2 must span more than two days"
        con.execute(f"""
            insert into touchpoints (touchpoint_id, anonymous_id, customer_id, occurred_at, channel,
                event_type, campaign, batch)
            select touchpoint_id, anonymous_id, customer_id,
                strftime('{t2}'::timestamp + interval 1 day, '%Y-%m-%d %H:%M:%S'), channel,
                event_type, campaign, 1
            from touchpoints where touchpoint_id = '{resent_id}' limit 1
        """)
        for batch, name in ((0, "initial"), (1, "batch1"), (2, "batch2")):
            for table, columns in (
                ("orders", "order_id, customer_id, ordered_at, updated_at, status, amount, coupon_code"),
                ("touchpoints", "touchpoint_id, anonymous_id, customer_id, occurred_at, channel, "
                                "event_type, campaign"),
            ):
                folder = batches_dir / table
                folder.mkdir(parents=True, exist_ok=True)
                con.execute(f"copy (select {columns} from {table} where batch = {batch}) "
                            f"to '{folder / name}.parquet' (format parquet)")
    return Planted(order_id, anonymous_id, customer_id, late, resent_id)
