"""Read a student's answer and grade it against what the run gave.

`parse_answer` turns what was typed or picked into a value, or a `Refusal` with a code
(the words are in `ui`): nothing typed is ever evaluated, only read as digits. `grade`
compares a parsed value with an `Outcome`'s truth under the exercise's tolerance.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from core.exercises.model import Exercise
from core.exercises.outcomes import Outcome

MAX_CHARS = 60  # an answer is a number or two digits: anything longer is not an answer
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\u00a0": " "})


@dataclass(frozen=True)
class Refusal:
    """Why an answer cannot be graded: `code` (see ui.exercises for the words), `detail`."""

    code: str  # empty | too_long | not_a_number | not_finite | ambiguous_comma | out_of_range
    #           | divide_by_zero | wrong_count | not_a_digit | same_digit | unknown_option
    detail: str = ""


@dataclass(frozen=True)
class Result:
    """A graded answer: right or not, the truth from the run, and how far off a number was."""

    correct: bool
    answer: float | str | tuple[int, int]
    truth: float | str | tuple[int, int]
    off: float | None = None  # numbers: answer - truth; pairs: mistakes fewer than the top pair


def _plain_number(text: str) -> float | Refusal:
    """One decimal number (dot or a lone decimal comma), nothing else."""
    if "," in text:
        whole, _, frac = text.partition(",")
        if "," in frac or "." in text:
            return Refusal("not_a_number")
        if len(frac) == 3 and whole.lstrip("+-").isdigit():
            return Refusal("ambiguous_comma")  # 1,000: a thousand or one?
        text = f"{whole}.{frac}"
    if not _NUMBER.fullmatch(text):
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            return Refusal("not_finite")
        return Refusal("not_a_number")
    value = float(text)
    return value if math.isfinite(value) else Refusal("not_finite")


def parse_number(raw: str, unit: str = "") -> float | Refusal:
    """A typed number: '0.5', ' +6 ', '1,5', '92 %', '1/6', '2e-3'. Refused with a code:
    empty, not a number ('abc', '1.2.3'), not finite (NaN, inf, 1e400), 1,000 (ambiguous)."""
    text = (raw or "").translate(_MINUSES).strip()
    if not text:
        return Refusal("empty")
    if len(text) > MAX_CHARS:
        return Refusal("too_long")
    if unit and text.endswith(unit):
        text = text[: -len(unit)].strip()
    text = text.replace(" ", "")
    if text.count("/") == 1:  # a fraction like 1/6, read as two numbers, never evaluated
        top, bottom = (_plain_number(part) for part in text.split("/"))
        for part in (top, bottom):
            if isinstance(part, Refusal):
                return part
        if bottom == 0:
            return Refusal("divide_by_zero")
        value = top / bottom
        return value if math.isfinite(value) else Refusal("not_finite")
    return _plain_number(text)


def parse_pair(raw: str) -> tuple[int, int] | Refusal:
    """Two different digits: '4 and 9', '4,9', '4-9', '49', '9 4' -> (4, 9), smaller first."""
    text = (raw or "").strip()
    if not text:
        return Refusal("empty")
    if len(text) > MAX_CHARS:
        return Refusal("too_long")
    if re.search(r"\d*[.]\d", text) or text.translate(_MINUSES).startswith("-"):
        return Refusal("not_a_digit")  # 4.5, -4: digits are 0 to 9
    numbers = re.findall(r"\d+", text)
    if len(numbers) == 1 and len(numbers[0]) == 2:
        numbers = list(numbers[0])  # "49"
    if len(numbers) != 2:
        return Refusal("wrong_count", str(len(numbers)))
    a, b = (int(n) for n in numbers)
    if a > 9 or b > 9:
        return Refusal("not_a_digit", str(max(a, b)))
    if a == b:
        return Refusal("same_digit", str(a))
    return (min(a, b), max(a, b))


def parse_answer(ex: Exercise, raw) -> float | str | tuple[int, int] | Refusal:
    """What the student gave for `ex` (typed text, or the picked option's code; None: nothing)."""
    if raw is None:
        return Refusal("empty")
    if ex.kind == "number":
        value = parse_number(str(raw), ex.unit)
        if not isinstance(value, Refusal) and not ex.low <= value <= ex.high:
            return Refusal("out_of_range", f"{ex.low:g}..{ex.high:g}")
        return value
    if ex.kind == "pair":
        return parse_pair(str(raw))
    if raw not in ex.choices:
        return Refusal("unknown_option", str(raw)[:MAX_CHARS])
    return raw


def within(ex: Exercise, answer: float, truth: float) -> bool:
    """Whether a number is right: within the absolute or the relative tolerance."""
    off = abs(answer - truth)
    return off <= ex.abs_tol or off <= ex.rel_tol * abs(truth)


def grade(ex: Exercise, answer, outcome: Outcome) -> Result:
    """Grade a parsed answer (not a Refusal) against the run's outcome."""
    truth = outcome.truth
    if ex.kind == "number":
        return Result(within(ex, answer, truth), answer, truth, answer - truth)
    if ex.kind == "pair":
        scores = dict(outcome.scores)
        if not scores:
            return Result(answer == truth, answer, truth)
        short = scores[truth] - scores.get(answer, 0.0)  # mistakes fewer than the top pair's
        return Result(answer == truth or short <= ex.abs_tol, answer, truth, short)
    return Result(answer == truth, answer, truth)
