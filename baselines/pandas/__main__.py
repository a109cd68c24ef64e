"""The marts of definitions §6 in pandas: what an analyst would write instead of the dbt project.

Reads the raw folder (the layouts of definitions §2) with pandas and pyarrow, applies
definitions §3-6 and docs/decisions.md with vectorised pandas/numpy operations (no row-by-row
Python), and writes one Parquet file per mart into --out. Money is handled as integer cents, so that
sums are exact.

    python -m baselines.pandas --raw-dir /tmp/lifecycle-bench/1m --out /tmp/pandas-marts
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from baselines.common import EVENT_STAGES_SEED, ORDER_STATUS_MAP_SEED, BaselineArgs, find_raw_file, parse_args

log = logging.getLogger("baselines.pandas")

STATUSES = ["placed", "paid", "shipped", "completed", "cancelled", "refunded"]
INVALID_STATUSES = ["cancelled", "refunded"]
STAGES = ["awareness", "interest", "consideration", "decision", "purchase", "loyalty", "advocacy"]
CUSTOMER_TYPES = ["potential", "new", "regular", "loyal", "lapsed"]
COLUMNS = {
    "orders": ["order_id", "customer_id", "ordered_at", "updated_at", "status", "amount", "coupon_code"],
    "touchpoints": ["touchpoint_id", "anonymous_id", "customer_id", "occurred_at", "channel",
                    "event_type", "campaign"],
}
NO_TIME = np.iinfo(np.int64).max  # "never observed" in the stage matrix


def read_raw(raw_dir: Path, table: str) -> pd.DataFrame:
    raw = find_raw_file(raw_dir, table)
    if raw.file_format == "csv":
        # definitions §2: an empty field is null, and nothing else is ("NA" is a value)
        frame = pd.read_csv(raw.path, dtype="str", keep_default_na=False, na_values=[""])
    else:
        path = raw.path[: -len("/*.parquet")] if raw.path.endswith("/*.parquet") else raw.path
        frame = pd.read_parquet(path)
    for column in COLUMNS[table]:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    return frame[COLUMNS[table]].astype("str")


ASCII_WHITESPACE = " \t\n\v\f\r"  # decisions #3: trimmed at either end, not Unicode spaces


def clean(series: pd.Series, lower: bool = False) -> pd.Series:
    text = series.str.strip(ASCII_WHITESPACE)
    text = text.mask(text == "")
    return text.str.lower() if lower else text


def to_utc(series: pd.Series) -> pd.Series:
    """ISO 8601 text to naive UTC; no offset means UTC; unparseable is NaT."""
    parsed = pd.to_datetime(series, format="ISO8601", utc=True, errors="coerce")
    return parsed.dt.tz_localize(None).astype("datetime64[us]")


def day(series: pd.Series) -> pd.Series:
    return series.dt.floor("D")


def stage_orders(raw: pd.DataFrame, status_map: dict[str, str]) -> pd.DataFrame:
    updated_text = clean(raw["updated_at"])
    orders = pd.DataFrame({
        "order_id": clean(raw["order_id"]),
        "customer_id": clean(raw["customer_id"]),
        "ordered_at": to_utc(clean(raw["ordered_at"])),
        "parsed_updated_at": to_utc(updated_text),
        "status": clean(raw["status"], lower=True),
        "coupon_code": clean(raw["coupon_code"]),
    })
    amount = pd.to_numeric(clean(raw["amount"]), errors="coerce")
    amount_ok = amount.notna() & np.isfinite(amount) & (amount >= 0)
    orders["amount_cents"] = np.round(amount.where(amount_ok, 0) * 100).astype("int64")
    orders["updated_at"] = orders["parsed_updated_at"].fillna(orders["ordered_at"])
    # definitions §2: one of the six as it is, any other status through the map (decisions #61)
    orders["status"] = orders["status"].where(orders["status"].isin(STATUSES), orders["status"].map(status_map))
    orders["status_rank"] = orders["status"].map({s: i for i, s in enumerate(STATUSES, 1)}).astype("float")
    reasons = [
        (orders["order_id"].isna(), "missing_id"),
        (orders["customer_id"].isna(), "missing_customer_id"),
        (orders["ordered_at"].isna() | (orders["parsed_updated_at"].isna() & updated_text.notna()),
         "invalid_timestamp"),
        (orders["status_rank"].isna(), "unknown_status"),
        (~amount_ok, "invalid_amount"),
    ]
    orders["quarantine_reason"] = np.select([c.to_numpy(bool) for c, _ in reasons],
                                            [r for _, r in reasons], default=None)
    return orders


def stage_touchpoints(raw: pd.DataFrame, event_stages: dict[str, str]) -> pd.DataFrame:
    touchpoints = pd.DataFrame({
        "touchpoint_id": clean(raw["touchpoint_id"]),
        "anonymous_id": clean(raw["anonymous_id"]),
        "customer_id": clean(raw["customer_id"]),
        "occurred_at": to_utc(clean(raw["occurred_at"])),
        "channel": clean(raw["channel"], lower=True),
        "event_type": clean(raw["event_type"], lower=True),
        "campaign": clean(raw["campaign"]),
    })
    reasons = [
        (touchpoints["touchpoint_id"].isna(), "missing_id"),
        (touchpoints["occurred_at"].isna(), "invalid_timestamp"),
        (touchpoints["anonymous_id"].isna() & touchpoints["customer_id"].isna(), "no_identity"),
    ]
    touchpoints["quarantine_reason"] = np.select([c.to_numpy(bool) for c, _ in reasons],
                                                 [r for _, r in reasons], default=None)
    touchpoints["lifecycle_stage"] = touchpoints["event_type"].map(event_stages)
    touchpoints["stage_rank"] = touchpoints["lifecycle_stage"].map({s: i for i, s in enumerate(STAGES, 1)})
    return touchpoints


def default_as_of(orders: pd.DataFrame, touchpoints: pd.DataFrame) -> pd.Timestamp:
    """The latest UTC date among kept rows (decisions #8): an order's latest written version
    (both its dates), a touchpoint_id's earliest row."""
    usable_orders = orders[orders["quarantine_reason"].isna()]
    latest_written = usable_orders["updated_at"] == usable_orders.groupby("order_id")["updated_at"].transform("max")
    usable_touchpoints = touchpoints[touchpoints["quarantine_reason"].isna()]
    candidates = [usable_orders.loc[latest_written, ["ordered_at", "updated_at"]].max().max(),
                  usable_touchpoints.groupby("touchpoint_id")["occurred_at"].min().max()]
    return max(c for c in candidates if pd.notna(c)).floor("D")


def keep_latest_orders(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    usable = orders["quarantine_reason"].isna()
    visible = usable & (day(orders["ordered_at"]) <= as_of) & (day(orders["updated_at"]) <= as_of)
    orders["disposition"] = np.where(usable, np.where(visible, "collapsed", "after_as_of"), "quarantined")
    candidates = orders[visible].sort_values(
        ["order_id", "updated_at", "ordered_at", "status_rank", "amount_cents", "coupon_code"],
        ascending=[True, False, False, False, False, True], na_position="first",
    )
    kept_index = candidates.drop_duplicates("order_id").index
    orders.loc[kept_index, "disposition"] = "kept"
    kept = orders.loc[kept_index].copy()
    kept["person_id"] = kept["customer_id"]
    kept["is_valid_purchase"] = ~kept["status"].isin(INVALID_STATUSES)
    valid = kept[kept["is_valid_purchase"]].sort_values(["person_id", "ordered_at", "order_id"])
    kept["purchase_number"] = (valid.groupby("person_id", sort=False).cumcount() + 1).reindex(kept.index)
    return kept


def keep_first_touchpoints(touchpoints: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    usable = touchpoints["quarantine_reason"].isna()
    visible = usable & (day(touchpoints["occurred_at"]) <= as_of)
    touchpoints["disposition"] = np.where(usable, np.where(visible, "collapsed", "after_as_of"), "quarantined")
    candidates = touchpoints[visible].sort_values(
        ["touchpoint_id", "occurred_at", "customer_id", "anonymous_id", "channel", "event_type", "campaign"],
        na_position="last",
    )
    kept_index = candidates.drop_duplicates("touchpoint_id").index
    touchpoints.loc[kept_index, "disposition"] = "kept"
    kept = touchpoints.loc[kept_index].copy()
    # identity stitching: each anonymous_id's earliest identified touchpoint names its customer
    identified = kept[kept["anonymous_id"].notna() & kept["customer_id"].notna()]
    first = identified.sort_values(["anonymous_id", "occurred_at", "customer_id"]).drop_duplicates("anonymous_id")
    stitched = kept["anonymous_id"].map(first.set_index("anonymous_id")["customer_id"])
    customer = kept["customer_id"].fillna(stitched)
    kept["is_identified"] = customer.notna()
    kept["person_id"] = customer.fillna("anon:" + kept["anonymous_id"])
    return kept


def observations(touchpoints: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """definitions §4: per person and observed stage rank, the first time it was observed."""
    first_purchase = orders.loc[orders["purchase_number"] == 1].set_index("person_id")["ordered_at"]
    touch_first_purchase = touchpoints["person_id"].map(first_purchase)
    after_purchase = touchpoints["occurred_at"] >= touch_first_purchase
    rank = touchpoints["stage_rank"]
    parts = [
        touchpoints.loc[rank.between(1, 4), ["person_id", "stage_rank", "occurred_at"]],
        touchpoints.loc[rank.isin([6, 7]) & after_purchase, ["person_id", "stage_rank", "occurred_at"]],
        orders.loc[~orders["is_valid_purchase"], ["person_id", "ordered_at"]].assign(stage_rank=4),
        orders.loc[orders["purchase_number"].isin([1, 2]), ["person_id", "ordered_at", "purchase_number"]]
        .assign(stage_rank=lambda o: 4 + o["purchase_number"]),
    ]
    frames = [p.rename(columns={"occurred_at": "observed_at", "ordered_at": "observed_at"})
              [["person_id", "stage_rank", "observed_at"]] for p in parts]
    observed = pd.concat(frames, ignore_index=True)
    observed["stage_rank"] = observed["stage_rank"].astype("int64")
    return observed.groupby(["person_id", "stage_rank"], as_index=False)["observed_at"].min()


def stages_entered(observed: pd.DataFrame) -> pd.DataFrame:
    """Monotone stages: a person x 7 matrix of first observations, filled from the top down."""
    persons, person_codes = np.unique(observed["person_id"].to_numpy(), return_inverse=True)
    matrix = np.full((persons.size, 7), NO_TIME, dtype=np.int64)
    matrix[person_codes, observed["stage_rank"].to_numpy() - 1] = (
        observed["observed_at"].to_numpy().astype("datetime64[us]").astype(np.int64)
    )
    top_rank = 7 - np.argmax((matrix != NO_TIME)[:, ::-1], axis=1)
    entered = np.minimum.accumulate(matrix[:, ::-1], axis=1)[:, ::-1]
    exited = np.concatenate([entered[:, 1:], np.full((persons.size, 1), NO_TIME)], axis=1)
    rows, cols = np.nonzero(np.arange(1, 8)[None, :] <= top_rank[:, None])

    def as_time(values: np.ndarray) -> pd.Series:
        return pd.Series(np.where(values == NO_TIME, np.datetime64("NaT"), values.astype("datetime64[us]")))

    is_current = cols + 1 == top_rank[rows]
    return pd.DataFrame({
        "person_id": persons[rows],
        "lifecycle_stage": np.array(STAGES)[cols],
        "stage_rank": cols + 1,
        "entered_at": as_time(entered[rows, cols]),
        "observed_at": as_time(matrix[rows, cols]),
        "is_inferred": matrix[rows, cols] == NO_TIME,
        "exited_at": as_time(np.where(is_current, NO_TIME, exited[rows, cols])),
        "is_current": is_current,
    })


def build(args: BaselineArgs) -> dict[str, pd.DataFrame]:
    seed = pd.read_csv(EVENT_STAGES_SEED, dtype="str")
    event_stages = dict(zip(seed["event_type"], seed["lifecycle_stage"]))
    status_seed = pd.read_csv(ORDER_STATUS_MAP_SEED, dtype="str", keep_default_na=False)
    orders = stage_orders(read_raw(args.raw_dir, "orders"), dict(zip(status_seed["raw_status"], status_seed["status"])))
    touchpoints = stage_touchpoints(read_raw(args.raw_dir, "touchpoints"), event_stages)
    as_of = pd.Timestamp(args.as_of) if args.as_of else default_as_of(orders, touchpoints)
    kept_orders = keep_latest_orders(orders, as_of)
    kept_touchpoints = keep_first_touchpoints(touchpoints, as_of)
    log.info("pandas: staged and deduplicated, as of %s", as_of.date())

    valid = kept_orders[kept_orders["is_valid_purchase"]]
    order_facts = valid.groupby("person_id").agg(
        first_order_at=("ordered_at", "min"), last_order_at=("ordered_at", "max"),
        valid_order_count=("order_id", "size"), revenue_cents=("amount_cents", "sum"),
    )
    stages = stages_entered(observations(kept_touchpoints, kept_orders))

    sightings = pd.concat([
        kept_touchpoints[["person_id", "is_identified", "occurred_at"]].rename(columns={"occurred_at": "seen_at"}),
        kept_orders[["person_id", "ordered_at"]].rename(columns={"ordered_at": "seen_at"}).assign(is_identified=True),
    ], ignore_index=True)
    persons = sightings.groupby("person_id").agg(is_identified=("is_identified", "any"),
                                                 first_seen_at=("seen_at", "min"))
    first_touch = kept_touchpoints.sort_values(["person_id", "occurred_at", "touchpoint_id"]).drop_duplicates("person_id")
    persons["acquisition_channel"] = first_touch.set_index("person_id")["channel"]
    persons = persons.join(order_facts)
    persons["valid_order_count"] = persons["valid_order_count"].fillna(0).astype("int64")
    persons["revenue_cents"] = persons["revenue_cents"].fillna(0).astype("int64")
    as_of_day = as_of.floor("D")
    persons["days_since_last_order"] = (as_of_day - day(persons["last_order_at"])).dt.days.astype("Int64")

    advocacy = kept_touchpoints[kept_touchpoints["lifecycle_stage"] == "advocacy"]
    advocacy = advocacy[advocacy["occurred_at"] >= advocacy["person_id"].map(order_facts["first_order_at"])]
    last_advocacy = advocacy.groupby("person_id")["occurred_at"].max()
    days_since_advocacy = (as_of_day - day(persons.index.to_series().map(last_advocacy))).dt.days
    n, d = persons["valid_order_count"], persons["days_since_last_order"]
    persons["customer_type"] = np.select(
        [n.eq(0).to_numpy(bool),
         d.gt(args.rule_vars["lapsed_after_days"]).fillna(False).to_numpy(bool),
         n.lt(args.rule_vars["regular_min_orders"]).to_numpy(bool),
         days_since_advocacy.le(args.rule_vars["advocacy_window_days"]).fillna(False).to_numpy(bool)],
        ["potential", "lapsed", "new", "loyal"], default="regular",
    )
    current = stages[stages["is_current"]].set_index("person_id")
    persons["lifecycle_stage"] = current["lifecycle_stage"]
    persons["lifecycle_stage_entered_at"] = current["entered_at"]
    persons = persons.reset_index()

    dim_customers = pd.DataFrame({
        "person_id": persons["person_id"],
        "customer_id": persons["person_id"].where(persons["is_identified"]),
        "is_identified": persons["is_identified"],
        "first_seen_at": persons["first_seen_at"],
        "first_order_at": persons["first_order_at"],
        "last_order_at": persons["last_order_at"],
        "valid_order_count": persons["valid_order_count"],
        "lifetime_revenue": persons["revenue_cents"] / 100,
        "days_since_last_order": persons["days_since_last_order"],
        "acquisition_channel": persons["acquisition_channel"],
        "customer_type": persons["customer_type"],
        "lifecycle_stage": persons["lifecycle_stage"],
        "lifecycle_stage_entered_at": persons["lifecycle_stage_entered_at"],
        "as_of_date": as_of_day.date(),
    })

    stages = stages.sort_values(["person_id", "stage_rank"])
    previous = stages.groupby("person_id")["entered_at"].shift()
    stages_days = (stages["entered_at"] - previous).dt.total_seconds() / 86400
    per_stage = pd.DataFrame({"stage_rank": stages["stage_rank"], "days": stages_days}).groupby("stage_rank").agg(
        persons_entered=("stage_rank", "size"), median_days_from_previous=("days", "median"))
    funnel = pd.DataFrame({"lifecycle_stage": STAGES, "stage_rank": range(1, 8)}).join(per_stage, on="stage_rank")
    funnel["persons_entered"] = funnel["persons_entered"].fillna(0).astype("int64")
    entered = funnel["persons_entered"].astype("float")
    funnel["conversion_from_previous"] = (entered / entered.shift().where(entered.shift() > 0))
    funnel.loc[0, "conversion_from_previous"] = 1.0 if entered[0] > 0 else np.nan
    funnel["conversion_from_first"] = entered / entered[0] if entered[0] > 0 else np.nan

    per_type = persons.groupby("customer_type").agg(
        persons=("person_id", "size"), valid_orders=("valid_order_count", "sum"),
        revenue_cents=("revenue_cents", "sum"))
    summary = pd.DataFrame({"customer_type": CUSTOMER_TYPES}).join(per_type, on="customer_type")
    summary[["persons", "valid_orders", "revenue_cents"]] = (
        summary[["persons", "valid_orders", "revenue_cents"]].fillna(0).astype("int64"))
    total = int(summary["persons"].sum())
    summary["share_of_persons"] = summary["persons"] / total if total else np.nan
    summary["revenue"] = summary["revenue_cents"] / 100
    # five rows: the average is rounded half away from zero on exact decimals, like a decimal cast
    summary["avg_revenue_per_person"] = [
        float((decimal.Decimal(int(c)) / p / 100).quantize(decimal.Decimal("0.01"), decimal.ROUND_HALF_UP))
        if p else None for c, p in zip(summary["revenue_cents"], summary["persons"])
    ]

    fct_orders = kept_orders.assign(amount=kept_orders["amount_cents"] / 100)[
        ["order_id", "person_id", "ordered_at", "status", "amount", "coupon_code", "is_valid_purchase",
         "purchase_number"]]
    fct_orders["purchase_number"] = fct_orders["purchase_number"].astype("Int64")
    fct_touchpoints = kept_touchpoints[["touchpoint_id", "person_id", "anonymous_id", "customer_id",
                                        "occurred_at", "channel", "event_type", "lifecycle_stage", "campaign"]]
    reconciliation = pd.DataFrame([
        {"raw_table": name, "raw_rows": len(frame),
         **{f"{d}_rows": int((frame["disposition"] == d).sum())
            for d in ("kept", "collapsed", "quarantined", "after_as_of")}}
        for name, frame in (("orders", orders), ("touchpoints", touchpoints))
    ])
    return {
        "dim_customers": dim_customers,
        "customer_lifecycle_stages": stages,
        "fct_orders": fct_orders,
        "fct_touchpoints": fct_touchpoints,
        "lifecycle_funnel": funnel[["lifecycle_stage", "stage_rank", "persons_entered", "conversion_from_previous",
                                    "conversion_from_first", "median_days_from_previous"]],
        "customer_type_summary": summary[["customer_type", "persons", "share_of_persons", "valid_orders",
                                          "revenue", "avg_revenue_per_person"]],
        "row_reconciliation": reconciliation,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv, "folder to write <mart>.parquet files into")
    started = time.monotonic()
    marts = build(args)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, frame in marts.items():
        frame.to_parquet(args.out / f"{name}.parquet", index=False)
    log.info("baseline pandas: %s written in %.1f s", args.out, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
