"""The exercise catalog: `catalog.toml` read with `tomllib` and checked entry by entry.

A teacher adds an exercise by adding an `[[exercise]]` table to the file (see its header).
Anything wrong (a missing or unknown field, a kind or page or outcome reader that does not
exist, a tolerance that is not a number) raises `CatalogError` naming the exercise.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from pathlib import Path
from types import MappingProxyType

from core.exercises.model import KINDS, PAGES, CatalogError, Exercise
from core.exercises.outcomes import READERS

CATALOG = Path(__file__).with_name("catalog.toml")
REQUIRED = ("id", "page", "prompt", "kind", "outcome", "explanation")
TEXTS = ("id", "page", "prompt", "kind", "outcome", "explanation", "setup", "unit")
NUMBERS = ("abs_tol", "rel_tol", "low", "high")
TABLES = ("settings", "params", "options")
SETTING_TYPES = (str, int, float, bool, list)


def _fail(entry: dict, index: int, message: str):
    name = entry.get("id") if isinstance(entry.get("id"), str) else f"number {index + 1}"
    raise CatalogError(f"exercise {name!r}: {message}")


def _check_fields(entry: dict, index: int) -> None:
    for key in REQUIRED:
        if key not in entry:
            _fail(entry, index, f"the field {key!r} is missing")
    for key in entry:
        if key not in (*TEXTS, *NUMBERS, *TABLES):
            _fail(entry, index, f"unknown field {key!r}")
    for key in TEXTS:
        if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
            _fail(entry, index, f"{key!r} must be non-empty text")
    for key in NUMBERS:
        value = entry.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            _fail(entry, index, f"{key!r} must be a number")
    for key in TABLES:
        if not isinstance(entry.get(key, {}), dict):
            _fail(entry, index, f"{key!r} must be a table")


def _check_meaning(entry: dict, index: int) -> None:
    if entry["page"] not in PAGES:
        _fail(entry, index, f"unknown page {entry['page']!r}; pages are {', '.join(PAGES)}")
    if entry["kind"] not in KINDS:
        _fail(entry, index, f"unknown kind {entry['kind']!r}; kinds are {', '.join(KINDS)}")
    if entry["outcome"] not in READERS:
        _fail(entry, index, f"unknown outcome reader {entry['outcome']!r}")
    options = entry.get("options", {})
    if entry["kind"] == "choice" and len(options) < 2:
        _fail(entry, index, "a choice needs at least two options")
    if entry["kind"] != "choice" and options:
        _fail(entry, index, f"options are for choices; a {entry['kind']!r} has its own")
    if not all(isinstance(v, str) and v.strip() for v in options.values()):
        _fail(entry, index, "every option needs a label (text)")
    if entry["kind"] == "number" and not (
        entry.get("abs_tol", 0) > 0 or entry.get("rel_tol", 0) > 0
    ):
        _fail(entry, index, "a number needs a tolerance: abs_tol or rel_tol above 0")
    if any(entry.get(k, 0) < 0 for k in ("abs_tol", "rel_tol")):
        _fail(entry, index, "tolerances cannot be negative")
    for key, value in entry.get("settings", {}).items():
        if not isinstance(value, SETTING_TYPES):
            _fail(entry, index, f"setting {key!r} must be text, a number, true/false or a list")


def exercise_from(entry: dict, index: int = 0) -> Exercise:
    """One checked catalog entry as an `Exercise`."""
    _check_fields(entry, index)
    _check_meaning(entry, index)
    options = entry.get("options", {})
    return Exercise(
        **{k: entry[k] for k in TEXTS if k in entry},
        **{k: float(entry[k]) for k in NUMBERS if k in entry},
        options=tuple(options),
        labels=MappingProxyType(dict(options)),
        settings=MappingProxyType(dict(entry.get("settings", {}))),
        params=MappingProxyType(dict(entry.get("params", {}))),
    )


def parse_catalog(text: str) -> tuple[Exercise, ...]:
    """Every exercise of a catalog's TOML text; `CatalogError` names the first bad one."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CatalogError(f"the catalog is not valid TOML: {err}") from None
    entries = raw.get("exercise", [])
    if set(raw) - {"exercise"} or not isinstance(entries, list):
        raise CatalogError("the catalog holds only [[exercise]] tables")
    exercises = tuple(exercise_from(entry, i) for i, entry in enumerate(entries))
    seen: set[str] = set()
    for ex in exercises:
        if ex.id in seen:
            raise CatalogError(f"exercise {ex.id!r}: this id is used twice")
        seen.add(ex.id)
    return exercises


@cache
def catalog(path: Path = CATALOG) -> tuple[Exercise, ...]:
    """The shipped catalog (read once per process)."""
    return parse_catalog(path.read_text(encoding="utf-8"))


def for_page(page: str, path: Path = CATALOG) -> tuple[Exercise, ...]:
    """The exercises of `page`, in the catalog's order."""
    return tuple(ex for ex in catalog(path) if ex.page == page)


def by_id(exercise_id: str, path: Path = CATALOG) -> Exercise:
    return next(ex for ex in catalog(path) if ex.id == exercise_id)
