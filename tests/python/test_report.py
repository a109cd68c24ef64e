"""report.html: written by every pipeline run, its numbers are the warehouse's, it reads like a
product (no raw data, every chart explained) and it renders offline in headless Chromium.

The numbers are checked on the bundled demo data against figures the test computes from the
warehouse itself (fct_orders, dim_customers, ... with its own SQL), and against a few literal
values of the demo. The page is opened in headless Chromium (Debian's `chromium`, `make browser`)
at 1400 px with every request sent to an unreachable proxy and Chromium's network log recorded:
the DOM after plotly.js ran shows each chart's title, legend and font sizes, and a screenshot is
decoded and checked. Without Chromium the browser test is skipped with a message saying so, as
the Data Docs test is, and a skip is not a pass.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import zlib
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import numpy
import pytest

from conftest import CaseBuilder

# every chart of the page, in page order
CHARTS = [
    "funnel", "revenue_by_type", "type_mix", "type_mix_buyers", "transitions_buyers",
    "transitions", "cohort_retention",
]
TYPES = ["potential", "new", "regular", "loyal", "lapsed"]
BUYER_TYPES = TYPES[1:]
TYPE_COLOURS = {"potential": "#9aa5b1", "new": "#4c9be8", "regular": "#2bb673", "loyal": "#f5a623",
                "lapsed": "#e5534b"}
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--hide-scrollbars", "--virtual-time-budget=20000",
    # no network: every request goes to a proxy on a closed local port, so a page that needed
    # one would fail to draw, and the network log below shows any attempt
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
]
WIDTH = 1400
# Run in the tested copy of the page once plotly.js has drawn: page size and where each chart
# is, as data attributes that --dump-dom shows (the page itself has no such script).
MEASURE = """<script>
addEventListener("load", () => setTimeout(() => {
  const page = document.documentElement;
  document.body.dataset.pageHeight = page.scrollHeight;
  document.body.dataset.pageWidth = page.scrollWidth;
  for (const chart of document.querySelectorAll(".js-plotly-plot")) {
    const box = chart.getBoundingClientRect();
    chart.dataset.box = [box.left, box.top + scrollY, box.width, box.height].map(Math.round).join(",");
  }
}, 1000));
</script>"""


def report_of(warehouse: Path) -> str:
    return (warehouse.parent / "reports" / "report.html").read_text()


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def figures(page: str) -> dict[str, dict[str, Any]]:
    """Each chart's Plotly figure as the page hands it to Plotly.newPlot (id, data, layout)."""
    decoder = json.JSONDecoder()
    found = {}
    for call in re.finditer(r"Plotly\.newPlot\(\s*", page):
        position = call.end()
        values = []
        for _ in range(3):
            value, position = decoder.raw_decode(page, position)
            values.append(value)
            position = re.compile(r"\s*,\s*").match(page, position).end()
        found[values[0].removeprefix("chart-")] = {"data": values[1], "layout": values[2]}
    return found


