"""What a failed or warned expectation says, in words (used by scripts/validate.py).

A message names the table, the check, what was seen and the limit, with numbers written for
people (1,204; 11.1 %), never GX's expectation names or numpy reprs:

    fct_orders: 1 of 7 rows has amount below 0: -1 (order_id o1)
    orders: 11.1 % of rows quarantined (invalid_amount 9.8 %, missing_id 1.3 %) > quarantine_fail_rate 10 %

Row-level suites get a sentence per expectation type (`generic`), identifying rows by the
dataset's `key` columns. Suites over one-row-per-thing audit tables give each expectation a
template in its `meta.message` instead, filled once per failing row with the row's columns
(`{raw_table}`; `{quarantine_rate:%}` as a percentage, `{row_count:@row}` with its noun),
`{value}` (the checked column), `{limit}` and `{limit_name}` (the bound crossed and its suite parameter), `{observed}` (a table
expectation's observed value) and the `DETAILS` below, computed only when a template asks.
Failing rows are collected over every batch of a suite, so a count is for the whole table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import string
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Failing rows a generic message shows; GX's SUMMARY result lists at most 20 per batch.
SHOWN_EXAMPLES = 3
KEPT_ROWS = 20
# A value set longer than this is not spelled out in a message.
LISTED_VALUES = 8
# Raw tables whose quarantine is in audit.quarantined_<table> (also guards the SQL below).
RAW_TABLES = ("orders", "touchpoints")


def count(number: int) -> str:
    return f"{int(number):,}"


def plural(number: int, noun: str, nouns: str | None = None) -> str:
    return f"{count(number)} {noun if number == 1 else (nouns or noun + 's')}"


def percent(ratio: float) -> str:
    """A share as a percentage with at most one decimal: 0.111 -> '11.1 %', 0.1 -> '10 %'.
    A share that is not zero never reads as 0."""
    share = float(ratio) * 100
    if 0 < abs(share) < 0.05:
        return "< 0.1 %"
    text = f"{share:,.1f}"
    return f"{text.removesuffix('.0')} %"


def plain(value: Any) -> Any:
    """A numpy or pandas scalar as the Python value it holds (so that no repr leaks)."""
    if type(value).__name__ == "datetime64":
        # numpy's item() of a nanosecond timestamp is an integer, not a datetime
        import pandas as pd

        return pd.Timestamp(value).to_pydatetime()
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            return item()
        except (ValueError, TypeError):
            return value
    return value


def is_missing(value: Any) -> bool:
    value = plain(value)
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict)) else False
    except (ImportError, TypeError, ValueError):
        return False


def human(value: Any) -> str:
    """A value as a person reads it: counts with thousands separators, no trailing zeros,
    timestamps without a T, null for a missing value."""
    value = plain(value)
    if is_missing(value):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return count(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return count(int(value))
        if abs(value) >= 0.01:
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{value:.2g}"
    if isinstance(value, decimal.Decimal):
        return f"{value:,}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class Dataset:
    """How messages name what a suite validates (suite meta.dataset)."""

    subject: str
    key: list[str] = field(default_factory=list)
    order_by: str | None = None

    @classmethod
    def from_meta(cls, dataset: Mapping[str, Any]) -> Dataset:
        if dataset.get("subject"):
            subject = str(dataset["subject"])
        elif dataset.get("kind") == "columns":
            subject = "the columns of " + ", ".join(dataset.get("relations", []))
        else:
            subject = str(dataset.get("relation", "")).rpartition(".")[2]
        return cls(subject=subject, key=list(dataset.get("key", [])), order_by=dataset.get("order_by"))


@dataclass
class FailingRow:
    batch: int
    index: Any
    values: dict[str, Any]
    previous: dict[str, Any] | None = None  # the row before it, for "grows from ... to ..."


@dataclass
class Finding:
    """What one expectation saw over every batch of its suite."""

    item: Mapping[str, Any]  # the expectation as written in the suite file
    parameters: Mapping[str, Any]
    checked: int = 0
    unexpected: int = 0
    rows: list[FailingRow] = field(default_factory=list)
    observed: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def type(self) -> str:
        return str(self.item["type"])

    @property
    def warning(self) -> bool:
        return str(self.item.get("severity", "critical")).lower() == "warning"

    @property
    def kwargs(self) -> dict[str, Any]:
        """The kwargs with suite parameters ({"$PARAMETER": name}) replaced by their values."""
        kwargs = self.item.get("kwargs", {})
        return {
            name: self.parameters.get(name_of) if (name_of := self.parameter_name(name)) else value
            for name, value in kwargs.items()
        }

    def parameter_name(self, kwarg: str) -> str | None:
        value = self.item.get("kwargs", {}).get(kwarg)
        return value["$PARAMETER"] if isinstance(value, dict) and "$PARAMETER" in value else None

    @property
    def columns(self) -> list[str]:
        kwargs = self.item.get("kwargs", {})
        return [kwargs[name] for name in ("column", "column_A", "column_B") if kwargs.get(name)]

    def add(self, result: Any, frame: Any, batch: int, error: str | None) -> None:
        """Adds one batch's GX result (SUMMARY format) and the frame it was computed on."""
        if error is not None:
            self.errors.append(error)
            return
        details = result.result or {}
        self.checked += int(details.get("element_count", len(frame)))
        if result.success:
            return
        if "unexpected_count" not in details:
            self.observed.append(details.get("observed_value"))
            return
        self.unexpected += int(details["unexpected_count"])
        for index in details.get("partial_unexpected_index_list") or []:
            if len(self.rows) >= KEPT_ROWS:
                break
            position = frame.index.get_loc(index)
            previous = frame.iloc[position - 1].to_dict() if isinstance(position, int) and position > 0 else None
            self.rows.append(FailingRow(batch, index, frame.loc[index].to_dict(), previous))


