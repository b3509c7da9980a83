"""What the store refuses, as codes (the UI words them), and the one exception for a lost
database."""

from __future__ import annotations

from enum import Enum


class Refusal(Enum):
    """Why an operation was refused; each is the UI's to explain."""

    UNKNOWN_CLASS = "unknown_class"  # no class has this join code (or it is malformed)
    CLASS_EXPIRED = "class_expired"
    BAD_TEACHER_KEY = "bad_teacher_key"
    RATE_LIMITED = "rate_limited"  # too many join tries from one client in a minute
    BAD_NICKNAME = "bad_nickname"  # too long, or holds control characters
    CLASS_FULL = "class_full"
    UNKNOWN_STUDENT = "unknown_student"  # not a student of this class
    BAD_EXERCISE = "bad_exercise"  # malformed exercise id
    BAD_VALUE = "bad_value"  # NaN, infinite, too long, wrong type, wrong size
    TOO_MANY_ANSWERS = "too_many_answers"
    TOO_MANY_DRAWINGS = "too_many_drawings"
    TOO_MANY_MODELS = "too_many_models"
    BAD_PLAYLIST = "bad_playlist"  # a step is malformed or too large
    TOO_MANY_STEPS = "too_many_steps"
    BAD_STEP = "bad_step"  # a step index outside the playlist
    BAD_PACE = "bad_pace"


class StoreError(Exception):
    """An operation the store refused; `code` says why."""

    def __init__(self, code: Refusal, detail: str = ""):
        super().__init__(f"{code.value}: {detail}" if detail else code.value)
        self.code = code
        self.detail = detail


class StoreUnavailable(Exception):
    """The database cannot be reached (down, unreachable, its file unwritable): the one
    exception the UI catches to say so while the rest of the app keeps working."""
