"""The class store's tables, and `migrate`, which creates them and keeps a version number.

Times are stored as naive UTC `DateTime`s: SQLite has no time zones, and one convention on
both back ends keeps comparisons (expiry, the rate limit) the same everywhere.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    select,
    text,
)

SCHEMA_VERSION = 1

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

classes = Table(
    "classes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("join_code", String(8), nullable=False, unique=True),
    # sha256 of the teacher key, never the key: a copied database opens no teacher view.
    Column("teacher_key_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("kept", Boolean, nullable=False, default=False),
    Column("pace", String(16), nullable=False, default="teacher"),
    Column("current_step", Integer, nullable=False, default=0),
)

students = Table(
    "students",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("student_key", String(32), nullable=False, unique=True),  # random, the student's id
    Column("nickname", String(64)),  # plain text, shown as text; optional
    Column("joined_at", DateTime, nullable=False),
)

answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    Column("student_id", ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
    Column("exercise_id", String(64), nullable=False),
    Column("value_number", Float),
    Column("value_text", String(100)),
    Column("correct", Boolean, nullable=False),
    Column("at", DateTime, nullable=False),
    # One answer per student per exercise: a new one replaces it (latest kept).
    UniqueConstraint("student_id", "exercise_id", name="one_answer_per_exercise"),
    Index("answers_by_exercise", "class_id", "exercise_id"),
)

drawings = Table(
    "drawings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("student_id", ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
    Column("pixels", LargeBinary, nullable=False),  # 28x28 uint8, row-major: 784 bytes
    Column("true_label", SmallInteger),
    Column("predicted_label", SmallInteger, nullable=False),
    Column("at", DateTime, nullable=False),
)

models = Table(
    "models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("student_id", ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("accuracy", Float, nullable=False),
    Column("train_seconds", Float, nullable=False),
    Column("at", DateTime, nullable=False),
)

playlists = Table(
    "playlists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "class_id",
        ForeignKey("classes.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("steps", JSON, nullable=False),  # [{page, settings, shown, exercise, prompt}, ...]
    Column("updated_at", DateTime, nullable=False),
)

# Join tries, kept in the database so that every replica counts the same tries.
join_tries = Table(
    "join_tries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Index("join_tries_by_client", "client_id", "at"),
)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version of the app: refuse rather than damage it."""

    def __init__(self, found: int):
        super().__init__(
            f"the class database is at schema version {found}, newer than this app's "
            f"{SCHEMA_VERSION}: upgrade the app, or point EXPLORER_DATABASE_URL elsewhere"
        )
        self.found = found


def migrate(engine: Engine) -> int:
    """Bring the database to SCHEMA_VERSION (create it when empty); a no-op when current.

    Returns the version. Raises SchemaTooNew for a database from a newer app.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two replicas starting together must not both create the tables.
            conn.execute(text("SELECT pg_advisory_xact_lock(16016)"))
        schema_version.create(conn, checkfirst=True)
        found = conn.execute(select(schema_version.c.version)).scalars().all()
        current = max(found, default=0)
        if current > SCHEMA_VERSION:
            raise SchemaTooNew(current)
        if current < SCHEMA_VERSION:
            # Version 1 is the first: there is nothing older to convert, only tables to create.
            metadata.create_all(conn, checkfirst=True)
            conn.execute(schema_version.delete())
            conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
        return SCHEMA_VERSION
