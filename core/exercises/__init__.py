"""Checked "predict, then reveal" exercises: data in `catalog.toml`, truth from real runs.

- `model`: the `Exercise` dataclass, the pages and kinds;
- `catalog`: `catalog.toml` read and validated (`for_page`, `parse_catalog`);
- `outcomes`: one reader per experiment, run with the exercise's settings (`read_outcome`);
- `grading`: typed answers read into values or refusal codes, graded against the run;
- `progress`: a page's tally (answered, right) as plain data.

Plain Python and torch: never imports streamlit; codes out, the words are in `ui.exercises`.
"""

from core.exercises.catalog import CATALOG, by_id, catalog, for_page, parse_catalog
from core.exercises.grading import Refusal, Result, grade, parse_answer
from core.exercises.model import FIXED_OPTIONS, KINDS, PAGES, CatalogError, Exercise
from core.exercises.outcomes import READERS, Outcome, Resources, read_outcome
from core.exercises.progress import Progress, Tally

__all__ = [
    "CATALOG",
    "FIXED_OPTIONS",
    "KINDS",
    "PAGES",
    "READERS",
    "CatalogError",
    "Exercise",
    "Outcome",
    "Progress",
    "Refusal",
    "Resources",
    "Result",
    "Tally",
    "by_id",
    "catalog",
    "for_page",
    "grade",
    "parse_answer",
    "parse_catalog",
    "read_outcome",
]
