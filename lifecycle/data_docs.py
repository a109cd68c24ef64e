"""Great Expectations Data Docs that work offline and tell the same story as the run.

scripts/validate.py has GX render the docs, then post-processes the pages here:
- every asset GX loads from a CDN or from GX's S3 bucket (styles, scripts, fonts, the logo) is
  copied beside the docs from the npm registry (make docs-assets) or GX's own static images, and
  the pages point at the copies: a closed network (CI, many BI hosts) otherwise shows no table,
  and no page should call out to anyone when it is opened;
- GX has only two states, so a batch whose only failed expectations have severity "warning"
  would show a red "Failed" while the run says WARNED and exits 0: its page and its row on the
  index show an amber "Warning" instead;
- each page that did not pass starts with the run's own sentences (lifecycle/quality_messages.py).
GX 1.x renders pages from fixed templates; every rewrite below checks that it found its marker
and returns what it could not do, so a GX upgrade that changes the markup fails the tests
instead of silently showing "Failed" again.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lifecycle import PROJECT_DIR

DATA_DOCS_ASSETS = PROJECT_DIR / "lifecycle" / "data_docs_assets" / "node_modules"
# Each CDN address GX 1.x writes into its pages, and the npm file that is the same asset.
CDN_ASSETS = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/dist/umd/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "@fortawesome/fontawesome-free/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css",
    # the "@5" / "@6" of these addresses is the newest release of that major version, which is
    # what package.json pins (jsdelivr serves the file of the package's "jsdelivr" field)
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
}
# Copied whole because the stylesheets above refer to them relatively (../webfonts/...).
CDN_ASSET_FOLDERS = ("@fortawesome/fontawesome-free/webfonts",)
# GX's logo (with a tracking query string) and its dark-mode variant, in <img> and in CSS url().
GX_IMAGE = re.compile(r"https://great-expectations-web-assets\.s3[^\"')\s]*")
LOCAL_LOGO = "logo-long.png"
STATIC_IMAGE_LINK = re.compile(r'((?:src|href)=")(?:\.\./|\./)*static/images/')
# Integrity hashes of the CDN files: the npm copies are other builds (popper 1.16.1 for 1.12.9),
# and a crossorigin request from a file:// page fails in Chromium whatever the file.
SUBRESOURCE_CHECKS = re.compile(r'\s+(?:integrity="[^"]*"|crossorigin="[^"]*")')

# The markup of GX 1.x's templates that says "failed" (page_renderer, site_index_page_renderer).
PAGE_STATUS_FAILED = '<i class="fas fa-times text-danger" aria-hidden="true"></i> Failed'
PAGE_STATUS_WARNING = '<i class="fas fa-triangle-exclamation text-warning" aria-hidden="true"></i> Warning'
ROW_ICON_FAILED = '<i class="fas fa-times text-danger" ></i>'
ROW_ICON_WARNING = '<i class="fas fa-triangle-exclamation text-warning" ></i>'
UNEXPECTED_FAILED = '<strong class="text-danger" >'
UNEXPECTED_WARNING = '<strong class="text-warning" >'
INDEX_ICON_FAILED = "fas fa-times text-danger ge-failed-icon"
INDEX_ICON_WARNING = "fas fa-triangle-exclamation text-warning ge-warning-icon"
INDEX_ROW_START = "{'validation_success': '"
# Where the run's sentences go: the start of the main column of a validation page.
PAGE_MAIN_COLUMN = '<div class="col-md-10 col-lg-10 col-xs-12 pl-md-4 pr-md-3">'

log = logging.getLogger("data_docs")


@dataclass
class ValidationPage:
    """One batch's validation of a suite, as the run judged it."""

    suite: str
    run_name: str
    run_time: str  # GX's folder name for the run time, e.g. 20261204T113334.860199Z
    status: str  # passed, warned, failed or errored
    sentences: Sequence[str] = ()  # what the run printed about the suite


def localize(docs_dir: Path) -> list[str]:
    """Points every page at local copies of its CDN assets and of GX's logo. Returns the
    addresses still loaded from elsewhere (none, unless the npm assets are not installed)."""
    rewrite_gx_images(docs_dir)
    assets = [*CDN_ASSETS.values(), *CDN_ASSET_FOLDERS]
    # an install cut short (npm interrupted) is as good as none: every page keeps its links
    missing = [relative for relative in assets if not (DATA_DOCS_ASSETS / relative).exists()]
    if missing:
        log.warning(
            "Data Docs keep their CDN links (%s missing; run `make docs-assets`): offline they "
            "show no tables", DATA_DOCS_ASSETS / missing[0],
        )
        return list(CDN_ASSETS)
    vendor = docs_dir / "static" / "vendor"
    for relative in assets:
        source, target = DATA_DOCS_ASSETS / relative, vendor / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
    remote = []
    for page in docs_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        prefix = Path(os.path.relpath(vendor, page.parent)).as_posix()
        for url, relative in CDN_ASSETS.items():
            text = re.sub(
                rf'(<(?:script|link)\b[^>]*?)"{re.escape(url)}"([^>]*>)',
                lambda match: SUBRESOURCE_CHECKS.sub("", f'{match[1]}"{prefix}/{relative}"{match[2]}'),
                text,
            )
        remote += [url for url in CDN_ASSETS if url in text]
        page.write_text(text, encoding="utf-8")
    return sorted(set(remote))


