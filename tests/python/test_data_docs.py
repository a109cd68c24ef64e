"""The Data Docs and dbt docs a run writes can be opened and read in a browser, offline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import CASES_DIR, PROJECT_DIR, run_pipeline

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import validate as quality  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


class VisibleText(HTMLParser):
    """Text a reader sees: everything but scripts, styles and attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden_depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in {"script", "style", "template"}:
            self.hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "template"} and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth and data.strip():
            self.parts.append(data.strip())


def rendered_text(page: Path, profile: Path) -> list[str]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip(
            "!!! chromium is not installed and `make browser` could not install it: "
            "the Data Docs were NOT checked in a browser !!!"
        )
    dom = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    parser = VisibleText()
    parser.feed(dom)
    return parser.parts


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("docs") / "lifecycle.duckdb"
    run = run_pipeline(warehouse, "--raw-dir", str(CASES_DIR / "worked_example" / "raw"))
    assert run.returncode == 0, run.stderr[-3000:]
    return warehouse.parent / "reports"


def test_data_docs_index_shows_every_suite(reports: Path, tmp_path: Path):
    if not (PROJECT_DIR / "scripts" / "data_docs_assets" / "node_modules").is_dir():
        pytest.skip(
            "!!! the Data Docs assets are not installed (`make docs-assets` needs npm): the page "
            "would only render online, so it was NOT checked !!!"
        )
    index = reports / "data_docs" / "index.html"
    visible = rendered_text(index, tmp_path / "profile")
    suites = sorted(path.stem for path in (PROJECT_DIR / "expectations").glob("*.json"))
    missing = [suite for suite in suites if suite not in visible]
    assert not missing, f"suites not shown on the Data Docs index: {missing}"
    text = index.read_text()
    still_remote = [url for url in quality.CDN_ASSETS if url in text]
    assert not still_remote, f"assets still loaded from a CDN: {still_remote}"


def test_dbt_docs_site_is_written(reports: Path):
    page = reports / "dbt_docs" / "index.html"
    text = page.read_text()
    # the static site embeds the manifest: every mart is described in it
    for mart in ("dim_customers", "customer_lifecycle_stages", "lifecycle_funnel", "customer_type_summary"):
        assert f"model.customer_lifecycle.{mart}" in text
