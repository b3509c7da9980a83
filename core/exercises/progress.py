"""A page's exercise progress as plain data: which exercises were answered, which right.

The page keeps one `Progress` per session (in `st.session_state`); "Show me" reveals an
answer without grading and so does not count. A later answer replaces an earlier one, until
the answer is revealed: after that, checks are still graded but no longer change the tally
(a prediction made after seeing the answer is not a prediction).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tally:
    """One page's counts: answered (graded at least once) and right (latest answer right)."""

    answered: int
    right: int
    total: int


@dataclass
class Progress:
    """Every page's latest graded result per exercise id, and what was revealed unasked."""

    graded: dict[str, bool] = field(default_factory=dict)  # exercise id -> latest was right
    revealed: set[str] = field(default_factory=set)  # shown with "Show me"

    def record(self, exercise_id: str, correct: bool) -> bool:
        """Count a graded answer; False (not counted) once the answer was revealed."""
        if exercise_id in self.revealed:
            return False
        self.graded[exercise_id] = bool(correct)
        return True

    def reveal(self, exercise_id: str) -> None:
        self.revealed.add(exercise_id)

    def tally(self, exercise_ids: Iterable[str]) -> Tally:
        """The counts over `exercise_ids` (one page's exercises)."""
        ids = list(exercise_ids)
        answered = [i for i in ids if i in self.graded]
        return Tally(len(answered), sum(self.graded[i] for i in answered), len(ids))