def rewrite_gx_images(docs_dir: Path) -> None:
    """GX's logo from its own static/images (the dark variant is not shipped: the same logo),
    and every static/images link of a page made relative to the docs' root again (GX 1.x writes
    the favicon of a validation page one folder short)."""
    images = docs_dir / "static" / "images"
    for path in [*docs_dir.rglob("*.html"), *docs_dir.rglob("*.css")]:
        text = path.read_text(encoding="utf-8")
        folder = Path(os.path.relpath(images, path.parent)).as_posix()

        def local(match: re.Match[str]) -> str:
            name = match[0].split("?")[0].rsplit("/", 1)[-1]
            return f"{folder}/{name if (images / name).is_file() else LOCAL_LOGO}"

        text = GX_IMAGE.sub(local, text)
        if path.suffix == ".html":
            text = STATIC_IMAGE_LINK.sub(lambda match: f"{match[1]}{folder}/", text)
        path.write_text(text, encoding="utf-8")


def tell_the_run(docs_dir: Path, pages: Iterable[ValidationPage]) -> list[str]:
    """Warned batches show "Warning" on their page and the index; every page that did not pass
    starts with the run's sentences. Returns what could not be done (GX's markup changed)."""
    problems: list[str] = []
    index = docs_dir / "index.html"
    index_text = index.read_text(encoding="utf-8") if index.is_file() else ""
    for page in pages:
        if page.status == "passed":
            continue
        folder = docs_dir / "validations" / page.suite / page.run_name / page.run_time
        files = sorted(folder.glob("*.html"))
        if not files:
            problems.append(f"no Data Docs page for {page.suite} at {folder}")
        for path in files:
            text = path.read_text(encoding="utf-8")
            text = add_sentences(text, page, problems, path)
            if page.status == "warned":
                text = as_warning(text, problems, path)
                index_text = index_row_as_warning(
                    index_text, path.relative_to(docs_dir).as_posix(), problems
                )
            path.write_text(text, encoding="utf-8")
    if index_text:
        index.write_text(index_text, encoding="utf-8")
    return problems


def add_sentences(text: str, page: ValidationPage, problems: list[str], path: Path) -> str:
    if not page.sentences:
        return text
    if text.count(PAGE_MAIN_COLUMN) != 1:
        problems.append(f"{path}: no place for the run's sentences (GX markup changed)")
        return text
    kind = "warning" if page.status == "warned" else "danger"
    items = "".join(f"<li>{html.escape(sentence)}</li>" for sentence in page.sentences)
    block = (
        f'<div class="alert alert-{kind} lifecycle-run-says" role="alert">'
        f"<strong>The run says: {html.escape(page.status.upper())}</strong><ul class=\"mb-0\">{items}</ul></div>"
    )
    return text.replace(PAGE_MAIN_COLUMN, PAGE_MAIN_COLUMN + block, 1)


def as_warning(text: str, problems: list[str], path: Path) -> str:
    """A page whose failed expectations are all warnings: amber, "Warning"."""
    if text.count(PAGE_STATUS_FAILED) != 1:
        problems.append(f"{path}: no 'Failed' status to turn into 'Warning' (GX markup changed)")
        return text
    text = text.replace(PAGE_STATUS_FAILED, PAGE_STATUS_WARNING)
    return text.replace(ROW_ICON_FAILED, ROW_ICON_WARNING).replace(UNEXPECTED_FAILED, UNEXPECTED_WARNING)


def index_row_as_warning(index_text: str, link: str, problems: list[str]) -> str:
    """The index row of a warned page: its icon amber and its filter text "Warning". The rows
    are a Python-style list of dicts in the page's script, each starting with validation_success."""
    marker = f"'_table_row_link_path': '{link}', '_validation_success_text': 'Failed'"
    at = index_text.find(marker)
    start = index_text.rfind(INDEX_ROW_START, 0, at)
    if at < 0 or start < 0 or index_text.count(marker) != 1 or INDEX_ICON_FAILED not in index_text[start:at]:
        problems.append(f"index.html: no 'Failed' row for {link} (GX markup changed)")
        return index_text
    row = index_text[start:at].replace(INDEX_ICON_FAILED, INDEX_ICON_WARNING)
    row += marker.replace("'Failed'", "'Warning'")
    return index_text[:start] + row + index_text[at + len(marker):]