class PageText(HTMLParser):
    """What a reader sees (no scripts or styles), the cells of each table by id, and the
    entries of each legend (<dl>) by id."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.visible: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.legends: dict[str, dict[str, str]] = {}
        self.ids: dict[str, str] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._legend: str | None = None
        self._term: str | None = None
        # elements with an id still open: tag, id, text so far, depth of that tag inside it
        self._open_ids: list[list[Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"script", "style"}:
            self.hidden += 1
        for element in self._open_ids:
            element[3] += element[0] == tag
        if attributes.get("id"):
            self._open_ids.append([tag, attributes["id"], [], 0])
        if tag == "table":
            self._table = attributes.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in {"td", "th", "dt", "dd"}:
            self._cell = []
        elif tag == "dl":
            self._legend = attributes.get("id") or ""
            self.legends[self._legend] = {}

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.hidden -= 1
        for element in list(self._open_ids):
            if element[0] == tag:
                element[3] -= 1
                if element[3] < 0:
                    self.ids[element[1]] = " ".join(element[2])
                    self._open_ids.remove(element)
        text = " ".join(self._cell or [])
        if tag in {"td", "th"} and self._table is not None:
            self.tables[self._table][-1].append(text)
        elif tag == "dt":
            self._term = text
        elif tag == "dd" and self._legend is not None and self._term is not None:
            self.legends[self._legend][self._term] = text
        elif tag == "table":
            self._table = None
        elif tag == "dl":
            self._legend = None

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if self.hidden or not text:
            return
        self.visible.append(text)
        if self._cell is not None:
            self._cell.append(text)
        for element in self._open_ids:
            element[2].append(text)


def read_page(page: str) -> PageText:
    parser = PageText()
    parser.feed(page)
    return parser


def without_scripts(page: str) -> str:
    """The page without the text of its scripts (plotly.js holds URLs and CSS of its own)."""
    return re.sub(r"(<script\b[^>]*>).*?</script>", r"\1</script>", page, flags=re.S)


def money(value: Any) -> str:
    return f"{Decimal(value):,.2f}"


def cents(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_pipeline_writes_a_static_report_beside_the_warehouse(build_case: CaseBuilder):
    run = build_case("worked_example")
    page = report_of(run.warehouse)
    assert "As of <strong id=\"as-of\">2026-06-30</strong>" in page
    assert set(figures(page)) == set(CHARTS)
    text = read_page(page)
    # the data-quality section: the worked example's rows are all kept
    assert text.tables["row-reconciliation"][1:] == [
        ["orders", "7", "7", "0", "0", "0"], ["touchpoints", "6", "6", "0", "0", "0"],
    ]
    assert "No row was quarantined." in text.visible


def test_revenue_and_persons_by_type_are_the_warehouse_sums(demo: Path):
    page = report_of(demo)
    # computed here from the orders and the persons, not read from customer_type_summary
    from_orders = dict(query(demo, """
        select customers.customer_type, sum(orders.amount)
        from marts.fct_orders as orders
        inner join marts.dim_customers as customers on orders.person_id = customers.person_id
        where orders.is_valid_purchase
        group by customers.customer_type
    """))
    persons = {kind: (count, revenue, valid_orders) for kind, count, revenue, valid_orders in query(demo, """
        select customer_type, count(*), sum(lifetime_revenue), sum(valid_order_count)
        from marts.dim_customers group by customer_type
    """)}
    revenue = {kind: from_orders.get(kind, Decimal("0.00")) for kind in TYPES}
    assert revenue == {kind: persons[kind][1] for kind in TYPES}
    # and the demo's own figures, as `make demo` prints them
    assert revenue == {
        "potential": Decimal("0.00"), "new": Decimal("1872.57"), "regular": Decimal("7111.40"),
        "loyal": Decimal("5648.32"), "lapsed": Decimal("5018.25"),
    }
    assert [persons[kind][0] for kind in TYPES] == [238, 30, 33, 21, 42]

    (bars,) = figures(page)["revenue_by_type"]["data"]
    assert bars["x"] == TYPES
    assert [cents(value) for value in bars["y"]] == [revenue[kind] for kind in TYPES]

    total_persons = sum(count for count, _, _ in persons.values())
    total_revenue = sum(revenue.values())
    text = read_page(page)
    assert text.tables["type-summary"] == [
        ["type", "persons", "share of persons", "valid orders", "revenue", "revenue per person"],
        *[
            [kind, f"{persons[kind][0]:,}", f"{persons[kind][0] / total_persons:.1%}",
             f"{persons[kind][2]:,}", money(revenue[kind]),
             money((revenue[kind] / persons[kind][0]).quantize(Decimal("0.01"), ROUND_HALF_UP))]
            for kind in TYPES
        ],
    ]
    buyers = query(demo, "select count(*) from marts.dim_customers where valid_order_count > 0")[0][0]
    valid_orders = query(demo, "select count(*) from marts.fct_orders where is_valid_purchase")[0][0]
    assert text.ids["card-persons"].startswith(f"persons {total_persons:,} ")
    assert text.ids["card-buyers"].startswith(f"buyers {buyers:,} {buyers / total_persons:.1%} ")
    assert text.ids["card-valid-orders"].startswith(f"valid orders {valid_orders:,} ")
    assert text.ids["card-revenue"].startswith(f"revenue {money(total_revenue)} ")
    per_buyer = (total_revenue / buyers).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert text.ids["card-revenue-per-buyer"].startswith(f"revenue per buyer {money(per_buyer)} ")
    as_of = query(demo, "select max(as_of_date) from marts.dim_customers")[0][0]
    assert text.ids["as-of"] == as_of.isoformat() == "2026-06-30"


def test_type_mix_shows_all_persons_and_buyers_only(demo: Path):
    charts = figures(report_of(demo))
    everybody, buyers = charts["type_mix"]["data"], charts["type_mix_buyers"]["data"]
    assert [trace["name"] for trace in everybody] == TYPES
    assert [trace["name"] for trace in buyers] == BUYER_TYPES
    # the last month is as of the as-of date: dim_customers (decisions #29)
    now = dict(query(demo, "select customer_type, count(*) from marts.dim_customers group by 1"))
    for traces, kinds in ((everybody, TYPES), (buyers, BUYER_TYPES)):
        assert {trace["name"]: trace["y"][-1] for trace in traces} == {kind: now[kind] for kind in kinds}
        assert {trace["x"][-1] for trace in traces} == {"2026-06-01"}
    # every month: the buyers' chart is the all-persons chart without potential
    assert [trace["y"] for trace in buyers] == [trace["y"] for trace in everybody[1:]]


def test_moves_for_buyers_and_for_everybody_with_every_kind_explained(demo: Path):
    page = report_of(demo)
    charts = figures(page)

    def per_month(traces: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
        return {
            (trace["name"], month): persons
            for trace in traces for month, persons in zip(trace["x"], trace["y"])
        }

    moves = """
        select transition_kind, strftime(month_start, '%Y-%m-%d'), sum(persons)
        from marts.customer_type_transitions
        where transition_kind != 'unchanged' {buyers}
        group by 1, 2
    """
    everything = {(kind, month): persons for kind, month, persons in query(demo, moves.format(buyers=""))}
    of_buyers = {(kind, month): persons for kind, month, persons in query(demo, moves.format(buyers="""
        and (coalesce(from_customer_type, 'potential') != 'potential'
             or coalesce(to_customer_type, 'potential') != 'potential')
    """))}
    assert per_month(charts["transitions"]["data"]) == everything
    assert per_month(charts["transitions_buyers"]["data"]) == of_buyers
    assert {kind for kind, _ in everything} >= {"appeared", "merged", "conversion", "lapse"}
    assert "merged" not in {kind for kind, _ in of_buyers}  # anonymous persons never buy

    legend = read_page(page).legends["moves-legend"]
    seed_kinds = {kind for (kind,) in query(
        demo, "select transition_kind from seeds.customer_type_transition_kinds where transition_kind != 'unchanged'"
    )}
    assert set(legend) == seed_kinds | {"appeared", "merged"}
    assert "first month end in the warehouse" in legend["appeared"]
    assert "anonymous visitor identified as a known customer" in legend["merged"]
    assert legend["conversion"].endswith("potential → new, regular or loyal.")
    assert legend["lapse"].endswith("potential, new, regular or loyal → lapsed.")
    assert legend["reactivation"].endswith("lapsed → new, regular or loyal.")
    assert set(read_page(page).legends["types-legend"]) == set(TYPES)


def test_funnel_and_cohort_labels_are_the_marts_numbers(demo: Path):
    charts = figures(report_of(demo))
    funnel = query(demo, """
        select persons_entered, conversion_from_first from marts.lifecycle_funnel order by stage_rank
    """)
    (stages,) = charts["funnel"]["data"]
    assert stages["text"] == [f"{persons:,} · {share:.0%}" for persons, share in funnel]
    assert stages["text"][:2] == ["360 · 100%", "257 · 71%"]

    (cells,) = charts["cohort_retention"]["data"]
    cohorts = query(demo, """
        select strftime(cohort_month, '%Y-%m'), months_since, retained_persons, cohort_persons
        from marts.cohort_retention order by cohort_month, months_since
    """)
    sizes = {month: size for month, _, _, size in cohorts}
    assert cells["y"] == [f"{month} ({size:,})" for month, size in sizes.items()]
    for month, since, retained, size in cohorts:
        row = list(sizes).index(month)
        assert cells["text"][row][since] == f"{retained / size:.0%}", (month, since)
        assert cells["customdata"][row][since] == f"{retained:,} of {size:,}"
    # legible: a cell label is never smaller than 11 px
    assert cells["texttemplate"] == "%{text}" and cells["textfont"]["size"] >= 11


def test_page_is_offline_and_shows_no_raw_data(demo: Path):
    page = report_of(demo)
    text = read_page(page)
    # plotly.js once, in the page; no script, style, image or frame from anywhere else
    assert page.count("plotly.js v") == 1
    assert page.count("Plotly.newPlot(") == len(CHARTS)
    markup = without_scripts(page)
    remote = re.findall(r"""<(?:script|link|img|iframe|source|video|audio|object)\b[^>]*?"""
                        r"""\b(?:src|href|data|srcset)\s*=\s*["']?\s*(?:https?:)?//""", markup, re.I)
    assert not remote, remote
    styles = " ".join(re.findall(r"<style>(.*?)</style>", page, re.S))
    assert "url(" not in styles and "@import" not in styles
    # every link is to a file of the run, relative to the page
    assert {href for href in re.findall(r"<a href='([^']*)'", markup) if not href.startswith("#")} == {
        "data_docs/index.html", "dbt_docs/index.html", "run_report.md"
    }
    # no raw data: no JSON, no Python values, no unformatted timestamps on the page
    visible = "\n".join(text.visible)
    for raw in ("{", "}", "[", "]", "None", "null", "+00:00"):
        assert raw not in visible, raw
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", visible)
    assert visible.count("How to read this.") == 6  # five chart sections and the data quality
    assert text.tables["run-summary"][0] == ["status", "succeeded"]
    assert ["as of", "2026-06-30"] in text.tables["run-summary"]


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(
            "!!! chromium is not installed and `make browser` could not install it: report.html "
            "was NOT checked in a browser !!!"
        )
    return path


