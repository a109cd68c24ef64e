"""The Data Docs and dbt docs a run writes can be opened and read in a browser, offline, and say
what the run said: a suite with only warnings shows "Warning", not "Failed".

Pages are opened in headless Chromium with the network cut off (a proxy on a closed port, every
host name unresolvable) and driven over the DevTools protocol (--remote-debugging-pipe, no
extra package), which lists every request a page makes and every one that failed; each page is
opened in light and in dark mode, since the dark style sheet loads other images.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import CASES_DIR, PROJECT_DIR, run_pipeline
from lifecycle import data_docs
from lifecycle import validate as quality
from lifecycle.engines.duckdb import DuckDBWarehouse

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# No network: every request to a host goes to a closed port, and no host name resolves.
OFFLINE_FLAGS = [
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--host-resolver-rules=MAP * ~NOTFOUND",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
# The run's breakages for the docs under test: raw_quality between the warn and the fail rate
# (warned), and type shares that do not add up to 1 (customer_type_totals failed).
BREAKAGES = [
    "update audit.row_reconciliation set quarantine_rate = 0.05 where raw_table = 'orders'",
    "update audit.customer_type_totals set share_of_persons_total = 1.1",
]
AMBER = "rgb(255, 193, 7)"  # bootstrap 4's text-warning
# An address on another host, with or without a scheme.
REMOTE = re.compile(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'<>)]*")


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


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(
            "!!! chromium is not installed and `make browser` could not install it: "
            "the Data Docs were NOT checked in a browser !!!"
        )
    return path


def require_assets() -> None:
    if not data_docs.DATA_DOCS_ASSETS.is_dir():
        pytest.skip(
            "!!! the Data Docs assets are not installed (`make docs-assets` needs npm): the pages "
            "would only render online, so they were NOT checked !!!"
        )


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("docs") / "lifecycle.duckdb"
    run = run_pipeline(warehouse, "--raw-dir", str(CASES_DIR / "worked_example" / "raw"))
    assert run.returncode == 0, run.stderr[-3000:]
    return warehouse.parent / "reports"


@pytest.fixture(scope="module")
def judged_docs(reports: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Data Docs of the run's warehouse with one suite warned and one failed, and the results."""
    folder = tmp_path_factory.mktemp("judged")
    warehouse = folder / "judged.duckdb"
    shutil.copyfile(reports.parent / "lifecycle.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for statement in BREAKAGES:
            con.execute(statement)
    with DuckDBWarehouse(warehouse) as wh:
        results = quality.validate(
            wh, folder / "data_docs", {"quarantine_warn_rate": 0.01, "quarantine_fail_rate": 0.1}
        )
    return folder / "data_docs", {result.name: result for result in results}


def validation_page(docs: Path, suite: str) -> Path:
    [page] = (docs / "validations" / suite).rglob("*.html")
    return page


class DevTools:
    """Headless Chromium over the DevTools protocol on a pipe (fd 3 in, fd 4 out; messages are
    JSON separated by NUL bytes)."""

    def __init__(self, profile: Path) -> None:
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def pipes_as_3_and_4() -> None:
            # duplicated first, so that neither end is closed by the other's dup2
            read_end, write_end = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [chromium(), *CHROMIUM_FLAGS, *OFFLINE_FLAGS, "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=pipes_as_3_and_4, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer = b""
        self.last_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self.to_browser)
        os.close(self.from_browser)

    def receive(self, timeout: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_browser], [], [], timeout)
            if not ready:
                raise TimeoutError
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive(60)
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_until_quiet(self, seconds: float) -> None:
        while True:
            try:
                self.events.append(self.receive(seconds))
            except TimeoutError:
                return


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    tools = DevTools(tmp_path / "profile")
    yield tools
    tools.close()


class Loaded:
    """A page as Chromium loaded it: every request, the failed ones, and values read from it."""

    def __init__(self, requests: list[str], failed: list[tuple[str, str]], values: dict[str, Any]) -> None:
        self.requests, self.failed, self.values = requests, failed, values


