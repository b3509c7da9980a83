"""Your turn in the backward pass: the student computes the gradients the next node sends.

In the step-through, steps 1..k are shown; the student is asked for what step k + 1 (one
node, as autograd's engine ran it) sends on along each of its inputs: upstream gradient
times local derivative. Everything here is read from the recorded `BackwardTrace`, so the
answer is what PyTorch really computed, not a second implementation of the calculus.

* `question(comp, trace, index)`: the blanks of step `index` (1-based): one per input that
  receives a gradient, with its shape and the values expected (for a big tensor, the first
  `MAX_ASKED` values in row-major order).
* `parse_values(text)`: typed text to numbers, without `eval`: one number, or a list such
  as `1, 2; 3, 4`, `[[1, 2], [3, 4]]` or `1 2 3 4`; fractions like `2/3` too.
* `grade(blank, text)`: a `Grade` with a code (`Verdict`), never an exception.
* `hint(comp, trace, index)`: upstream gradient, the local derivative (formula and, where
  it is a plain number per element, its values) and the rule that combines them.

Codes only: the words are in `ui.autograd_fillin`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

import torch

from core.autograd import graph as G

MAX_ASKED = 12  # a gradient with more values is asked for its first MAX_ASKED only
MAX_TEXT = 4000  # characters of typed answer read at most
RTOL, ATOL = 1e-2, 1e-3  # |typed - true| <= ATOL + RTOL * |true|: 3 significant digits pass

# A number as people type it (1, -2.5, .5, 3e-4, inf, nan), optionally a fraction p/q; the
# words between separators must each be one of these whole ("1+1" is refused, not summed).
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|[+-]?(?:inf(?:inity)?|nan)"
_WORD = re.compile(rf"(?:{_NUMBER})(?:/(?:{_NUMBER}))?", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;\[\]()]+")
_SLASH = re.compile(r"\s*/\s*")  # "1 / 3" is one fraction


class Verdict(Enum):
    """How a typed answer was judged."""

    RIGHT = "right"  # every value within tolerance
    WRONG = "wrong"  # numbers of the right count, some outside tolerance
    COUNT = "count"  # not as many values as the gradient has (expected count in the Grade)
    EMPTY = "empty"  # nothing typed
    NOT_A_NUMBER = "not_a_number"  # a word that is not a number (quoted in the Grade)
    NOT_FINITE = "not_finite"  # nan, inf, or a number too large for a float (1e400)
    TOO_LONG = "too_long"  # more than MAX_TEXT characters


@dataclass(frozen=True)
class Parsed:
    """Typed text read as numbers: `values` when it all parsed, else a verdict and the culprit."""

    values: tuple[float, ...] = ()
    problem: Verdict | None = None
    culprit: str = ""  # the word that is not a number, or the value that is not finite


@dataclass(frozen=True)
class Blank:
    """One gradient the student must give: what one input of the node receives."""

    input_number: int  # 1-based, in the node's next_functions order
    target: str  # where the gradient goes: the input's node title (e.g. "y = x + 2", "x.grad")
    shape: tuple[int, ...]
    expected: tuple[float, ...]  # the values asked for (row-major), as PyTorch computed them

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def index_of(self, position: int) -> tuple[int, ...]:
        """The tensor index of flat (row-major) `position`, e.g. 4 -> (1, 1) in shape (2, 3)."""
        index = []
        for size in reversed(self.shape):
            position, rest = divmod(position, size)
            index.append(rest)
        return tuple(reversed(index))

    @property
    def partial(self) -> bool:
        """True when only the first MAX_ASKED values of a bigger gradient are asked."""
        return len(self.expected) < self.numel


@dataclass(frozen=True)
class Question:
    """Step `index` of the backward pass as a question: which node, what to give."""

    index: int
    kind: str  # the node's class, e.g. "MulBackward0"
    node: str  # its title, e.g. "z = y * y * 3"
    blanks: tuple[Blank, ...]


@dataclass(frozen=True)
class Grade:
    """A typed answer judged against one blank."""

    verdict: Verdict
    expected_count: int = 0
    typed_count: int = 0
    wrong_positions: tuple[int, ...] = ()  # 0-based positions outside tolerance
    culprit: str = ""

    @property
    def right(self) -> bool:
        return self.verdict is Verdict.RIGHT

    @property
    def counts_as_try(self) -> bool:
        """Only real numbers of the right count are a try; a typo or a wrong count is not."""
        return self.verdict in (Verdict.RIGHT, Verdict.WRONG)


@dataclass(frozen=True)
class Hint:
    """The chain rule for one step, from the trace: upstream, local derivative, the rule."""

    upstream: str  # the gradient arriving at the node, formatted
    upstream_shape: tuple[int, ...]
    formula: str  # LaTeX of the local derivative(s)
    local: tuple[str | None, ...]  # per blank: the local derivative's values, where plain
    rule: str  # "elementwise", "scalar", "accumulate" or "formula": how the two combine


def _flat(t: torch.Tensor) -> tuple[float, ...]:
    return tuple(float(v) for v in t.detach().reshape(-1)[:MAX_ASKED].tolist())


def question(comp: G.Computation, trace: G.BackwardTrace, index: int) -> Question:
    """What step `index` (1-based) of `trace` sends on: one blank per input that gets a gradient.

    An `AccumulateGrad` step sends nothing on: its one blank is the leaf's `.grad` it fills
    (empty before this backward, so it becomes the arriving gradient).
    """
    step = trace.steps[index - 1]
    if step.kind == "AccumulateGrad":
        g = step.grad_output
        blanks = (
            ()
            if g is None
            else (Blank(1, G.node_title(comp, step.node), tuple(g.shape), _flat(g)),)
        )
    else:
        blanks = tuple(
            Blank(i, G.node_title(comp, target), tuple(g.shape), _flat(g))
            for i, (target, g) in enumerate(zip(step.targets, step.grad_inputs, strict=False), 1)
            if target is not None and g is not None
        )
    return Question(index, step.kind, G.node_title(comp, step.node), blanks)


def _number(token: str) -> float:
    """One token as a float: '2.5', '-1e-3', 'inf' or '2/3' (ZeroDivisionError on p/0)."""
    top, _, bottom = token.partition("/")
    value = float(top.strip())
    return value / float(bottom.strip()) if bottom else value


def parse_values(text: str) -> Parsed:
    """Typed text to numbers: separators are spaces, commas, semicolons and brackets.

    Never evaluates anything: the text is cut at the separators and each word must be a
    number as a whole (or a fraction of two); a word that is not is named back. Too-large
    numbers (1e400) read as infinite and are refused as not finite, as are nan, inf and p/0.
    """
    if len(text) > MAX_TEXT:
        return Parsed(problem=Verdict.TOO_LONG)
    if not _SEPARATORS.sub("", text):
        return Parsed(problem=Verdict.EMPTY)
    values = []
    for word in _SEPARATORS.split(_SLASH.sub("/", text)):
        if not word:
            continue
        if not _WORD.fullmatch(word):
            return Parsed(problem=Verdict.NOT_A_NUMBER, culprit=word[:40])
        try:
            value = _number(word)
        except ZeroDivisionError:
            value = math.inf
        if not math.isfinite(value):
            return Parsed(problem=Verdict.NOT_FINITE, culprit=word[:40])
        values.append(value)
    return Parsed(tuple(values))


def close(typed: float, true: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Within tolerance: |typed - true| <= atol + rtol * |true| (torch.isclose's rule)."""
    return abs(typed - true) <= atol + rtol * abs(true)


