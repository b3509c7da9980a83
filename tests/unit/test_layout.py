"""The architecture as the README states it: which package may import which, and what
each folder holds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT
from ui.registry import PAGES

MAX_PAGE_LINES = 250  # a page past this is telling you logic belongs in ui/ or core/


def top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize(
    "folder, forbidden",
    [
        ("core", {"streamlit", "ui", "pages", "pretrain", "benchmarks", "scripts", "tests"}),
        ("pretrain", {"streamlit", "ui", "pages", "benchmarks", "scripts", "tests"}),
        ("ui", {"pages", "pretrain", "benchmarks", "scripts", "tests"}),
    ],
)
def test_imports_go_one_way(folder, forbidden):
    bad = {
        p.relative_to(ROOT).as_posix(): sorted(top_level_imports(p) & forbidden)
        for p in files(folder)
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_nothing_imports_a_page():
    importers = [
        p.relative_to(ROOT).as_posix()
        for folder in ("core", "ui", "pretrain", "pages", "benchmarks", "scripts")
        for p in files(folder)
        if "pages" in top_level_imports(p)
    ]
    assert importers == []


def test_pages_holds_exactly_the_registered_pages():
    on_disk = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*"))
    on_disk = [p for p in on_disk if not p.endswith("__pycache__")]
    assert on_disk == sorted(p.path for p in PAGES)


@pytest.mark.parametrize("entry", PAGES, ids=[p.url_path for p in PAGES])
def test_pages_stay_thin(entry):
    lines = (ROOT / entry.path).read_text().count("\n")
    assert lines <= MAX_PAGE_LINES, f"{entry.path} has {lines} lines"