# What the tests read from a loaded page: its text, whether its scripts ran (jQuery, the
# bootstrap table plugin, vega-embed), the index's rows as bootstrap-table holds them, and the
# status icons with their colours.
READ_PAGE = """JSON.stringify({
  text: document.body.innerText,
  scripts: {jquery: typeof jQuery, bootstrapTable: typeof jQuery !== 'undefined' && !!jQuery.fn.bootstrapTable,
            vegaEmbed: typeof vegaEmbed},
  rows: typeof jQuery === 'undefined' ? [] : jQuery('table[id$="-body-table"]').toArray().flatMap(
      table => (jQuery(table).bootstrapTable('getData') || []).filter(row => '_validation_success_text' in row).map(
          row => ({suite: row._expectation_suite_name_sort, status: row._validation_success_text,
                   icon: row.validation_success}))),
  icons: Array.from(document.querySelectorAll('.fa-triangle-exclamation, .fa-times')).map(
      icon => ({classes: icon.className, color: getComputedStyle(icon).color})),
})"""


def load(browser: DevTools, page: Path, dark: bool = False) -> Loaded:
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    browser.send("Network.enable", session=session)
    browser.send("Page.enable", session=session)
    scheme = "dark" if dark else "light"
    browser.send("Emulation.setEmulatedMedia",
                 {"features": [{"name": "prefers-color-scheme", "value": scheme}]}, session=session)
    first_event = len(browser.events)
    browser.send("Page.navigate", {"url": page.as_uri()}, session=session)
    # every script and font has loaded once nothing has happened for a while
    browser.wait_until_quiet(3)
    events = [event for event in browser.events[first_event:] if event.get("sessionId") == session]
    urls = {event["params"]["requestId"]: event["params"]["request"]["url"]
            for event in events if event.get("method") == "Network.requestWillBeSent"}
    failed = [(urls.get(event["params"]["requestId"], "?"), event["params"]["errorText"])
              for event in events if event.get("method") == "Network.loadingFailed"]
    value = browser.send("Runtime.evaluate", {"expression": READ_PAGE, "returnByValue": True},
                         session=session)["result"]["value"]
    browser.send("Target.closeTarget", {"targetId": target})
    return Loaded(list(urls.values()), failed, json.loads(value))


def test_data_docs_index_shows_every_suite(reports: Path, tmp_path: Path):
    require_assets()
    index = reports / "data_docs" / "index.html"
    dom = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, *OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=5000", "--dump-dom", index.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    parser = VisibleText()
    parser.feed(dom)
    suites = sorted(path.stem for path in (PROJECT_DIR / "expectations").glob("*.json"))
    missing = [suite for suite in suites if suite not in parser.parts]
    assert not missing, f"suites not shown on the Data Docs index: {missing}"


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("page", ["index", "warned raw_quality", "failed customer_type_totals", "suite page"])
def test_data_docs_load_every_asset_with_the_network_cut_off(
    page: str, dark: bool, judged_docs: tuple[Path, dict[str, Any]], browser: DevTools
):
    require_assets()
    docs, _ = judged_docs
    path = {
        "index": docs / "index.html",
        "warned raw_quality": validation_page(docs, "raw_quality"),
        "failed customer_type_totals": validation_page(docs, "customer_type_totals"),
        "suite page": docs / "expectations" / "raw_quality.html",
    }[page]
    loaded = load(browser, path, dark)
    remote = [url for url in loaded.requests if not url.startswith(LOCAL_SCHEMES)]
    assert not remote, f"{page} asks the network for {remote}"
    assert not loaded.failed, f"{page} could not load {loaded.failed}"
    # the scripts ran: jQuery, the table plugin and vega-embed are there
    assert loaded.values["scripts"] == {"jquery": "function", "bootstrapTable": True, "vegaEmbed": "function"}
    if page != "suite page":  # (a suite's page has no status icons)
        assert any(url.endswith("fa-solid-900.woff2") for url in loaded.requests), "icon font not loaded"