def grade(blank: Blank, text: str, rtol: float = RTOL, atol: float = ATOL) -> Grade:
    """The typed `text` judged against `blank`, value by value in row-major order."""
    want = len(blank.expected)
    parsed = parse_values(text)
    if parsed.problem is not None:
        return Grade(parsed.problem, want, culprit=parsed.culprit)
    if len(parsed.values) != want:
        return Grade(Verdict.COUNT, want, len(parsed.values))
    wrong = tuple(
        i
        for i, (typed, true) in enumerate(zip(parsed.values, blank.expected, strict=True))
        if not close(typed, true, rtol, atol)
    )
    return Grade(Verdict.WRONG if wrong else Verdict.RIGHT, want, want, wrong)


def hint(comp: G.Computation, trace: G.BackwardTrace, index: int) -> Hint:
    """The chain rule of step `index`: what arrives, the local derivative, how they combine.

    The local derivative's numbers come from `graph.local_derivatives` (the node called on
    ones), available for element-wise nodes and scalar results; for the rest (a matrix
    product, a broadcast) only the formula is given, and the rule says so.
    """
    step = trace.steps[index - 1]
    g = step.grad_output
    upstream = G.format_tensor(g) if g is not None else "None"
    shape = tuple(g.shape) if g is not None else ()
    formula = G.LOCAL_DERIVATIVES.get(
        step.kind, r"\text{PyTorch's backward formula for }\texttt{" + step.kind + "}"
    )
    if step.kind == "AccumulateGrad":
        return Hint(upstream, shape, formula, (None,), "accumulate")
    local = G.local_derivatives(step) or []
    values = []
    for i, (target, grad) in enumerate(zip(step.targets, step.grad_inputs, strict=False)):
        if target is None or grad is None:
            continue
        known = i < len(local) and local[i] is not None
        values.append(G.format_tensor(local[i]) if known else None)
    plain = any(v is not None for v in values)
    rule = ("scalar" if g is not None and g.dim() == 0 else "elementwise") if plain else "formula"
    return Hint(upstream, shape, formula, tuple(values), rule)