def drop_repeated_warnings(findings: Sequence[Finding]) -> None:
    """A row that fails a critical expectation on a column is not warned about again on that
    column (a quarantine rate above the fail rate is also above the warn rate)."""
    failed: dict[str, set[tuple[int, Any]]] = {}
    for finding in findings:
        if not finding.warning:
            for column in finding.columns:
                failed.setdefault(column, set()).update((row.batch, row.index) for row in finding.rows)
    for finding in findings:
        if not finding.warning or not finding.rows:
            continue
        seen = set().union(*(failed.get(column, set()) for column in finding.columns))
        kept = [row for row in finding.rows if (row.batch, row.index) not in seen]
        finding.unexpected -= len(finding.rows) - len(kept)
        finding.rows = kept


# --- details a template may ask for -----------------------------------------------------------


@dataclass
class Context:
    """What details are computed from: the warehouse, the suite's expectations as written, and
    for a suite of kind "columns" every "relation.column TYPE" seen."""

    wh: Any
    items: Sequence[Mapping[str, Any]]
    columns_seen: list[str] = field(default_factory=list)

    def contract(self) -> list[str]:
        for item in self.items:
            if item["type"] == "expect_column_values_to_be_in_set":
                return list(item["kwargs"]["value_set"])
        return []


def quarantine_reasons(context: Context, row: Mapping[str, Any]) -> str:
    """'invalid_amount 9.8 %, missing_id 1.3 %': each reason's share of the raw table's rows,
    counted in the warehouse (the quarantine may hold millions of rows)."""
    table, raw_rows = row.get("raw_table"), plain(row.get("raw_rows"))
    if table not in RAW_TABLES or not raw_rows:
        return "no reason recorded"
    reasons = context.wh.rows(
        f"select quarantine_reason, count(*) from {context.wh.relation(f'audit.quarantined_{table}')} "
        "group by quarantine_reason order by 2 desc, 1"
    )
    return ", ".join(f"{reason} {percent(rows / raw_rows)}" for reason, rows in reasons) or "no reason recorded"


def missing_columns(context: Context, row: Mapping[str, Any]) -> str:
    absent = [entry for entry in context.contract() if entry not in context.columns_seen]
    return "missing " + ", ".join(absent) if absent else "none of the contracted ones missing"


def contract_verdict(context: Context, row: Mapping[str, Any]) -> str:
    """'the contract says DECIMAL(18,2)' for a column of another type, else 'not in the contract'."""
    name = str(row.get("column_and_type", "")).partition(" ")[0]
    contracted = [entry.partition(" ")[2] for entry in context.contract() if entry.partition(" ")[0] == name]
    return f"the contract says {', '.join(contracted)}" if contracted else "not in the contract"


DETAILS: dict[str, Callable[[Context, Mapping[str, Any]], str]] = {
    "quarantine_reasons": quarantine_reasons,
    "missing_columns": missing_columns,
    "contract_verdict": contract_verdict,
}