def run_chromium(profile: Path, net_log: Path, *args: str) -> str:
    completed = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--log-net-log={net_log}", *args],
        capture_output=True, text=True, timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def page_requests(net_log: Path) -> list[str]:
    """URLs the page asked for. Chromium's own background requests (update checks, ...) have
    no origin as initiator; what a file:// page asks for has its origin, "null"."""
    text = net_log.read_text()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log not closed at exit lacks its last brackets
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"] for event in log["events"]
        if event["type"] == start_job
        and event.get("params", {}).get("initiator", "not an origin") != "not an origin"
    ]


def png_pixels(png: bytes) -> numpy.ndarray:
    """The RGB pixels (height x width x 3) of an 8-bit RGB or RGBA PNG, as Chromium writes it:
    the PNG standard's row filters undone, without an image library."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    position, chunks, header = 8, [], b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position:position + 4])
        kind, body = png[position + 4:position + 8], png[position + 8:position + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += [body] if kind == b"IDAT" else []
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6) and header[12] == 0, "8-bit RGB(A), not interlaced"
    step = 3 if colour == 2 else 4
    stride = width * step
    raw = numpy.frombuffer(zlib.decompress(b"".join(chunks)), dtype=numpy.uint8).reshape(height, stride + 1)
    image = numpy.zeros((height, stride), dtype=numpy.uint8)
    previous = numpy.zeros(stride, dtype=numpy.uint8)
    for index in range(height):
        kind, line = raw[index, 0], raw[index, 1:]
        if kind == 0:
            current = line.copy()
        elif kind == 1:  # sub: a running sum along the row, per channel (uint8 wraps as PNG does)
            current = numpy.cumsum(line.reshape(width, step), axis=0, dtype=numpy.uint8).reshape(stride)
        elif kind == 2:  # up
            current = line + previous
        else:  # average, paeth: each byte needs the one decoded before it
            current = bytearray(line.tobytes())
            above = previous.tolist()
            for i in range(stride):
                left = current[i - step] if i >= step else 0
                up, corner = above[i], above[i - step] if i >= step else 0
                if kind == 3:
                    guess = (left + up) // 2
                else:
                    estimate = left + up - corner
                    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
                    guess = (left, up, corner)[distances.index(min(distances))]
                current[i] = (current[i] + guess) & 255
            current = numpy.frombuffer(bytes(current), dtype=numpy.uint8)
        image[index] = previous = current
    return image.reshape(height, width, step)[:, :, :3]


def chart_parts(dom: str) -> dict[str, str]:
    """Each chart's part of the DOM: from its div to the next chart's."""
    starts = [(match.start(), match.group(1)) for match in re.finditer(r'<div id="chart-(\w+)"', dom)]
    return {
        name: dom[start:(starts[index + 1][0] if index + 1 < len(starts) else len(dom))]
        for index, (start, name) in enumerate(starts)
    }


def svg_texts(part: str, css_class: str) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", text))
        for text in re.findall(rf'<text class="{css_class}"[^>]*>(.*?)</text>', part)
    ]


@pytest.fixture(scope="session")
def browser() -> str:
    """Chromium, or the loud skip; asked for before the demo build so a skip costs no build."""
    return chromium()


def test_report_renders_offline_in_headless_chromium_at_1400_px(browser: str, demo: Path, tmp_path: Path):
    # the check of the network log finds a remote request when there is one
    probe = tmp_path / "probe.html"
    probe.write_text('<html><body><img src="https://example.com/x.png"></body></html>')
    run_chromium(tmp_path / "probe-profile", tmp_path / "probe.json", "--dump-dom", probe.as_uri())
    assert page_requests(tmp_path / "probe.json") == ["https://example.com/x.png"]

    page = report_of(demo)
    tested = tmp_path / "report.html"
    tested.write_text(page.replace("</body>", MEASURE + "</body>"))
    dom = run_chromium(
        tmp_path / "profile", tmp_path / "net.json", f"--window-size={WIDTH},1000", "--dump-dom",
        tested.as_uri(),
    )
    assert page_requests(tmp_path / "net.json") == []

    charts = figures(page)
    parts = chart_parts(dom)
    assert list(parts) == CHARTS
    boxes = {}
    for name, part in parts.items():
        assert '<svg class="main-svg"' in part, f"chart {name} was not drawn"
        assert svg_texts(part, "gtitle") == [charts[name]["layout"]["title"]["text"]], name
        boxes[name] = [int(value) for value in re.search(r'data-box="([\d,-]+)"', part).group(1).split(",")]
        names = [trace["name"] for trace in charts[name]["data"] if "name" in trace]
        if len(names) > 1:  # the stacked charts: a legend entry per trace, and its title
            assert svg_texts(part, "legendtext") == names, name
            assert svg_texts(part, "legendtitletext") in (["customer type"], ["move"]), name
    # legible: no text smaller than 11 px in any chart (plotly styles each SVG text inline) or
    # in the page's own style sheet (plotly.js adds one for map controls, which are not drawn)
    inline = " ".join(re.findall(r'style="([^"]*)"', without_scripts(dom)))
    page_style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    sizes = re.findall(r"font-size:\s*([\d.]+)(\w*)", inline + page_style)
    assert sizes and all(unit == "px" and float(size) >= 11 for size, unit in sizes), sorted(set(sizes))
    # the layout at 1400 px: no horizontal scrolling; pairs side by side, the rest full width
    height = int(re.search(r'data-page-height="(\d+)"', dom).group(1))
    assert re.search(r'data-page-width="(\d+)"', dom).group(1) == str(WIDTH)
    assert 3000 < height < 9000, height
    for left, right in (("type_mix", "type_mix_buyers"), ("transitions_buyers", "transitions")):
        assert boxes[left][1] == boxes[right][1] and boxes[left][0] < boxes[right][0]
        assert 500 < boxes[left][2] < 700 and 500 < boxes[right][2] < 700
    for name in ("funnel", "cohort_retention"):
        assert boxes[name][2] > 1100, boxes[name]

    screenshot = tmp_path / "report.png"
    run_chromium(
        tmp_path / "profile", tmp_path / "net-shot.json", f"--window-size={WIDTH},{height}",
        f"--screenshot={screenshot}", tested.as_uri(),
    )
    pixels = png_pixels(screenshot.read_bytes())
    assert pixels.shape == (height, WIDTH, 3)
    not_white = (pixels != 255).any(axis=2).mean()
    assert 0.05 < not_white < 0.6, not_white
    # each type's colour is drawn (its bars), not only listed
    for kind, colour in TYPE_COLOURS.items():
        drawn = (pixels == list(bytes.fromhex(colour[1:]))).all(axis=2).sum()
        assert drawn > 500, (kind, drawn)
