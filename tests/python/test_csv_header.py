"""The columns of a raw CSV file come from its first line, whatever order DuckDB's parallel scan
returns the lines in (issue 11: a large touchpoints.csv failed about one time in two with "has no
column touchpoint_id, ..." because a data line was taken for the header)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from conftest import PROJECT_DIR

DBT = Path(sys.executable).parent / "dbt"
READS = 200
# A BOM, quotes and padding: the cleaning the header gets must not change.
HEADER = '\ufeff"Touchpoint_ID", anonymous_id ,customer_id,occurred_at,channel,event_type,campaign\n'
EXPECTED = {
    "touchpoint_id": "Touchpoint_ID", "anonymous_id": "anonymous_id", "customer_id": "customer_id",
    "occurred_at": "occurred_at", "channel": "channel", "event_type": "event_type",
    "campaign": "campaign",
}


def write_large_csv(path: Path) -> None:
    """About 30 MB in many scan chunks. The first ~7 MB are rows with a long campaign text, so
    the thread scanning the start of the file is the slowest to give its first rows: with the
    order not kept, another thread's data line comes first most often, as on a busy machine."""
    body = path.with_suffix(".body")
    with duckdb.connect() as con:
        con.execute(f"""
            copy (
                select 't' || i, '', 'c' || (i % 5000), '2026-01-03T09:00:00Z', 'email',
                    'email_open', case when i < 3000 then repeat('x', 2500) else 'winter' end
                from range(400000) as rows (i)
            ) to '{body}' (format csv, header false)
        """)
    with path.open("wb") as out, body.open("rb") as rows:
        out.write(HEADER.encode("utf-8"))
        shutil.copyfileobj(rows, out)
    body.unlink()


def test_header_is_the_first_line_of_a_large_csv_on_every_read(tmp_path: Path):
    csv_path = tmp_path / "touchpoints.csv"
    write_large_csv(csv_path)
    assert csv_path.stat().st_size > 25_000_000
    # Many reads in one dbt process (one connection, as in a run) with more DuckDB threads than
    # the profile's 2: each read is a fresh chance for a worker thread to come first.
    inline = (
        "{% if execute %}{% for i in range(" + str(READS) + ") %}"
        "{{ csv_header_columns('" + str(csv_path) + "') | tojson }}\n{% endfor %}"
        "setting {{ run_query(\"select current_setting('preserve_insertion_order')\").rows[0][0] }}"
        "{% endif %}"
    )
    env = {
        **os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR), "DO_NOT_TRACK": "1",
        "LIFECYCLE_WAREHOUSE": str(tmp_path / "w.duckdb"), "LIFECYCLE_DUCKDB_THREADS": "8",
    }
    completed = subprocess.run(
        [str(DBT), "--quiet", "compile", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--inline", inline],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    headers = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(headers) == READS, completed.stdout[-3000:]
    wrong = [header for header in headers if header != EXPECTED]
    assert not wrong, f"{len(wrong)} of {READS} reads took another line for the header: {wrong[0]}"
    # the models still run with the profile's setting
    assert lines[-1] == "setting False"