class PeopleFormatter(string.Formatter):
    """str.format with values written for people; the spec `%` writes a share as a percentage,
    `@noun` a count with its noun (`{row_count:@row}`: 1 row, 2 rows)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "%":
            return percent(plain(value))
        if format_spec.startswith("@"):
            return plural(plain(value), format_spec[1:])
        if format_spec:
            return format(plain(value), format_spec)
        return human(value)


class Fields(Mapping[str, Any]):
    """A template's fields: named values first, then the row's columns, then DETAILS (computed
    only when the template names them)."""

    def __init__(self, named: Mapping[str, Any], row: Mapping[str, Any], context: Context) -> None:
        self.named, self.row, self.context = named, row, context

    def __getitem__(self, name: str) -> Any:
        if name in self.named:
            return self.named[name]
        if name in self.row:
            return self.row[name]
        if name in DETAILS:
            return DETAILS[name](self.context, self.row)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter({**self.row, **self.named, **DETAILS})

    def __len__(self) -> int:
        return len(set(self.row) | set(self.named) | set(DETAILS))


# --- the messages -----------------------------------------------------------------------------


def messages(finding: Finding, dataset: Dataset, context: Context) -> list[tuple[str, str]]:
    """What a finding prints, as (errored, failed or warned; sentence): one sentence per failing
    row for a template, else one sentence."""
    what = " and ".join(finding.columns) or words(finding.type)
    lines = [("errored", f"{dataset.subject}: could not check {what}: {error}")
             for error in dict.fromkeys(finding.errors)]
    if not (finding.unexpected or finding.observed):
        return lines
    kind = "warned" if finding.warning else "failed"
    template = finding.item.get("meta", {}).get("message")
    sentences = from_template(str(template), finding, context) if template else [generic(finding, dataset)]
    return lines + [(kind, sentence) for sentence in sentences]


def from_template(template: str, finding: Finding, context: Context) -> list[str]:
    formatter = PeopleFormatter()
    kwargs = finding.kwargs
    column = kwargs.get("column")
    lines = [
        formatter.vformat(template, (), Fields({"observed": observed, "limit": kwargs.get("value")}, {}, context))
        for observed in finding.observed
    ]
    for row in finding.rows:
        value = row.values.get(column) if column else None
        bound = crossed_bound(finding, value)
        named = {
            "value": value,
            "limit": kwargs.get(bound) if bound else None,
            "limit_name": (finding.parameter_name(bound) or "") if bound else "",
        }
        lines.append(formatter.vformat(template, (), Fields(named, row.values, context)))
    if finding.unexpected > len(finding.rows) and finding.rows:
        lines.append(f"... and {plural(finding.unexpected - len(finding.rows), 'more row')} like these")
    return lines


def crossed_bound(finding: Finding, value: Any) -> str | None:
    """Which kwarg of a between expectation the value is outside of."""
    kwargs = finding.kwargs
    if "min_value" not in kwargs and "max_value" not in kwargs:
        return None
    value = plain(value)
    if kwargs.get("min_value") is not None and not is_missing(value) and value < kwargs["min_value"]:
        return "min_value"
    return "max_value" if kwargs.get("max_value") is not None else "min_value"


def words(expectation_type: str) -> str:
    return expectation_type.removeprefix("expect_").replace("_", " ")


def identify(row: Mapping[str, Any], dataset: Dataset, checked: Sequence[str]) -> str:
    """'order_id o1': the row's key, without the columns the expectation checks."""
    parts = [f"{column} {human(row[column])}" for column in dataset.key
             if column in row and column not in checked and not is_missing(row[column])]
    return ", ".join(parts)


def examples(finding: Finding, dataset: Dataset, show: Callable[[FailingRow], str]) -> str:
    """'-1 (order_id o1), -5 (order_id o9) and 3 more'."""
    shown = finding.rows[:SHOWN_EXAMPLES]
    parts = []
    for row in shown:
        key = identify(row.values, dataset, finding.columns)
        text = show(row)
        parts.append(f"{text} ({key})" if text and key else text or key)
    text = ", ".join(part for part in parts if part)
    more = finding.unexpected - len([part for part in parts if part])
    if more > 0 and text:
        text += f" and {count(more)} more"
    return text


