"""What an exercise is: a prediction to commit, the run that settles it, and why.

An `Exercise` is data (read from `catalog.toml`): the prompt, the kind of answer, the page
settings the run uses (the page's own URL-state keys, so the page can show and apply them),
the name of the outcome reader that runs the experiment, and the explanation. Nothing here
holds a stored answer: the truth is what the reader's run gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

PAGES = ("autograd", "linear_regression", "logistic_regression", "mnist", "draw")
KINDS = ("number", "choice", "sign", "trend", "pair")
# The options of the kinds whose options are fixed (the catalog lists a "choice"'s own).
FIXED_OPTIONS = {
    "sign": ("negative", "zero", "positive"),
    "trend": ("rises", "falls", "explodes"),
}


class CatalogError(ValueError):
    """A catalog entry that cannot be used; the message names the exercise and the field."""


@dataclass(frozen=True)
class Exercise:
    """One "predict, then reveal" exercise of one page.

    `settings`: the page's widget keys -> the values the run uses (what the page would show).
    `params`: what the reader needs besides the page's widgets (say, how many steps to train).
    `abs_tol` / `rel_tol` (numbers): an answer is right within either of them.
    `low` / `high` (numbers): the range an answer can sensibly be in (outside: refused, not graded).
    """

    id: str
    page: str
    prompt: str
    kind: str
    outcome: str
    explanation: str
    setup: str = ""  # the settings in words, for the note "the check runs with ..."
    options: tuple[str, ...] = ()
    unit: str = ""  # "%" for an accuracy typed in percent
    abs_tol: float = 0.0
    rel_tol: float = 0.0
    low: float = float("-inf")
    high: float = float("inf")
    labels: MappingProxyType = field(
        default_factory=lambda: MappingProxyType({})
    )  # option -> words
    settings: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def choices(self) -> tuple[str, ...]:
        """The options a student picks from (empty for typed answers: numbers, pairs)."""
        return FIXED_OPTIONS.get(self.kind, self.options)

    @property
    def typed(self) -> bool:
        return self.kind in ("number", "pair")

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    def param(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)
