"""`ClassStore`: the small, bounded operations a class needs, over one SQLAlchemy engine.

A teacher starts a class and gets a join code (for the room) and a teacher key (a secret for
the teacher link). Students join with the code and get a random student id, their only
credential. Students write their own answers, drawings and model summaries; the teacher
reads aggregates (never who answered what). Every query is filtered by the class the code
names, so two classes never see each other's rows. Refusals are `StoreError` with a
`Refusal` code; a database that cannot be reached is `StoreUnavailable`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, create_engine, delete, event, func, select, update
from sqlalchemy import exc as sa_exc

from core.classes import schema as t
from core.classes.errors import Refusal, StoreError, StoreUnavailable

# An unambiguous alphabet (no 0/O, 1/I/L): 31 ** 8, about 8.5e11 codes, against at most
# JOIN_TRIES_PER_MINUTE guesses a minute per client over a class's one day.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CLASS_LIFETIME = timedelta(days=1)
JOIN_TRIES_PER_MINUTE = 10
MAX_NICKNAME = 24
MAX_STUDENTS_PER_CLASS = 200
MAX_EXERCISE_ID = 64
MAX_ANSWER_TEXT = 100
MAX_EXERCISES_PER_STUDENT = 100  # distinct exercises; a new answer to one replaces the old
MAX_DRAWINGS_PER_STUDENT = 50
MAX_DRAWINGS_PER_CLASS = 2000
MAX_MODELS_PER_STUDENT = 30
MAX_MODEL_KIND = 16
MAX_STEPS = 30
MAX_STEP_JSON = 4000  # bytes of one step as JSON: settings, shown controls and a prompt
MAX_PROMPT = 500
PACES = ("teacher", "own")  # the teacher advances everyone, or each student at their own pace
DRAWING_BYTES = 28 * 28


@dataclass(frozen=True)
class ClassInfo:
    """What anyone with the join code may know about a class."""

    code: str
    pace: str
    current_step: int
    students: int
    expires_at: datetime
    kept: bool


@dataclass(frozen=True)
class AnswerSummary:
    """The class's answers to one exercise, without who gave them: numbers sorted (so that
    order says nothing about who joined first), texts counted."""

    numbers: tuple[float, ...]
    texts: dict[str, int]
    count: int
    right: int


@dataclass(frozen=True)
class DrawingRow:
    """One drawing of the class, anonymous: its pixels and labels, no student."""

    id: int
    pixels: bytes
    true_label: int | None
    predicted_label: int


@dataclass(frozen=True)
class ModelSummary:
    kind: str
    accuracy: float
    train_seconds: float


@dataclass(frozen=True)
class StepView:
    """The playlist step a student is on: `index` of `total` (0-based), and the step."""

    index: int
    total: int
    step: dict


def default_data_dir() -> Path:
    """`EXPLORER_DATA_DIR`, else the per-user cache: the rule of `core.mnist.data.data_dir`,
    repeated here so that opening the store does not import torch."""
    env = os.environ.get("EXPLORER_DATA_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pytorch-linear-explorer"


def database_url() -> str:
    """`EXPLORER_DATABASE_URL` when set, else an SQLite file in the data directory."""
    env = os.environ.get("EXPLORER_DATABASE_URL", "").strip()
    if env:
        return env
    return f"sqlite:///{default_data_dir() / 'explorer.sqlite'}"


def hash_key(key: str) -> str:
    # A teacher key holds 192 random bits: a plain sha256 cannot be reversed by guessing, so a
    # slow password hash would buy nothing here.
    return hashlib.sha256(key.encode()).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def normalise_code(code: str) -> str | None:
    """A typed join code, upper-cased, spaces and dashes dropped; None when it cannot be one."""
    if not isinstance(code, str) or len(code) > 4 * CODE_LENGTH:
        return None
    cleaned = code.strip().upper().replace(" ", "").replace("-", "")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def _engine(url: str):
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Sessions are threads of one server: wait for a writer rather than fail at once.
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"connect_timeout": 5} if url.startswith("postgresql") else {}
    # pre_ping: a replica whose connections died with a database restart reconnects quietly.
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the teacher's view) never block writers
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class ClassStore:
    """The class store over `url` (default `database_url()`); creates or checks the schema."""

    def __init__(self, url: str | None = None, clock: Callable[[], datetime] = utc_now):
        self.url = url or database_url()
        self._clock = clock
        try:
            self.engine = _engine(self.url)
        except OSError as err:  # the data directory cannot be created
            raise StoreUnavailable(str(err)) from err
        with self._unavailable_as_one_error():
            t.migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- plumbing ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return _naive_utc(self._clock())

    @contextmanager
    def _unavailable_as_one_error(self) -> Iterator[None]:
        try:
            yield
        except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError) as e:
            raise StoreUnavailable(str(e).splitlines()[0]) from e

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._unavailable_as_one_error(), self.engine.begin() as conn:
            yield conn

    def _class_row(self, conn: Connection, code: str):
        normal = normalise_code(code)
        if normal is None:
            raise StoreError(Refusal.UNKNOWN_CLASS)
        row = conn.execute(select(t.classes).where(t.classes.c.join_code == normal)).first()
        if row is None:
            raise StoreError(Refusal.UNKNOWN_CLASS)
        if not row.kept and row.expires_at <= self._now():
            raise StoreError(Refusal.CLASS_EXPIRED)
        return row

    def _teacher_class(self, conn: Connection, code: str, key: str):
        row = self._class_row(conn, code)
        if not isinstance(key, str) or not hmac.compare_digest(hash_key(key), row.teacher_key_hash):
            raise StoreError(Refusal.BAD_TEACHER_KEY)
        return row

    def _student(self, conn: Connection, code: str, student_id: str):
        """(class row, student primary key); the student must belong to this very class."""
        cls = self._class_row(conn, code)
        if not isinstance(student_id, str) or len(student_id) > 64:
            raise StoreError(Refusal.UNKNOWN_STUDENT)
        pk = conn.execute(
            select(t.students.c.id).where(
                t.students.c.student_key == student_id, t.students.c.class_id == cls.id
            )
        ).scalar()
        if pk is None:
            raise StoreError(Refusal.UNKNOWN_STUDENT)
        return cls, pk

    def _count(self, conn: Connection, table, *where) -> int:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

    # -- classes ----------------------------------------------------------------------------

    def start_class(self) -> tuple[str, str]:
        """A new class: (join code, teacher key). Only the key's hash is stored."""
        key = secrets.token_urlsafe(24)
        now = self._now()
        for _ in range(5):  # a collision among 8.5e11 codes is rare; try again if it happens
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self._transaction() as conn:
                    conn.execute(
                        t.classes.insert().values(
                            join_code=code,
                            teacher_key_hash=hash_key(key),
                            created_at=now,
                            expires_at=now + CLASS_LIFETIME,
                            kept=False,
                            pace="teacher",
                            current_step=0,
                        )
                    )
                return code, key
            except sa_exc.IntegrityError:
                continue
        raise RuntimeError("could not find a free join code in 5 tries")

    def verify_teacher(self, code: str, key: str) -> bool:
        """True when `key` is this class's teacher key (compared in constant time)."""
        try:
            with self._transaction() as conn:
                self._teacher_class(conn, code, key)
            return True
        except StoreError:
            return False

    def class_info(self, code: str) -> ClassInfo:
        with self._transaction() as conn:
            row = self._class_row(conn, code)
            count = self._count(conn, t.students, t.students.c.class_id == row.id)
        return ClassInfo(row.join_code, row.pace, row.current_step, count, row.expires_at, row.kept)

    def keep_class(self, code: str, key: str, kept: bool = True) -> None:
        """Keep the class past its day (or let it expire again a day from its start)."""
        with self._transaction() as conn:
            row = self._teacher_class(conn, code, key)
            conn.execute(update(t.classes).where(t.classes.c.id == row.id).values(kept=kept))

    def set_pace(self, code: str, key: str, pace: str) -> None:
        if pace not in PACES:
            raise StoreError(Refusal.BAD_PACE)
        with self._transaction() as conn:
            row = self._teacher_class(conn, code, key)
            conn.execute(update(t.classes).where(t.classes.c.id == row.id).values(pace=pace))

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete every class past its day and not kept, with all its rows; old join tries
        too. Returns how many classes went."""
        moment = _naive_utc(now) if now is not None else self._now()
        with self._transaction() as conn:
            ids = (
                conn.execute(
                    select(t.classes.c.id).where(
                        t.classes.c.expires_at <= moment, t.classes.c.kept.is_(False)
                    )
                )
                .scalars()
                .all()
            )
            if ids:
                # Children first, by hand: SQLite enforces ON DELETE CASCADE only per
                # connection, and an explicit order works on every back end.
                for table in (t.answers, t.drawings, t.models, t.playlists, t.students):
                    conn.execute(delete(table).where(table.c.class_id.in_(ids)))
                conn.execute(delete(t.classes).where(t.classes.c.id.in_(ids)))
            conn.execute(delete(t.join_tries).where(t.join_tries.c.at < moment - _MINUTE))
        return len(ids)

    # -- students ---------------------------------------------------------------------------

    def join(self, code: str, nickname: str = "", *, client_id: str) -> str:
        """Join the class `code`; returns the new student's random id.

        Tries are counted per `client_id` (the UI's id for the browser or its address), at
        most JOIN_TRIES_PER_MINUTE a minute, good codes and bad alike, over every replica.
        """
        nick = _clean_nickname(nickname)
        with self._transaction() as conn:
            self._count_join_try(conn, str(client_id)[:64])
        with self._transaction() as conn:
            cls = self._class_row(conn, code)
            if self._count(conn, t.students, t.students.c.class_id == cls.id) >= (
                MAX_STUDENTS_PER_CLASS
            ):
                raise StoreError(Refusal.CLASS_FULL)
            student_id = secrets.token_urlsafe(16)
            conn.execute(
                t.students.insert().values(
                    class_id=cls.id, student_key=student_id, nickname=nick, joined_at=self._now()
                )
            )
        return student_id

    def _count_join_try(self, conn: Connection, client_id: str) -> None:
        now = self._now()
        recent = self._count(
            conn,
            t.join_tries,
            t.join_tries.c.client_id == client_id,
            t.join_tries.c.at > now - _MINUTE,
        )
        if recent >= JOIN_TRIES_PER_MINUTE:
            raise StoreError(Refusal.RATE_LIMITED)
        conn.execute(t.join_tries.insert().values(client_id=client_id, at=now))

    def nickname(self, code: str, student_id: str) -> str | None:
        """The student's own nickname (only theirs: it is looked up by their own id)."""
        with self._transaction() as conn:
            _, pk = self._student(conn, code, student_id)
            return conn.execute(select(t.students.c.nickname).where(t.students.c.id == pk)).scalar()

    def record_answer(
        self, code: str, student_id: str, exercise_id: str, value: float | str, correct: bool
    ) -> None:
        """The student's answer to an exercise; a later answer to the same one replaces it."""
        _check_exercise_id(exercise_id)
        number, text = _answer_value(value)
        if not isinstance(correct, bool):
            raise StoreError(Refusal.BAD_VALUE, "correct must be True or False")
        try:
            self._write_answer(code, student_id, exercise_id, number, text, correct)
        except sa_exc.IntegrityError:
            # The same student's answer arrived twice at once (two tabs, two replicas): the
            # other insert won, so this one is now an update.
            self._write_answer(code, student_id, exercise_id, number, text, correct)

    def _write_answer(self, code, student_id, exercise_id, number, text, correct) -> None:
        with self._transaction() as conn:
            cls, pk = self._student(conn, code, student_id)
            values = dict(value_number=number, value_text=text, correct=correct, at=self._now())
            mine = (t.answers.c.student_id == pk, t.answers.c.exercise_id == exercise_id)
            if conn.execute(update(t.answers).where(*mine).values(**values)).rowcount:
                return
            if self._count(conn, t.answers, t.answers.c.student_id == pk) >= (
                MAX_EXERCISES_PER_STUDENT
            ):
                raise StoreError(Refusal.TOO_MANY_ANSWERS)
            conn.execute(
                t.answers.insert().values(
                    class_id=cls.id, student_id=pk, exercise_id=exercise_id, **values
                )
            )

    def my_answers(self, code: str, student_id: str) -> dict[str, tuple[float | str, bool]]:
        """The student's own answers: exercise id -> (value, right)."""
        with self._transaction() as conn:
            _, pk = self._student(conn, code, student_id)
            rows = conn.execute(select(t.answers).where(t.answers.c.student_id == pk)).all()
        return {
            r.exercise_id: (r.value_number if r.value_text is None else r.value_text, r.correct)
            for r in rows
        }

    def record_drawing(
        self,
        code: str,
        student_id: str,
        pixels: bytes,
        predicted_label: int,
        true_label: int | None = None,
    ) -> None:
        """A 28x28 uint8 drawing (784 bytes, or an array with `tobytes()`) and its labels."""
        data = _drawing_bytes(pixels)
        predicted = _digit(predicted_label, optional=False)
        true = _digit(true_label, optional=True)
        with self._transaction() as conn:
            cls, pk = self._student(conn, code, student_id)
            if self._count(conn, t.drawings, t.drawings.c.student_id == pk) >= (
                MAX_DRAWINGS_PER_STUDENT
            ) or self._count(conn, t.drawings, t.drawings.c.class_id == cls.id) >= (
                MAX_DRAWINGS_PER_CLASS
            ):
                raise StoreError(Refusal.TOO_MANY_DRAWINGS)
            conn.execute(
                t.drawings.insert().values(
                    class_id=cls.id,
                    student_id=pk,
                    pixels=data,
                    true_label=true,
                    predicted_label=predicted,
                    at=self._now(),
                )
            )

    def record_model(
        self, code: str, student_id: str, kind: str, accuracy: float, train_seconds: float
    ) -> None:
        """A trained model's summary: its kind, test accuracy (0..1) and training time."""
        if (
            not isinstance(kind, str)
            or not kind
            or len(kind) > MAX_MODEL_KIND
            or not kind.replace("_", "").replace("-", "").isalnum()
        ):
            raise StoreError(Refusal.BAD_VALUE, "kind")
        acc = _finite(accuracy, "accuracy")
        seconds = _finite(train_seconds, "train_seconds")
        if not 0.0 <= acc <= 1.0 or seconds < 0:
            raise StoreError(Refusal.BAD_VALUE, "accuracy in 0..1, seconds >= 0")
        with self._transaction() as conn:
            cls, pk = self._student(conn, code, student_id)
            if self._count(conn, t.models, t.models.c.student_id == pk) >= MAX_MODELS_PER_STUDENT:
                raise StoreError(Refusal.TOO_MANY_MODELS)
            conn.execute(
                t.models.insert().values(
                    class_id=cls.id,
                    student_id=pk,
                    kind=kind,
                    accuracy=acc,
                    train_seconds=seconds,
                    at=self._now(),
                )
            )

    # -- the teacher's aggregates -------------------------------------------------------------

    def answer_histogram(self, code: str, key: str, exercise_id: str) -> AnswerSummary:
        """Every answer of the class to one exercise, without who gave it."""
        _check_exercise_id(exercise_id)
        with self._transaction() as conn:
            cls = self._teacher_class(conn, code, key)
            rows = conn.execute(
                select(t.answers.c.value_number, t.answers.c.value_text, t.answers.c.correct).where(
                    t.answers.c.class_id == cls.id, t.answers.c.exercise_id == exercise_id
                )
            ).all()
        numbers = tuple(sorted(r.value_number for r in rows if r.value_text is None))
        texts = Counter(r.value_text for r in rows if r.value_text is not None)
        return AnswerSummary(numbers, dict(texts), len(rows), sum(r.correct for r in rows))

    def pooled_confusion(self, code: str, key: str) -> list[list[int]]:
        """10x10 counts, [true][predicted], over the class's drawings that carry a true label."""
        with self._transaction() as conn:
            cls = self._teacher_class(conn, code, key)
            rows = conn.execute(
                select(t.drawings.c.true_label, t.drawings.c.predicted_label, func.count())
                .where(t.drawings.c.class_id == cls.id, t.drawings.c.true_label.is_not(None))
                .group_by(t.drawings.c.true_label, t.drawings.c.predicted_label)
            ).all()
        matrix = [[0] * 10 for _ in range(10)]
        for true, predicted, count in rows:
            matrix[true][predicted] = count
        return matrix

    def drawings(
        self,
        code: str,
        key: str,
        true_label: int | None = None,
        predicted_label: int | None = None,
        limit: int = 100,
    ) -> list[DrawingRow]:
        """The class's drawings (a confusion cell's, when labels are given), newest first,
        anonymous."""
        limit = max(1, min(int(limit), MAX_DRAWINGS_PER_CLASS))
        with self._transaction() as conn:
            cls = self._teacher_class(conn, code, key)
            query = select(t.drawings).where(t.drawings.c.class_id == cls.id)
            if true_label is not None:
                query = query.where(t.drawings.c.true_label == _digit(true_label, optional=False))
            if predicted_label is not None:
                query = query.where(
                    t.drawings.c.predicted_label == _digit(predicted_label, optional=False)
                )
            rows = conn.execute(query.order_by(t.drawings.c.id.desc()).limit(limit)).all()
        return [DrawingRow(r.id, bytes(r.pixels), r.true_label, r.predicted_label) for r in rows]

    def models(self, code: str, key: str) -> list[ModelSummary]:
        """The class's trained models (kind, accuracy, seconds), no student named."""
        with self._transaction() as conn:
            cls = self._teacher_class(conn, code, key)
            rows = conn.execute(
                select(t.models.c.kind, t.models.c.accuracy, t.models.c.train_seconds)
                .where(t.models.c.class_id == cls.id)
                .order_by(t.models.c.kind, t.models.c.accuracy)
            ).all()
        return [ModelSummary(r.kind, r.accuracy, r.train_seconds) for r in rows]

    # -- playlists ----------------------------------------------------------------------------

    def save_playlist(self, code: str, key: str, steps: list[dict]) -> None:
        """Replace the class's playlist; the current step goes back to the first."""
        clean = _check_steps(steps)
        with self._transaction() as conn:
            cls = self._teacher_class(conn, code, key)
            now = self._now()
            done = conn.execute(
                update(t.playlists)
                .where(t.playlists.c.class_id == cls.id)
                .values(steps=clean, updated_at=now)
            ).rowcount
            if not done:
                conn.execute(
                    t.playlists.insert().values(class_id=cls.id, steps=clean, updated_at=now)
                )
            conn.execute(update(t.classes).where(t.classes.c.id == cls.id).values(current_step=0))

    def load_playlist(self, code: str, key: str) -> list[dict]:
        """The playlist, for the teacher to edit ([] when none was saved)."""
        with self._transaction() as conn:
            cls = self._teacher_class(conn, code, key)
            return self._steps(conn, cls.id)

    def set_step(self, code: str, key: str, index: int) -> None:
        """The teacher moves the class to step `index` (0-based)."""
        with self._transaction() as conn:
            cls = self._teacher_class(conn, code, key)
            total = len(self._steps(conn, cls.id))
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < total:
                raise StoreError(Refusal.BAD_STEP)
            conn.execute(
                update(t.classes).where(t.classes.c.id == cls.id).values(current_step=index)
            )

    def current_step(self, code: str, student_id: str) -> StepView | None:
        """The step the class is on, for a student of it; None without a playlist."""
        with self._transaction() as conn:
            cls, _ = self._student(conn, code, student_id)
            steps = self._steps(conn, cls.id)
        if not steps:
            return None
        index = min(cls.current_step, len(steps) - 1)
        return StepView(index, len(steps), steps[index])

    def _steps(self, conn: Connection, class_id: int) -> list[dict]:
        steps = conn.execute(
            select(t.playlists.c.steps).where(t.playlists.c.class_id == class_id)
        ).scalar()
        return list(steps or [])


_MINUTE = timedelta(minutes=1)


def _clean_nickname(nickname: str) -> str | None:
    if nickname is None:
        return None
    if not isinstance(nickname, str):
        raise StoreError(Refusal.BAD_NICKNAME)
    nick = " ".join(nickname.split())  # trimmed, inner runs of white space made one space
    if len(nick) > MAX_NICKNAME or any(not ch.isprintable() for ch in nick):
        raise StoreError(Refusal.BAD_NICKNAME)
    return nick or None


def _check_exercise_id(exercise_id: str) -> None:
    if (
        not isinstance(exercise_id, str)
        or not 0 < len(exercise_id) <= MAX_EXERCISE_ID
        or not all(ch.isascii() and (ch.isalnum() or ch in "_-.:") for ch in exercise_id)
    ):
        raise StoreError(Refusal.BAD_EXERCISE)


def _finite(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StoreError(Refusal.BAD_VALUE, f"{what} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise StoreError(Refusal.BAD_VALUE, f"{what} must be finite")
    return number


def _answer_value(value: float | str) -> tuple[float | None, str | None]:
    """(number, None) or (None, text): an answer is one or the other."""
    if isinstance(value, str):
        if not value.strip() or len(value) > MAX_ANSWER_TEXT:
            raise StoreError(Refusal.BAD_VALUE, "answer text empty or too long")
        return None, value.strip()
    return _finite(value, "answer"), None


def _drawing_bytes(pixels) -> bytes:
    if hasattr(pixels, "tobytes") and getattr(pixels, "dtype", None) is not None:
        if str(pixels.dtype) != "uint8":
            raise StoreError(Refusal.BAD_VALUE, "pixels must be uint8")
        pixels = pixels.tobytes()
    if not isinstance(pixels, bytes | bytearray | memoryview) or len(pixels) != DRAWING_BYTES:
        raise StoreError(Refusal.BAD_VALUE, f"a drawing is {DRAWING_BYTES} bytes")
    return bytes(pixels)


def _digit(label, optional: bool) -> int | None:
    if label is None and optional:
        return None
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
        raise StoreError(Refusal.BAD_VALUE, "a digit is 0..9")
    return int(label)


def _check_steps(steps: list[dict]) -> list[dict]:
    """Each step: page (str), settings (str -> str), shown (list of str), and optionally an
    exercise id or a prompt; refused when malformed or too large."""
    if not isinstance(steps, list):
        raise StoreError(Refusal.BAD_PLAYLIST, "steps must be a list")
    if len(steps) > MAX_STEPS:
        raise StoreError(Refusal.TOO_MANY_STEPS)
    return [_check_step(i, step) for i, step in enumerate(steps)]


def _check_step(i: int, step: dict) -> dict:
    def bad(why: str) -> StoreError:
        return StoreError(Refusal.BAD_PLAYLIST, f"step {i + 1}: {why}")

    if not isinstance(step, dict) or set(step) - {
        "page",
        "settings",
        "shown",
        "exercise",
        "prompt",
    }:
        raise bad("a step has page, settings, shown, exercise, prompt")
    page, settings = step.get("page"), step.get("settings", {})
    shown, exercise, prompt = step.get("shown", []), step.get("exercise"), step.get("prompt")
    if not isinstance(page, str) or not 0 < len(page) <= 64:
        raise bad("page")
    if not isinstance(settings, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in settings.items()
    ):
        raise bad("settings are text -> text")
    if not isinstance(shown, list) or not all(isinstance(s, str) for s in shown):
        raise bad("shown is a list of control names")
    if exercise is not None:
        try:
            _check_exercise_id(exercise)
        except StoreError:
            raise bad("exercise") from None
    if prompt is not None and (not isinstance(prompt, str) or len(prompt) > MAX_PROMPT):
        raise bad("prompt")
    clean = {"page": page, "settings": settings, "shown": shown}
    clean |= {k: v for k, v in (("exercise", exercise), ("prompt", prompt)) if v is not None}
    if len(json.dumps(clean)) > MAX_STEP_JSON:
        raise bad("too large")
    return clean
