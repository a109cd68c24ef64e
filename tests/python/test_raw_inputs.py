"""Bad or unusual raw input: a clear one-line error (exit 2) or the same marts, never a traceback."""

from __future__ import annotations

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


def test_missing_required_column_names_file_and_column(raw_dir: Path, tmp_path: Path):
    orders = raw_dir / "orders.csv"
    lines = orders.read_text().splitlines()
    # drop the amount column (the sixth)
    orders.write_text("\n".join(",".join(line.split(",")[:5] + line.split(",")[6:]) for line in lines))
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(raw_dir))
    assert_clear_error(run, str(orders), "has no column amount")


def test_missing_file(raw_dir: Path, tmp_path: Path):
    (raw_dir / "touchpoints.csv").unlink()
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(raw_dir))
    assert_clear_error(run, "no touchpoints file in", str(raw_dir))


def test_empty_file(raw_dir: Path, tmp_path: Path):
    (raw_dir / "orders.csv").write_text("")
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(raw_dir))
    assert_clear_error(run, str(raw_dir / "orders.csv"), "is empty")


def test_unparseable_parquet(raw_dir: Path, tmp_path: Path):
    (raw_dir / "orders.csv").unlink()
    (raw_dir / "orders.parquet").write_bytes(b"this is not a parquet file at all" * 10)
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(raw_dir))
    assert_clear_error(run, str(raw_dir / "orders.parquet"))


def test_ragged_csv_line(raw_dir: Path, tmp_path: Path):
    with (raw_dir / "orders.csv").open("a") as handle:
        handle.write("o99,c99,2026-01-01T00:00:00Z,,paid,1.00,,one too many\n")
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(raw_dir))
    assert_clear_error(run, str(raw_dir / "orders.csv"), "Expected Number of Columns: 7 Found: 8")


def test_same_table_given_twice(raw_dir: Path, tmp_path: Path):
    duckdb.execute(
        f"copy (select * from read_csv('{raw_dir / 'orders.csv'}')) to '{raw_dir / 'orders.parquet'}'"
    )
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(raw_dir))
    assert_clear_error(run, "orders is given twice")


def test_raw_dir_that_does_not_exist(tmp_path: Path):
    run = run_pipeline(tmp_path / "w.duckdb", "--raw-dir", str(tmp_path / "nowhere"))
    assert_clear_error(run, "is not a folder")


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
    from build_inputs import BuildInputs, write_record

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
