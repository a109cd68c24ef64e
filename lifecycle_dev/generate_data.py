"""Generate realistic raw `orders` and `touchpoints` (definitions §2) for tests and benchmarks.

The data behaves like a real audience, not like uniform noise:
  - most persons stay anonymous and never buy; every person has a funnel depth (awareness,
    interest, consideration, decision) with drop-off at each stage;
  - buyers are identified before their first purchase; earlier touchpoints on the same device are
    anonymous (identity stitching moves them to the customer), a second device may be identified
    later or never;
  - repeat buyers with per-person purchase gaps, loyalty joins, advocates among repeat buyers;
  - every order is extracted as one or more versions (placed, paid, shipped, completed) with late
    status updates: cancellations, refunds written weeks later, in-flight orders near the end date;
  - exact duplicate extracts, touchpoints re-sent later, timestamps with and without UTC offsets,
    mixed case and padded text, unknown event types, and bad rows at --bad-row-rate (missing ids,
    invalid timestamps, unknown statuses, invalid amounts, touchpoints without identity).

The same arguments and --seed give the same files. Numbers are drawn with numpy per chunk of
persons (vectorised); DuckDB formats the text columns and writes the files. Parquet goes to
folders of parts (`orders/part-00000.parquet`), CSV to one file per table (`orders.csv`), both
layouts that `run_pipeline.py --raw-dir DIR` reads. Every column is text, as in a raw extract.

Sizes: touchpoints ≈ persons × --touchpoints-per-person; order rows ≈ persons × ~9 % buyers ×
--orders-per-buyer × ~1.7 versions. The script prints the row counts and its peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb
import numpy as np
import pandas as pd

from lifecycle import cli_checks
from lifecycle import console

log = logging.getLogger("generate_data")

DAY = 86_400
# Target touchpoints per chunk of persons: bounds the memory whatever the total size.
CHUNK_TOUCHPOINTS = 3_000_000

# definitions §4 default mapping, by stage (1 awareness ... 7 advocacy; 5 purchase has no events).
STAGE_EVENTS: dict[int, list[str]] = {
    1: ["ad_impression", "ad_click", "social_impression", "referral_visit"],
    2: ["page_view", "content_view", "review_read", "demo_view", "webinar_attended", "email_open",
        "email_click", "newsletter_signup"],
    3: ["pricing_view", "product_compare", "add_to_cart", "wishlist_add", "trial_start",
        "quote_request"],
    4: ["checkout_start", "coupon_applied"],
    6: ["loyalty_join", "subscription_start"],
    7: ["referral_sent", "review_written", "social_share"],
}
UNKNOWN_EVENTS = ["app_open", "push_received", "chat_started"]
CHANNELS = ["paid_search", "paid_social", "display", "organic_search", "social", "email",
            "referral", "direct", "affiliate", "other"]
# Channel mix by stage (rows: stages 1-7, columns: CHANNELS); weights, normalised below.
CHANNEL_WEIGHTS = np.array([
    [25, 30, 25, 5, 10, 0, 3, 0, 2, 0],    # awareness: paid and social reach
    [8, 6, 2, 30, 8, 20, 8, 14, 3, 1],     # interest: search, email, direct
    [10, 5, 1, 25, 3, 20, 6, 25, 4, 1],    # consideration
    [5, 2, 0, 10, 1, 25, 5, 45, 6, 1],     # decision
    [0, 0, 0, 0, 0, 0, 0, 100, 0, 0],      # (purchase: unused)
    [0, 0, 0, 5, 0, 55, 0, 40, 0, 0],      # loyalty
    [0, 0, 0, 0, 60, 10, 30, 0, 0, 0],     # advocacy
], dtype=float)
STATUSES = ["placed", "paid", "shipped", "completed", "cancelled", "refunded"]
COUPONS = ["WELCOME10", "SPRING20", "VIP15", "FREESHIP", "BLACKFRIDAY"]
CAMPAIGNS = ["brand_awareness", "spring_sale", "retargeting", "newsletter", "summer_sale",
             "black_friday", "loyalty_program"]

# Funnel: share of persons whose deepest pre-purchase stage is awareness .. decision, and the
# chance that such a person buys.
DEPTH_SHARES = np.array([0.45, 0.30, 0.15, 0.10])
BUY_CHANCE = np.array([0.0, 0.03, 0.20, 0.55])
# Non-buyers who still identify themselves (newsletter, account), by depth.
IDENTIFY_CHANCE = np.array([0.02, 0.12, 0.25, 0.35])
# Relative touchpoint volume by depth (buyers get twice as many).
DEPTH_ACTIVITY = np.array([0.3, 1.0, 2.0, 3.0])
GAMMA_SHAPE = 0.7


@dataclass(frozen=True)
class Config:
    persons: int
    seed: int
    out: Path
    file_format: str
    start: dt.date
    end: dt.date
    bad_row_rate: float
    touchpoints_per_person: float
    orders_per_buyer: float

    @property
    def start_s(self) -> int:
        return int(dt.datetime.combine(self.start, dt.time(), dt.timezone.utc).timestamp())

    @property
    def end_s(self) -> int:
        """The last second of the end date."""
        end = dt.datetime.combine(self.end, dt.time(), dt.timezone.utc) + dt.timedelta(days=1)
        return int(end.timestamp()) - 1

    @property
    def chunk_persons(self) -> int:
        return max(1_000, int(CHUNK_TOUCHPOINTS / self.touchpoints_per_person))


def parse_args(argv: Sequence[str] | None) -> Config:
    parser = cli_checks.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=console.parse_size, required=True,
                        help="number of persons, e.g. 20000, 100k or 1M (each has one or more "
                        "devices)")
    parser.add_argument("--seed", type=cli_checks.non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--out-dir", "--out", dest="out", type=Path, required=True,
                        help="output folder; its orders/touchpoints files are replaced")
    parser.add_argument("--format", dest="file_format", choices=["parquet", "csv"],
                        default="parquet", help="parquet (folders of parts, default) or csv")
    parser.add_argument("--start", type=_iso_date, default=dt.date(2024, 1, 1),
                        help="first UTC date of the data (default 2024-01-01)")
    parser.add_argument("--end", type=_iso_date, default=dt.date(2026, 6, 30),
                        help="last UTC date of the data (default 2026-06-30)")
    parser.add_argument("--bad-row-rate", type=_rate, default=0.001,
                        help="share of rows made unusable, each with one quarantine reason of "
                        "docs/definitions.md §3 (default 0.001)")
    parser.add_argument("--touchpoints-per-person", type=_positive_float, default=8.0,
                        help="mean touchpoints per person (default 8)")
    parser.add_argument("--orders-per-buyer", type=_at_least_one, default=2.5,
                        help="mean orders per buying person, before orders later than --end "
                        "are cut (default 2.5; each order is extracted in ~1.7 versions)")
    console.add_verbosity_flags(parser)
    args = parser.parse_args(argv)
    console.setup_logging(args)
    if args.end <= args.start:
        parser.error("--end must be after --start")
    try:
        cli_checks.writable_folder(args.out, "--out-dir")
    except cli_checks.InputError as error:
        parser.error(str(error))
    return Config(args.persons, args.seed, args.out, args.file_format, args.start, args.end,
                  args.bad_row_rate, args.touchpoints_per_person, args.orders_per_buyer)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _positive_float(text: str) -> float:
    value = float(text)
    # nan passes every comparison test as False: refuse it (and inf) explicitly
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text}")
    return value


def _at_least_one(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1): {text}")
    return value


def within(owner: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For rows repeated per owner (np.repeat(..., counts)), each row's index within its owner."""
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(owner.size, dtype=np.int64) - starts


