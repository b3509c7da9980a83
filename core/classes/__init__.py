"""The class store: classes, students, their answers, drawings and model summaries, and the
teacher's playlists, in SQLite (the default, nothing to start) or PostgreSQL (several replicas
serving one class). Plain SQLAlchemy; the words for its codes belong to the UI.
"""

from core.classes.errors import Refusal, StoreError, StoreUnavailable
from core.classes.schema import SCHEMA_VERSION, SchemaTooNew, migrate
from core.classes.store import (
    AnswerSummary,
    ClassInfo,
    ClassStore,
    DrawingRow,
    ModelSummary,
    StepView,
    database_url,
)

__all__ = [
    "SCHEMA_VERSION",
    "AnswerSummary",
    "ClassInfo",
    "ClassStore",
    "DrawingRow",
    "ModelSummary",
    "Refusal",
    "SchemaTooNew",
    "StepView",
    "StoreError",
    "StoreUnavailable",
    "database_url",
    "migrate",
]