def key_examples(finding: Finding, dataset: Dataset) -> str:
    """'order_id o1, o2, o3 and 4 more': the keys of failing rows, a single key column named once."""
    key = [column for column in dataset.key if column not in finding.columns]
    if len(key) != 1:
        return examples(finding, dataset, lambda row: "")
    values = [human(row.values[key[0]]) for row in finding.rows[:SHOWN_EXAMPLES]
              if key[0] in row.values and not is_missing(row.values[key[0]])]
    if not values:
        return ""
    more = finding.unexpected - len(values)
    return f"{key[0]} {', '.join(values)}" + (f" and {count(more)} more" if more > 0 else "")


def allowed(values: Sequence[Any]) -> str:
    if len(values) <= LISTED_VALUES:
        return ", ".join(human(value) for value in values)
    return f"the {count(len(values))} allowed values"


def bounds_text(kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"other than {human(low)}" if low == high else f"outside {human(low)} to {human(high)}"
    return f"below {human(low)}" if low is not None else f"above {human(high)}"


def generic(finding: Finding, dataset: Dataset) -> str:
    """One sentence for an expectation without a template."""
    subject, kwargs, kind = dataset.subject, finding.kwargs, finding.type
    column = kwargs.get("column", "")
    if finding.observed:
        seen = ", ".join(human(value) for value in finding.observed)
        if kind == "expect_table_row_count_to_equal":
            return f"{subject} has {seen} rows, expected {human(kwargs.get('value'))}"
        return f"{subject}: {words(kind)} does not hold (observed {seen})"
    share = f"{count(finding.unexpected)} of {plural(finding.checked, 'row')}"
    verb = "has" if finding.unexpected == 1 else "have"

    def value(row: FailingRow) -> str:
        return human(row.values.get(column))

    if kind == "expect_column_values_to_not_be_null":
        keys = key_examples(finding, dataset)
        return f"{subject}: {share} {verb} no {column}" + (f" ({keys})" if keys else "")
    if kind == "expect_column_values_to_be_null":
        return f"{subject}: {share} {verb} a {column}, none may: {examples(finding, dataset, value)}"
    if kind == "expect_column_values_to_be_between":
        return f"{subject}: {share} {verb} {column} {bounds_text(kwargs)}: {examples(finding, dataset, value)}"
    if kind == "expect_column_values_to_be_in_set":
        return (f"{subject}: {share} {verb} a {column} outside {allowed(kwargs.get('value_set', []))}: "
                f"{examples(finding, dataset, value)}")
    if kind == "expect_column_values_to_be_unique":
        repeated = Counter(human(row.values.get(column)) for row in finding.rows)
        listed = ", ".join(f"{text} {plural(times, 'time')}" for text, times in repeated.items())
        return f"{subject}: {column} is not unique: {listed}"
    if kind in {"expect_column_values_to_be_decreasing", "expect_column_values_to_be_increasing"}:
        grows = kind.endswith("decreasing")
        steps = [
            f"from {human(row.previous.get(column))} ({identify(row.previous, dataset, [column])}) "
            f"to {human(row.values.get(column))} ({identify(row.values, dataset, [column])})"
            for row in finding.rows[:SHOWN_EXAMPLES] if row.previous is not None
        ]
        along = f" along {dataset.order_by}" if dataset.order_by else ""
        allowed_moves = ("fall" if grows else "grow") if kwargs.get("strictly") else (
            "stay or fall" if grows else "stay or grow")
        return (f"{subject}: {column} {'grows' if grows else 'falls'} {'; '.join(steps)}; "
                f"it may only {allowed_moves}{along}")
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        times = any(isinstance(plain(row.values.get(a)), dt.date) for row in finding.rows)
        relation = ("earlier than" if times else "smaller than") if kwargs.get("or_equal") else (
            "not later than" if times else "not greater than")
        return (f"{subject}: {share} {verb} {a} {relation} {b}: "
                + examples(finding, dataset, lambda row: f"{human(row.values.get(a))} and {human(row.values.get(b))}"))
    if kind == "expect_column_pair_values_to_be_equal":
        a, b = kwargs["column_A"], kwargs["column_B"]
        return (f"{subject}: {share} {verb} {a} different from {b}: "
                + examples(finding, dataset, lambda row: f"{human(row.values.get(a))} and {human(row.values.get(b))}"))
    target = column or " and ".join(finding.columns) or "the table"
    return f"{subject}: {share} fail '{words(kind)}' on {target}: {examples(finding, dataset, value)}"