def generate_chunk(cfg: Config, chunk: int, first_person: int, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numbers (no text) for persons first_person .. first_person + n - 1."""
    rng = np.random.default_rng([cfg.seed, chunk])
    span = cfg.end_s - cfg.start_s
    person = np.arange(first_person, first_person + n, dtype=np.int64)

    # --- persons: arrival (more late than early: a growing brand), funnel depth, buying
    arrival = cfg.start_s + (span * 0.97 * rng.random(n) ** 0.75).astype(np.int64)
    depth = rng.choice(4, size=n, p=DEPTH_SHARES)  # 0 awareness .. 3 decision
    wants_to_buy = rng.random(n) < BUY_CHANCE[depth]
    devices = 1 + (rng.random(n) < 0.25) + (rng.random(n) < 0.05)

    # --- orders: first purchase after a short consideration, then per-person gaps
    n_orders = np.where(wants_to_buy, rng.geometric(1 / cfg.orders_per_buyer, n), 0)
    # deciders who do not buy sometimes place an order and cancel it (they backed out)
    backs_out = ~wants_to_buy & (depth == 3) & (rng.random(n) < 0.15)
    n_orders = np.where(backs_out, 1, n_orders)
    first_order = arrival + (rng.exponential(14 * DAY, n) + 3600).astype(np.int64)
    # more orders per buyer means more frequent buyers, over the same time span
    mean_gap = rng.lognormal(np.log(45 * DAY * 2.5 / cfg.orders_per_buyer), 0.8, n)
    order_person = np.repeat(np.arange(n), n_orders)
    order_number = within(order_person, n_orders)
    gaps = np.where(order_number == 0, 0, rng.exponential(1.0, order_person.size) * mean_gap[order_person])
    gap_sum = np.cumsum(gaps)
    # cumulative gaps within each person: minus the running total at the person's first order
    gap_sum -= gap_sum[np.repeat(np.cumsum(n_orders) - n_orders, n_orders)]
    ordered_at = first_order[order_person] + gap_sum.astype(np.int64)
    placed = ordered_at <= cfg.end_s
    order_person, order_number, ordered_at = order_person[placed], order_number[placed], ordered_at[placed]
    orders_placed = np.bincount(order_person, minlength=n)
    buyer = orders_placed > 0
    last_order = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_order, order_person, ordered_at)

    identified = buyer | (rng.random(n) < IDENTIFY_CHANCE[depth])
    advocate = buyer & (rng.random(n) < np.where(orders_placed >= 2, 0.25, 0.05))
    loyalty_joiner = buyer & (orders_placed >= 2) & (rng.random(n) < 0.4)

    # --- touchpoints: volume by depth and buying; spread over the person's active window
    activity = DEPTH_ACTIVITY[depth] * np.where(buyer, 2.0, 1.0)
    expected_activity = float(GAMMA_SHAPE * (DEPTH_SHARES * DEPTH_ACTIVITY * (1 + BUY_CHANCE)).sum())
    scale = max(cfg.touchpoints_per_person - 1.0, 0.0) / expected_activity
    n_touch = 1 + rng.poisson(rng.gamma(GAMMA_SHAPE, scale, n) * activity)
    active_end = np.where(
        buyer,
        last_order + rng.exponential(30 * DAY, n).astype(np.int64),
        arrival + rng.exponential(30 * DAY, n).astype(np.int64) * (depth + 1),
    )
    active_end = np.minimum(active_end, cfg.end_s)
    # a buyer's pre-purchase touches fall before the first order; so does identification
    pre_end = np.where(buyer, first_order - 60, active_end)
    touch_person = np.repeat(np.arange(n), n_touch)
    touch_number = within(touch_person, n_touch)
    # the first touch is the arrival; for buyers 60 % of the others are pre-purchase
    pre_share = np.where(buyer, 0.6, 1.0)[touch_person]
    is_pre = (touch_number == 0) | (rng.random(touch_person.size) < pre_share)
    window_start = np.where(is_pre, arrival[touch_person], first_order[touch_person])
    window_end = np.where(is_pre, np.maximum(pre_end, arrival)[touch_person], active_end[touch_person])
    offset = (rng.random(touch_person.size) * np.maximum(window_end - window_start, 0)).astype(np.int64)
    occurred_at = np.where(touch_number == 0, arrival[touch_person], window_start + offset)

    # extra touches: a loyalty join and advocacy after the first purchase
    n_extra = loyalty_joiner.astype(np.int64) + np.where(advocate, 1 + rng.poisson(0.7, n), 0)
    extra_person = np.repeat(np.arange(n), n_extra)
    extra_number = within(extra_person, n_extra)
    extra_is_loyalty = (extra_number == 0) & loyalty_joiner[extra_person]
    extra_window = np.maximum(cfg.end_s - first_order[extra_person], 1)
    extra_at = first_order[extra_person] + 600 + (
        rng.random(extra_person.size) ** 1.5 * (extra_window - 600).clip(min=0)
    ).astype(np.int64)
    extra_stage = np.where(extra_is_loyalty, 6, 7)

    touch_person = np.concatenate([touch_person, extra_person])
    occurred_at = np.concatenate([occurred_at, extra_at])
    is_pre = np.concatenate([is_pre, np.zeros(extra_person.size, dtype=bool)])
    fixed_stage = np.concatenate([np.zeros(is_pre.size - extra_person.size, dtype=np.int64), extra_stage])
    order = np.lexsort((occurred_at, touch_person))
    touch_person, occurred_at, is_pre, fixed_stage = (
        touch_person[order], occurred_at[order], is_pre[order], fixed_stage[order]
    )
    touches = np.bincount(touch_person, minlength=n)
    touch_number = within(touch_person, touches)
    m = touch_person.size

    # stage of each touch: pre-purchase touches progress through the funnel up to the depth
    pre_counts = np.bincount(touch_person, weights=is_pre, minlength=n).astype(np.int64)
    progress = np.minimum(touch_number, pre_counts[touch_person] - 1) / np.maximum(pre_counts[touch_person], 1)
    stage = 1 + np.floor(progress * (depth[touch_person] + 1)).astype(np.int64)
    revisit = rng.random(m) < 0.25
    stage = np.where(revisit, 1 + (rng.random(m) * stage).astype(np.int64), stage)
    post_stage = np.array([2, 2, 2, 2, 3, 3, 4])[rng.integers(0, 7, m)]
    stage = np.where(is_pre, stage, post_stage)
    # some loyalty and advocacy touches before any purchase: the rules must ignore them
    early_loyal = is_pre & (rng.random(m) < 0.01)
    stage = np.where(early_loyal, 6 + (rng.random(m) < 0.6), stage)
    stage = np.where(fixed_stage > 0, fixed_stage, stage)
    event_pick = rng.random(m)
    unknown_event = rng.random(m) < 0.005
    channel_cdf = np.cumsum(CHANNEL_WEIGHTS / CHANNEL_WEIGHTS.sum(axis=1, keepdims=True), axis=1)
    channel = (rng.random(m)[:, None] > channel_cdf[stage - 1]).sum(axis=1).clip(max=len(CHANNELS) - 1)

    # identity: device 0 is identified at the last pre-purchase touch (buyers) or a random touch;
    # before that, touches are anonymous; after it, mostly with both ids (email: customer only)
    device = np.where(rng.random(m) < 0.8, 0, rng.integers(0, 3, m)) % devices[touch_person]
    ident_touch = np.where(
        buyer,
        np.maximum(pre_counts - 1, 0),
        (rng.random(n) * touches).astype(np.int64),
    )
    is_identified_person = identified[touch_person]
    after_ident = is_identified_person & (touch_number >= ident_touch[touch_person])
    is_ident_touch = is_identified_person & (touch_number == ident_touch[touch_person])
    other_device_login = (device > 0) & (rng.random(m) < 0.5)
    has_customer = is_ident_touch | (after_ident & ((device == 0) | other_device_login))
    is_email = CHANNELS.index("email") == channel
    has_anonymous = ~has_customer | is_ident_touch | ~is_email & (rng.random(m) < 0.7)
    device = np.where(is_ident_touch, 0, device)

    touchpoints = pd.DataFrame({
        "person": person[touch_person],
        "touch_number": touch_number,
        "device": device,
        "has_customer": has_customer,
        "has_anonymous": has_anonymous,
        "occurred_at": occurred_at,
        "stage": stage,
        "event_pick": event_pick,
        "unknown_event": unknown_event,
        "channel": channel,
        "campaign": np.where(rng.random(m) < 0.4, rng.integers(0, len(CAMPAIGNS), m), -1),
    })
    touchpoints = add_noise(touchpoints, rng, cfg.bad_row_rate, duplicate_rate=0.005,
                            resend_rate=0.002, bad_kinds=3, time_column="occurred_at", end_s=cfg.end_s)

    # --- order versions: placed, paid, shipped, completed; then cancelled or refunded
    k = ordered_at.size
    fate = rng.random(k)
    cancelled = np.where(backs_out[order_person], True, fate < 0.04)
    refunded = ~cancelled & (fate < 0.09)
    paid_at = ordered_at + rng.integers(60, 3 * 3600, k)
    shipped_at = ordered_at + rng.integers(DAY, 3 * DAY, k)
    completed_at = shipped_at + rng.integers(DAY, 6 * DAY, k)
    versions = np.stack([
        ordered_at,
        np.where(cancelled, -1, paid_at),
        np.where(cancelled, -1, shipped_at),
        np.where(cancelled, -1, completed_at),
        np.where(cancelled, ordered_at + rng.integers(600, 2 * DAY, k), -1),
        np.where(refunded, completed_at + rng.integers(5 * DAY, 60 * DAY, k), -1),
    ], axis=1)
    written = (versions >= 0) & (versions <= cfg.end_s)
    latest = 5 - np.argmax(written[:, ::-1], axis=1)
    # extracts hold the latest version and about half of the earlier ones
    extracted = written & ((np.arange(6)[None, :] == latest[:, None]) | (rng.random((k, 6)) < 0.35))
    row_order, row_status = np.nonzero(extracted)
    orders = pd.DataFrame({
        "person": person[order_person[row_order]],
        "order_number": order_number[row_order],
        "ordered_at": ordered_at[row_order],
        "updated_at": versions[row_order, row_status],
        # some first versions come without updated_at (it defaults to ordered_at)
        "no_updated_at": (row_status == 0) & (rng.random(row_order.size) < 0.3),
        "status": row_status,
        "amount_cents": np.round(rng.lognormal(np.log(4500), 0.8, k)).astype(np.int64)[row_order],
        "coupon": np.where(rng.random(k) < 0.15, rng.integers(0, len(COUPONS), k), -1)[row_order],
    })
    orders = add_noise(orders, rng, cfg.bad_row_rate, duplicate_rate=0.01, resend_rate=0.0,
                       bad_kinds=5, time_column="ordered_at", end_s=cfg.end_s)
    log.debug("chunk %d: %d persons, %d buyers, %d touchpoints, %d order rows",
              chunk, n, int(buyer.sum()), len(touchpoints), len(orders))
    return touchpoints, orders


def add_noise(frame: pd.DataFrame, rng: np.random.Generator, bad_row_rate: float,
              duplicate_rate: float, resend_rate: float, bad_kinds: int,
              time_column: str, end_s: int) -> pd.DataFrame:
    """Timestamp styles, text noise and bad rows; then exact duplicates and re-sent rows."""
    rows = len(frame)
    # timestamp styles: 0 naive UTC, 1 Z suffix, 2 with a UTC offset
    frame["time_style"] = rng.choice(3, size=rows, p=[0.6, 0.3, 0.1]).astype(np.int8)
    frame["utc_offset_hours"] = rng.choice([-8, -5, -3, 1, 2, 3, 9], size=rows).astype(np.int8)
    frame["text_noise"] = rng.random(rows) < 0.03
    frame["bad_kind"] = np.where(
        rng.random(rows) < bad_row_rate, rng.integers(1, bad_kinds + 1, rows), 0
    ).astype(np.int8)
    copies = 1 + (rng.random(rows) < duplicate_rate + resend_rate)
    index = np.repeat(np.arange(rows), copies)
    frame = frame.iloc[index].reset_index(drop=True)
    is_copy = np.zeros(index.size, dtype=bool)
    is_copy[1:] = index[1:] == index[:-1]
    # a copy is an exact duplicate, or the same row re-sent minutes later under the same id
    resent = is_copy & (rng.random(index.size) < resend_rate / max(duplicate_rate + resend_rate, 1e-9))
    resent_at = frame[time_column].to_numpy() + np.where(resent, rng.integers(60, 7200, index.size), 0)
    frame[time_column] = np.minimum(resent_at, np.maximum(frame[time_column].to_numpy(), end_s))
    return frame


def sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + value + "'" for value in values) + "]"


def timestamp_text(seconds: str, style: str, offset_hours: str) -> str:
    """SQL: epoch seconds as ISO 8601 text in one of three styles (naive, Z, with an offset)."""
    utc = f"make_timestamp({seconds} * 1000000)"
    local = f"({utc} + to_hours({offset_hours}))"
    offset = (f"(case when {offset_hours} < 0 then '-' else '+' end) || "
              f"lpad(cast(abs({offset_hours}) as varchar), 2, '0') || ':00'")
    return (f"case {style} when 0 then strftime({utc}, '%Y-%m-%d %H:%M:%S') "
            f"when 1 then strftime({utc}, '%Y-%m-%dT%H:%M:%SZ') "
            f"else strftime({local}, '%Y-%m-%dT%H:%M:%S') || {offset} end")


def touchpoints_sql() -> str:
    events_by_stage = "[" + ", ".join(sql_list(STAGE_EVENTS.get(s, ["page_view"])) for s in range(1, 8)) + "]"
    ts = timestamp_text("occurred_at", "time_style", "utc_offset_hours")
    return f"""
        select
            case when bad_kind = 1 then null
                else 't' || person || '-' || touch_number end as touchpoint_id,
            case when bad_kind = 3 or not has_anonymous then null
                else 'a' || (person * 4 + device) end as anonymous_id,
            case when bad_kind = 3 or not has_customer then null else 'c' || person end as customer_id,
            case when bad_kind = 2 then (['not a date', '2026-02-30 10:00:00', '31/12/2025'])[1 + touch_number % 3]
                else {ts} end as occurred_at,
            case when text_noise then upper({sql_list(CHANNELS)}[channel + 1])
                else {sql_list(CHANNELS)}[channel + 1] end as channel,
            case when unknown_event then {sql_list(UNKNOWN_EVENTS)}[1 + touch_number % 3]
                when text_noise then ' ' || upper(event) || ' '
                else event end as event_type,
            case when campaign >= 0 then {sql_list(CAMPAIGNS)}[campaign + 1] end as campaign
        from (
            select *, {events_by_stage}[stage][
                1 + cast(floor(event_pick * len({events_by_stage}[stage])) as integer)] as event
            from touchpoint_numbers
        )
    """


def orders_sql() -> str:
    ordered = timestamp_text("ordered_at", "time_style", "utc_offset_hours")
    updated = timestamp_text("updated_at", "time_style", "utc_offset_hours")
    return f"""
        select
            case when bad_kind = 1 then null else 'o' || person || '-' || order_number end as order_id,
            case when bad_kind = 2 then null else 'c' || person end as customer_id,
            case when bad_kind = 3 then (['yesterday', '2026-13-01 00:00:00'])[1 + order_number % 2]
                else {ordered} end as ordered_at,
            case when no_updated_at then null else {updated} end as updated_at,
            case when bad_kind = 4 then (['on_hold', 'returned?'])[1 + order_number % 2]
                when text_noise then ' ' || upper({sql_list(STATUSES)}[status + 1]) || ' '
                else {sql_list(STATUSES)}[status + 1] end as status,
            case when bad_kind = 5 then (['-' || printf('%.2f', amount_cents / 100), 'n/a'])[1 + order_number % 2]
                else printf('%.2f', amount_cents / 100) end as amount,
            case when coupon >= 0 then {sql_list(COUPONS)}[coupon + 1] end as coupon_code
        from order_numbers
    """


def write_table(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path, file_format: str,
                header: bool) -> None:
    options = "format parquet, compression zstd" if file_format == "parquet" else f"format csv, header {str(header).lower()}"
    con.execute(f"copy ({select_sql}) to '{target}' ({options})")


def generate(cfg: Config) -> dict[str, int]:
    cfg.out.mkdir(parents=True, exist_ok=True)
    for table in ("orders", "touchpoints"):
        for old in (cfg.out / f"{table}.csv", cfg.out / f"{table}.parquet"):
            old.unlink(missing_ok=True)
        shutil.rmtree(cfg.out / table, ignore_errors=True)
        if cfg.file_format == "parquet":
            (cfg.out / table).mkdir()
    counts = {"orders": 0, "touchpoints": 0}
    con = duckdb.connect()
    parts_dir = Path(tempfile.mkdtemp(prefix="generate_data_", dir=cfg.out))
    try:
        chunks = range(0, cfg.persons, cfg.chunk_persons)
        for chunk, first in enumerate(chunks):
            n = min(cfg.chunk_persons, cfg.persons - first)
            touchpoint_numbers, order_numbers = generate_chunk(cfg, chunk, first, n)
            con.register("touchpoint_numbers", touchpoint_numbers)
            con.register("order_numbers", order_numbers)
            for table, select_sql in (("touchpoints", touchpoints_sql()), ("orders", orders_sql())):
                if cfg.file_format == "parquet":
                    target = cfg.out / table / f"part-{chunk:05d}.parquet"
                else:
                    target = parts_dir / f"{table}-{chunk:05d}.csv"
                write_table(con, select_sql, target, cfg.file_format, header=chunk == 0)
            counts["touchpoints"] += len(touchpoint_numbers)
            counts["orders"] += len(order_numbers)
            con.unregister("touchpoint_numbers")
            con.unregister("order_numbers")
            log.info("chunk %d/%d: %s touchpoints, %s order rows so far", chunk + 1, len(chunks),
                     f"{counts['touchpoints']:,}", f"{counts['orders']:,}")
        if cfg.file_format == "csv":
            for table in ("orders", "touchpoints"):
                with (cfg.out / f"{table}.csv").open("wb") as combined:
                    for part in sorted(parts_dir.glob(f"{table}-*.csv")):
                        with part.open("rb") as handle:
                            shutil.copyfileobj(handle, combined, length=16 << 20)
    finally:
        con.close()
        shutil.rmtree(parts_dir, ignore_errors=True)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    cfg = parse_args(argv)
    started = time.monotonic()
    log.info("generating %s persons (seed %d) into %s as %s", f"{cfg.persons:,}", cfg.seed,
             cfg.out, cfg.file_format)
    counts = generate(cfg)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"persons      {cfg.persons:>14,}")
    print(f"touchpoints  {counts['touchpoints']:>14,}")
    print(f"orders       {counts['orders']:>14,}  (raw rows: order versions and duplicates)")
    print(f"written to   {cfg.out} ({cfg.file_format}) in {time.monotonic() - started:.1f} s, "
          f"peak memory {peak_mib:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
