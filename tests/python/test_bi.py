"""README "Connecting a BI tool" works as written, on a pipeline run on the demo data.

Every ```sql block of the section runs on the published warehouse and returns rows, and the
section has a query for every mart of models/marts/. Its `dbt docs serve` command, run as it is
(only the port changed to a free one) from a project folder laid out as `make demo` leaves it,
serves the docs site, catalog.json and manifest.json of the run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, readme_blocks, readme_command

SECTION = "Connecting a BI tool"
MARTS = sorted(path.stem for path in (PROJECT_DIR / "models" / "marts").glob("*.sql"))
QUERIES = readme_blocks(SECTION, "sql")


def test_the_section_has_a_query_for_every_mart():
    named = {name for query in QUERIES for name in re.findall(r"\bmarts\.(\w+)", query)}
    assert set(MARTS) <= named, f"no example query for {sorted(set(MARTS) - named)}"


@pytest.mark.parametrize(
    "query", QUERIES, ids=[re.search(r"\bmarts\.(\w+)", query).group(1) for query in QUERIES]
)
def test_readme_query_returns_rows(demo: Path, query: str):
    with duckdb.connect(str(demo), read_only=True) as con:
        rows = con.execute(query).fetchall()
    assert rows, query


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, url
        return bytes(response.read())


def test_readme_dbt_docs_serve_command_serves_the_run_docs(demo: Path, tmp_path: Path):
    (command,) = [
        line for block in readme_blocks(SECTION, "sh") for line in block.splitlines()
        if "dbt docs serve" in line
    ]
    words = readme_command(command)
    port = free_port()
    words[words.index("--port") + 1] = str(port)
    # the project folder after `make demo`: the project's files, and the run's dbt artifacts at
    # the path the command names (a copy: the server writes its index.html there)
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        (project / name).symlink_to(PROJECT_DIR / name)
    shutil.copytree(
        demo.with_name(f"{demo.stem}.dbt_target"), project / words[words.index("--target-path") + 1]
    )
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            words, cwd=project, env={**os.environ, "DO_NOT_TRACK": "1"},
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, f"dbt docs serve ended:\n{log.read_text()[-3000:]}"
            try:
                page = fetch(f"{base}/").decode()
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, f"no answer on {base}:\n{log.read_text()[-3000:]}"
                time.sleep(0.5)
        assert "<title>dbt Docs</title>" in page
        catalog = json.loads(fetch(f"{base}/catalog.json"))
        manifest = json.loads(fetch(f"{base}/manifest.json"))
        catalogued = {node["metadata"]["name"] for node in catalog["nodes"].values()}
        assert set(MARTS) <= catalogued
        assert {f"model.customer_lifecycle.{mart}" for mart in MARTS} <= set(manifest["nodes"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
