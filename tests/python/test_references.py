"""References resolve inside the repository: every "docs/definitions.md §N" (or "definitions §N")
names a section of docs/definitions.md, every "docs/decisions.md #N" (or "decisions #N") an entry
of docs/decisions.md, and no file points at documents that are not in the repository
(docs/decisions.md #81). Reads files only; no pipeline run."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from conftest import PROJECT_DIR

DEFINITIONS = PROJECT_DIR / "docs" / "definitions.md"
DECISIONS = PROJECT_DIR / "docs" / "decisions.md"
THIS_FILE = Path(__file__).resolve()

SECTION_HEADING = re.compile(r"^## §(\d+) ", re.MULTILINE)
ENTRY = re.compile(r"^(\d+)\. \*\*", re.MULTILINE)
# "definitions §3", "docs/definitions.md §3-5", "definitions §3–5", "definitions §3, §5"
DEFINITIONS_CITATION = re.compile(
    r"definitions(?:\.md)?\s+§(\d+)(?:\s*[-–]\s*§?(\d+))?((?:,\s*§\d+)*)"
)
# "decisions #8", "docs/decisions.md #29-#31", "decisions #42-46", "decisions.md (#61-#63)",
# "decisions #19, #20"
DECISIONS_CITATION = re.compile(
    r"decisions(?:\.md)?\s+\(?#(\d+)(?:\s*[-–]\s*#?(\d+))?((?:,\s*#\d+)*)"
)
# Documents outside the repository that earlier versions cited; a reader of the repository
# cannot open them. Written in pieces so that this file does not match itself.
FORBIDDEN = {
    "spec-section": re.compile("SP" "EC §"),
    "spec-md": re.compile(r"SP" r"EC\.md"),
    "shared-folder": re.compile(r"\.\./sh" "ared"),
    "stack-md": re.compile(r"ST" r"ACK\.md"),
    "spec-any-other-form": re.compile(r"\bSP" r"EC\b"),
}


@cache
def repository_texts() -> dict[str, str]:
    """Every text file of the repository (git ls-files) but node_modules and binary files, with
    JSON's escaped section sign (\\u00a7) read as §."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_DIR, capture_output=True, check=True
    ).stdout.decode().split("\0")
    texts = {}
    for name in filter(None, listed):
        path = PROJECT_DIR / name
        if "node_modules" in Path(name).parts or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        texts[name] = text.replace("\\u00a7", "§")
    return texts


def line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def cited_numbers(match: re.Match[str]) -> list[int]:
    first, last, more = match.group(1), match.group(2), match.group(3)
    numbers = [int(first)] + ([int(last)] if last else [])
    return numbers + [int(n) for n in re.findall(r"\d+", more)]


# per document: the file, its numbered parts (section headings, entries), how other files cite a
# part, and how the document refers to its own parts
DOCUMENTS = {
    "definitions": (DEFINITIONS, SECTION_HEADING, DEFINITIONS_CITATION, re.compile(r"§(\d+)")),
    "decisions": (DECISIONS, ENTRY, DECISIONS_CITATION, re.compile(r"#(\d+)")),
}


def parts(document: str) -> set[int]:
    path, numbered, _, _ = DOCUMENTS[document]
    return {int(n) for n in numbered.findall(path.read_text())}


def test_the_definitions_are_numbered_sections_one_to_nine():
    assert sorted(parts("definitions")) == list(range(1, 10))


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_every_citation_names_a_part_that_exists(document: str):
    _, _, citation, _ = DOCUMENTS[document]
    known = parts(document)
    assert known, f"no numbered parts found in docs/{document}.md"
    problems = []
    for name, text in repository_texts().items():
        for match in citation.finditer(text):
            if any(n not in known for n in cited_numbers(match)):
                problems.append(f"{name}:{line_of(text, match.start())}: {match.group(0)!r}")
    assert problems == []


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_the_document_refers_only_to_its_own_parts(document: str):
    path, _, _, reference = DOCUMENTS[document]
    cited = {int(n) for n in reference.findall(path.read_text())}
    assert cited - parts(document) == set()


@pytest.mark.parametrize("label", sorted(FORBIDDEN))
def test_no_file_cites_a_document_outside_the_repository(label: str):
    this = THIS_FILE.relative_to(PROJECT_DIR).as_posix()
    found = [
        f"{name}:{line_of(text, match.start())}"
        for name, text in repository_texts().items()
        if name != this
        for match in FORBIDDEN[label].finditer(text)
    ]
    assert found == [], f"{FORBIDDEN[label].pattern} in {', '.join(found)}"


def test_the_scan_sees_the_citations():
    """Guards the patterns: the files this test reads do cite both documents."""
    texts = repository_texts()
    assert any(DEFINITIONS_CITATION.search(text) for text in texts.values())
    assert any(DECISIONS_CITATION.search(text) for text in texts.values())
    assert "README.md" in texts and "docs/definitions.md" in texts
