"""Bad or unusual raw input: a clear one-line error (exit 2) or the same marts, never a traceback."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import CASES_DIR, format_cell, read_table, run_pipeline

WORKED_EXAMPLE = CASES_DIR / "worked_example" / "raw"
ORDERS_HEADER = "order_id,customer_id,ordered_at,updated_at,status,amount,coupon_code"


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    shutil.copytree(WORKED_EXAMPLE, folder)
    return folder


def assert_clear_error(run, *fragments: str) -> None:
    assert run.returncode == 2, run.stdout[-2000:] + run.stderr[-2000:]
    error_lines = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, run.stderr
    assert error_lines[0].startswith("error: raw input error: ")
    for fragment in fragments:
        assert fragment in error_lines[0]
    assert "Traceback" not in run.stderr + run.stdout


def drop_amount_column(raw: Path) -> None:
    lines = (raw / "orders.csv").read_text().splitlines()
    (raw / "orders.csv").write_text(
        "\n".join(",".join(line.split(",")[:5] + line.split(",")[6:]) for line in lines)
    )


def latin1_orders(raw: Path) -> None:
    text = (raw / "orders.csv").read_text().replace("completed", "complété", 1)
    (raw / "orders.csv").write_bytes(text.encode("latin-1"))


def orders_also_as_parquet(raw: Path) -> None:
    duckdb.execute(f"copy (select * from read_csv('{raw / 'orders.csv'}')) to '{raw / 'orders.parquet'}'")


def parquet_that_is_not(raw: Path) -> None:
    (raw / "orders.csv").unlink()
    (raw / "orders.parquet").write_bytes(b"this is not a parquet file at all" * 10)


def append_orders(text: str):
    def change(raw: Path) -> None:
        with (raw / "orders.csv").open("a") as handle:
            handle.write(text)
    return change


NOTHING_PUBLISHED = "(nothing published; failed build kept at {tmp}/w.build.duckdb)"
# the raw-input finder refuses the folder before anything is built (lifecycle/raw_inputs.py)
NOTHING_BUILT = "(nothing published)"
# Bad inputs and the exact last line the run prints ({raw}: the raw folder, {tmp}: the
# warehouse's). Every one exits 2 and prints no traceback.
BAD_INPUTS = {
    "missing required column": (
        drop_amount_column,
        "error: raw input error: {raw}/orders.csv has no column amount (required for orders, "
        "docs/definitions.md §2) " + NOTHING_PUBLISHED,
    ),
    "missing file": (
        lambda raw: (raw / "touchpoints.csv").unlink(),
        "error: raw input error: no touchpoints file in {raw} (expected touchpoints.csv, "
        "touchpoints.parquet or a folder touchpoints/ of .parquet files) " + NOTHING_BUILT,
    ),
    "empty file": (
        lambda raw: (raw / "orders.csv").write_text(""),
        "error: raw input error: {raw}/orders.csv is empty (expected a header row) "
        + NOTHING_BUILT,
    ),
    "not UTF-8": (
        latin1_orders,
        "error: raw input error: orders.csv is not UTF-8 (line 2): save it as UTF-8 and run "
        "again " + NOTHING_PUBLISHED,
    ),
    "ragged line": (
        append_orders("o99,c99,2026-01-01T00:00:00Z,,paid,1.00,,one too many\n"),
        "error: raw input error: {raw}/orders.csv: ... (Expected Number of Columns: 7 Found: 8) "
        + NOTHING_PUBLISHED,
    ),
    "same table twice": (
        orders_also_as_parquet,
        "error: raw input error: orders is given twice in {raw} ({raw}/orders.csv and "
        "{raw}/orders.parquet); keep one " + NOTHING_BUILT,
    ),
    "not Parquet": (
        parquet_that_is_not,
        "error: raw input error: {raw}/orders.parquet is not a Parquet file (no Parquet footer: "
        "cut short, or another format) " + NOTHING_PUBLISHED,
    ),
}


def matches(line: str, expected: str) -> bool:
    """`expected` with ... standing for any text (DuckDB's own words, which vary by release)."""
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, line) is not None


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_ends_in_one_exact_line(case: str, raw_dir: Path, tmp_path: Path):
    change, expected = BAD_INPUTS[case]
    change(raw_dir)
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(raw_dir))
    assert run.returncode == 2, run.stdout[-2000:] + run.stderr[-2000:]
    last_line = run.stderr.rstrip("\n").splitlines()[-1]
    expected = expected.format(raw=raw_dir, tmp=tmp_path)
    assert matches(last_line, expected), f"{last_line}\n!=\n{expected}"
    assert "Traceback" not in run.stderr + run.stdout
    # nothing of dbt's own log on the console (it is in the run's dbt.log)
    assert "Running with dbt" not in run.stdout
    dbt_log = tmp_path / "w.dbt_target" / "dbt.log"
    if expected.endswith(NOTHING_BUILT):
        # refused by the finder: dbt never ran, no build file was made
        assert not dbt_log.exists() and not (tmp_path / "w.build.duckdb").exists()
    else:
        assert "Running with dbt" in dbt_log.read_text()


def test_raw_dir_that_does_not_exist(tmp_path: Path):
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(tmp_path / "nowhere"))
    assert run.stderr.rstrip("\n").splitlines()[-1] == (
        f"error: raw input error: --raw-dir {tmp_path / 'nowhere'} is not a folder"
    )


