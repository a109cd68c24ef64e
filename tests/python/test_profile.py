"""The DuckDB output of profiles.yml keeps working once DuckDB has spilled to disk.

dbt-duckdb applies the profile's `settings` again on every cursor it opens (each model and test
of a build), and DuckDB refuses to set temp_directory again once it has been used. With
temp_directory among the settings, every test after the first spilling model failed ("Cannot
switch temporary directory") at 50M touchpoints; it belongs in `config_options`, applied once when
the file is opened. The test goes through dbt-duckdb's own connection code with the rendered
profile, and a sort larger than the memory limit makes DuckDB spill.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.environments import Environment

from lifecycle.engines import profile_output


def test_settings_apply_again_after_a_spill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    warehouse = tmp_path / "spill.duckdb"
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("LIFECYCLE_DUCKDB_MEMORY_LIMIT", "64MB")
    output = profile_output("duckdb")
    credentials = DuckDBCredentials.from_dict({
        "database": "spill", "schema": "main", "path": output["path"],
        "settings": output.get("settings"), "config_options": output.get("config_options"),
    })
    connection = Environment.initialize_db(credentials)
    try:
        first = Environment.initialize_cursor(credentials, connection.cursor())
        # 20M rows of 8 bytes to sort under a 64 MB limit: DuckDB must spill
        assert first.execute(
            "select count(*) from (select i from range(20000000) as t (i) order by hash(i))"
        ).fetchone() == (20_000_000,)
        memory_limit = first.execute("select current_setting('memory_limit')").fetchone()
        spill_folder = Path(f"{warehouse}.tmp")
        assert spill_folder.is_dir() and any(spill_folder.iterdir()), "nothing spilled"
        # the next model or test of the build: a new cursor with the settings applied again
        second = Environment.initialize_cursor(credentials, connection.cursor())
        assert second.execute("select current_setting('memory_limit')").fetchone() == memory_limit
    finally:
        connection.close()