def test_data_docs_pages_refer_to_nothing_remote(judged_docs: tuple[Path, dict[str, Any]]):
    """Also what a browser loads only in some case (another colour scheme, a chart): every
    src, href and url() of every page and style sheet is a file beside the docs. Links a reader
    may follow (<a href>) are not loads and may point anywhere."""
    require_assets()
    docs, _ = judged_docs
    remote, dangling = [], []
    for path in [*docs.rglob("*.html"), *docs.rglob("*.css")]:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            text = re.sub(r"<a\b[^>]*>", "", text)
            remote += [f"{path.relative_to(docs)}: {url}" for url in REMOTE.findall(text)]
            references = re.findall(r'(?:src|href)="([^"#][^"]*)"', text)
        else:
            references = [ref.strip("'\"") for ref in re.findall(r"url\(([^)]*)\)", text)]
            remote += [f"{path.relative_to(docs)}: {ref}" for ref in references if re.match(r"(?:https?:)?//", ref)]
        for reference in references:
            if reference.startswith(("data:", "http:", "https:", "//", "javascript:")):
                continue
            target = (path.parent / reference.split("?")[0].split("#")[0]).resolve()
            if not target.exists():
                dangling.append(f"{path.relative_to(docs)}: {reference}")
    assert not remote, f"remote references: {remote[:10]}"
    assert not dangling, f"references to missing files: {sorted(set(dangling))[:10]}"


def test_a_suite_with_only_warnings_shows_a_warning_not_failed(
    judged_docs: tuple[Path, dict[str, Any]], browser: DevTools
):
    require_assets()
    docs, results = judged_docs
    assert results["raw_quality"].status == "warned" and results["customer_type_totals"].status == "failed"

    index = load(browser, docs / "index.html")
    statuses = {row["suite"]: row["status"] for row in index.values["rows"]}
    assert statuses["raw_quality"] == "Warning"
    assert statuses["customer_type_totals"] == "Failed"
    assert {status for suite, status in statuses.items()
            if suite not in {"raw_quality", "customer_type_totals"}} == {"Success"}
    [warned_row] = [row for row in index.values["rows"] if row["suite"] == "raw_quality"]
    assert "ge-warning-icon" in warned_row["icon"] and "ge-failed-icon" not in warned_row["icon"]
    warning_icons = [icon for icon in index.values["icons"] if "ge-warning-icon" in icon["classes"]]
    assert warning_icons and all(icon["color"] == AMBER for icon in warning_icons)

    warned = load(browser, validation_page(docs, "raw_quality"))
    text = " ".join(warned.values["text"].split())  # as a reader sees it: HTML folds spaces
    assert re.search(r"Status:\s+Warning", text)
    assert not re.search(r"Status:\s+Failed", text)
    # the run's own sentence, above GX's tables
    assert "The run says: WARNED" in text
    assert "warn orders: 5 % of rows quarantined (no reason recorded) > quarantine_warn_rate 1 %" in text
    assert all(icon["color"] == AMBER for icon in warned.values["icons"] if "fa-times" not in icon["classes"])
    assert not [icon for icon in warned.values["icons"] if "fa-times" in icon["classes"]]

    failed = load(browser, validation_page(docs, "customer_type_totals"))
    text = " ".join(failed.values["text"].split())
    assert re.search(r"Status:\s+Failed", text)
    assert "The run says: FAILED" in text
    assert "fail customer_type_summary: the shares of persons add up to 1.1, not 1" in text


def test_the_run_says_what_the_docs_say(judged_docs: tuple[Path, dict[str, Any]]):
    """Nothing left for GX's markup changes to break silently: every rewrite found its marker."""
    docs, results = judged_docs
    pages = [page for result in results.values() for page in result.pages]
    assert {page.status for page in pages} == {"passed", "warned", "failed"}
    index = (docs / "index.html").read_text()
    assert index.count("'_validation_success_text': 'Warning'") == 1
    assert index.count("'_validation_success_text': 'Failed'") == 1


def test_dbt_docs_site_is_written(reports: Path):
    page = reports / "dbt_docs" / "index.html"
    text = page.read_text()
    # the static site embeds the manifest: every mart is described in it
    for mart in ("dim_customers", "customer_lifecycle_stages", "lifecycle_funnel", "customer_type_summary"):
        assert f"model.customer_lifecycle.{mart}" in text