def test_bad_as_of_is_a_usage_error(tmp_path: Path):
    run = run_pipeline(tmp_path / "w.duckdb", "--as-of", "30/06/2026")
    assert run.returncode == 2
    assert "not a date in YYYY-MM-DD form" in run.stderr
    assert "Traceback" not in run.stderr


def test_header_only_files_give_empty_marts(raw_dir: Path, tmp_path: Path):
    (raw_dir / "orders.csv").write_text(ORDERS_HEADER + "\n")
    (raw_dir / "touchpoints.csv").write_text(
        "touchpoint_id,anonymous_id,customer_id,occurred_at,channel,event_type,campaign\n"
    )
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(raw_dir), "--as-of", "2026-06-30")
    assert run.returncode == 0, run.stderr[-2000:]
    assert read_table(run.warehouse, "dim_customers", ["person_id"]) == []
    funnel = read_table(run.warehouse, "lifecycle_funnel", ["stage_rank", "persons_entered"])
    assert sorted((row["stage_rank"], row["persons_entered"]) for row in funnel) == [
        (rank, 0) for rank in range(1, 8)
    ]


def test_parquet_parts_and_optional_columns_give_the_same_marts(raw_dir: Path, tmp_path: Path):
    """Orders as a folder of Parquet parts, touchpoints as Parquet without the optional campaign
    column and with columns in another order and case: the same marts as from the CSV files."""
    csv_run = run_pipeline(tmp_path / "csv.duckdb", "--raw-dir", str(raw_dir), "--as-of", "2026-06-30")
    assert csv_run.returncode == 0, csv_run.stderr[-2000:]

    parquet_dir = tmp_path / "parquet"
    (parquet_dir / "orders").mkdir(parents=True)
    orders_csv = raw_dir / "orders.csv"
    duckdb.execute(
        f"copy (select * from read_csv('{orders_csv}', all_varchar = true) where order_id <= 'o3') "
        f"to '{parquet_dir / 'orders' / 'part-0.parquet'}'"
    )
    duckdb.execute(
        f"copy (select * from read_csv('{orders_csv}', all_varchar = true) where order_id > 'o3') "
        f"to '{parquet_dir / 'orders' / 'part-1.parquet'}'"
    )
    duckdb.execute(
        "copy (select event_type as EVENT_TYPE, touchpoint_id, anonymous_id, customer_id, "
        "cast(occurred_at as timestamptz) as occurred_at, channel "
        f"from read_csv('{raw_dir / 'touchpoints.csv'}', all_varchar = true)) "
        f"to '{parquet_dir / 'touchpoints.parquet'}'"
    )
    parquet_run = run_pipeline(
        tmp_path / "parquet.duckdb", "--raw-dir", str(parquet_dir), "--as-of", "2026-06-30"
    )
    assert parquet_run.returncode == 0, parquet_run.stderr[-2000:]

    columns = ["person_id", "customer_type", "lifecycle_stage", "lifecycle_stage_entered_at",
               "lifetime_revenue", "acquisition_channel"]
    def snapshot(run):
        return sorted(
            tuple(format_cell(row[column]) for column in columns)
            for row in read_table(run.warehouse, "dim_customers", columns)
        )
    assert snapshot(parquet_run) == snapshot(csv_run)
    assert len(snapshot(csv_run)) == 6
    campaigns = read_table(parquet_run.warehouse, "fct_touchpoints", ["campaign"])
    assert {row["campaign"] for row in campaigns} == {None}


def test_failed_model_is_one_line_naming_the_model(raw_dir: Path, tmp_path: Path):
    # A published warehouse whose incremental staging table predates incremental processing: the
    # model refuses to continue from it (macros/incremental.sql), a genuine model failure. (Bad
    # vars no longer reach a model: they are refused before anything runs, test_vars.py.)
    # It records the same inputs as the run's, so that the run continues it instead of
    # rebuilding (test_switching_inputs.py).
    from lifecycle.build_inputs import BuildInputs, write_record

    published = tmp_path / "w.duckdb"
    with duckdb.connect(str(published)) as con:
        con.execute("create schema staging")
        con.execute("create table staging.stg_raw__orders (order_id varchar)")
        write_record(con, BuildInputs.of(raw_dir.resolve(), "2026-07-01"))
    before = published.read_bytes()
    run = run_pipeline(published, "--raw-dir", str(raw_dir), "--vars", "load_date=2026-07-01")
    assert run.returncode == 1, run.stderr[-2000:]
    error_lines = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, run.stderr
    assert error_lines[0].startswith(
        "error: build failed: model stg_raw__orders: "
    ), error_lines[0]
    assert "rebuild it once with --full-refresh" in error_lines[0]
    assert error_lines[0].endswith(
        f"(published warehouse untouched; failed build kept at {tmp_path / 'w.build.duckdb'})"
    )
    assert published.read_bytes() == before
    assert "Traceback" not in run.stderr + run.stdout


def test_out_of_memory_says_which_setting_to_raise(raw_dir: Path, tmp_path: Path):
    run = run_pipeline(
        tmp_path / "w.duckdb", "--raw-dir", str(raw_dir),
        environment={"LIFECYCLE_DUCKDB_MEMORY_LIMIT": "1MB"},
    )
    assert run.returncode == 1, run.stderr[-2000:]
    error_lines = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, run.stderr
    assert "(DuckDB's memory_limit is 1MB: raise it with LIFECYCLE_DUCKDB_MEMORY_LIMIT" in error_lines[0]
    assert "Traceback" not in run.stderr + run.stdout
