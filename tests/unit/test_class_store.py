"""The class store (core/classes) against SQLite and a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import create_engine, select, update

from core.classes import (
    SCHEMA_VERSION,
    ClassStore,
    Refusal,
    SchemaTooNew,
    StoreError,
    StoreUnavailable,
    database_url,
    migrate,
)
from core.classes import schema as tables
from core.classes import store as store_module
from tests.support import postgres


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'explorer.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(url, clock):
    opened = ClassStore(url, clock=clock)
    yield opened
    opened.close()


def refused(code: Refusal):
    """pytest.raises for a StoreError with this code."""

    class Matcher:
        def __enter__(self):
            self.ctx = pytest.raises(StoreError)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            swallowed = self.ctx.__exit__(*exc)
            assert self.info.value.code is code, self.info.value
            return swallowed

    return Matcher()


def drawing(value: int = 0) -> bytes:
    return bytes([value]) * 784


# -- classes and joining -------------------------------------------------------------------


def test_start_class_gives_a_code_and_a_key_whose_hash_alone_is_stored(store):
    code, key = store.start_class()
    assert len(code) == 8 and set(code) <= set(store_module.CODE_ALPHABET)
    assert len(key) >= 32
    with store.engine.connect() as conn:
        row = conn.execute(select(tables.classes)).one()
    assert key not in [str(v) for v in row]
    assert row.teacher_key_hash == store_module.hash_key(key)
    assert store.start_class()[0] != code


def test_join_trims_the_nickname_and_keeps_it_as_plain_text(store):
    code, _ = store.start_class()
    student = store.join(code, "  <b>Ada</b> \t  Lovelace ", client_id="a")
    assert store.nickname(code, student) == "<b>Ada</b> Lovelace"
    assert store.nickname(code, store.join(code, "   ", client_id="a")) is None
    assert store.class_info(code).students == 2


def test_a_typed_code_may_be_lower_case_with_a_dash(store):
    code, _ = store.start_class()
    store.join(f" {code[:4].lower()}-{code[4:]} ", client_id="a")


@pytest.mark.parametrize("nickname", ["x" * 25, "\u202eevil", "bell\x07", 42])
def test_bad_nicknames_are_refused(store, nickname):
    code, _ = store.start_class()
    with refused(Refusal.BAD_NICKNAME):
        store.join(code, nickname, client_id="a")


@pytest.mark.parametrize("code", ["", "ABCDEFGH", "ABC", "0O1IL000", "A" * 200, None])
def test_unknown_or_malformed_codes_are_refused(store, code):
    store.start_class()
    with refused(Refusal.UNKNOWN_CLASS):
        store.join(code, client_id="a")


def test_join_tries_are_rate_limited_per_client_for_a_minute(store, clock):
    code, _ = store.start_class()
    for _ in range(store_module.JOIN_TRIES_PER_MINUTE - 1):
        with refused(Refusal.UNKNOWN_CLASS):
            store.join("ZZZZZZZZ", client_id="guesser")
    store.join(code, client_id="guesser")  # the tenth try, a good code
    with refused(Refusal.RATE_LIMITED):
        store.join(code, client_id="guesser")
    store.join(code, client_id="someone else")
    clock.advance(seconds=61)
    store.join(code, client_id="guesser")


def test_a_class_is_full_at_its_bound(store, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_STUDENTS_PER_CLASS", 2)
    code, _ = store.start_class()
    store.join(code, client_id="a")
    store.join(code, client_id="b")
    with refused(Refusal.CLASS_FULL):
        store.join(code, client_id="c")


def test_verify_teacher(store):
    code, key = store.start_class()
    other_code, other_key = store.start_class()
    assert store.verify_teacher(code, key)
    assert not store.verify_teacher(code, other_key)
    assert not store.verify_teacher(code, key[:-1])
    assert not store.verify_teacher(code, "")
    assert not store.verify_teacher("ZZZZZZZZ", key)
    assert store.verify_teacher(other_code, other_key)


def test_every_teacher_operation_needs_the_teacher_key(store):
    code, key = store.start_class()
    _, other_key = store.start_class()
    student = store.join(code, client_id="a")
    calls = [
        lambda k: store.answer_histogram(code, k, "ex1"),
        lambda k: store.pooled_confusion(code, k),
        lambda k: store.drawings(code, k),
        lambda k: store.models(code, k),
        lambda k: store.save_playlist(code, k, [{"page": "mnist"}]),
        lambda k: store.load_playlist(code, k),
        lambda k: store.set_step(code, k, 0),
        lambda k: store.keep_class(code, k),
        lambda k: store.set_pace(code, k, "own"),
    ]
    for call in calls:
        for wrong in (other_key, student, "", None):
            with refused(Refusal.BAD_TEACHER_KEY):
                call(wrong)
        call(key)


# -- answers, drawings, models --------------------------------------------------------------


def test_answers_latest_kept_and_the_histogram_names_no_one(store):
    code, key = store.start_class()
    ada, bob, cy = (store.join(code, n, client_id=n) for n in ("Ada", "Bob", "Cy"))
    store.record_answer(code, ada, "ex1", 5.0, False)
    store.record_answer(code, ada, "ex1", 2.5, True)  # Ada changes her mind
    store.record_answer(code, bob, "ex1", -1, False)
    store.record_answer(code, cy, "ex1", "explodes", True)
    store.record_answer(code, cy, "ex2", 7.0, True)
    summary = store.answer_histogram(code, key, "ex1")
    assert summary.numbers == (-1.0, 2.5)
    assert summary.texts == {"explodes": 1}
    assert (summary.count, summary.right) == (3, 2)
    assert "Ada" not in repr(summary) and ada not in repr(summary)
    assert store.answer_histogram(code, key, "nobody-answered").count == 0
    assert store.my_answers(code, ada) == {"ex1": (2.5, True)}
    assert store.my_answers(code, cy) == {"ex1": ("explodes", True), "ex2": (7.0, True)}


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), float("1e400"), -float("inf"), "", "  ", "x" * 101,
              None, True, [1.0], b"1"],
)  # fmt: skip
def test_bad_answer_values_are_refused(store, value):
    code, _ = store.start_class()
    student = store.join(code, client_id="a")
    with refused(Refusal.BAD_VALUE):
        store.record_answer(code, student, "ex1", value, True)


@pytest.mark.parametrize("exercise", ["", "x" * 65, "a b", "<script>", None, 3])
def test_bad_exercise_ids_are_refused(store, exercise):
    code, key = store.start_class()
    student = store.join(code, client_id="a")
    with refused(Refusal.BAD_EXERCISE):
        store.record_answer(code, student, exercise, 1.0, True)
    with refused(Refusal.BAD_EXERCISE):
        store.answer_histogram(code, key, exercise)


def test_answers_per_student_are_bounded_but_a_new_answer_to_one_replaces(store, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_EXERCISES_PER_STUDENT", 3)
    code, key = store.start_class()
    student = store.join(code, client_id="a")
    for i in range(3):
        store.record_answer(code, student, f"ex{i}", float(i), True)
    with refused(Refusal.TOO_MANY_ANSWERS):
        store.record_answer(code, student, "ex3", 3.0, True)
    store.record_answer(code, student, "ex0", 9.0, False)
    assert store.answer_histogram(code, key, "ex0").numbers == (9.0,)


def test_drawings_pool_into_a_confusion_matrix_and_come_back_anonymous(store):
    code, key = store.start_class()
    ada, bob = store.join(code, "Ada", client_id="a"), store.join(code, "Bob", client_id="b")
    store.record_drawing(code, ada, drawing(1), predicted_label=7, true_label=1)
    store.record_drawing(code, bob, drawing(2), predicted_label=7, true_label=1)
    store.record_drawing(code, bob, np.full((28, 28), 3, np.uint8), predicted_label=3, true_label=3)
    store.record_drawing(code, ada, drawing(4), predicted_label=5)  # no true label: not pooled
    matrix = store.pooled_confusion(code, key)
    assert matrix[1][7] == 2 and matrix[3][3] == 1 and sum(map(sum, matrix)) == 3
    cell = store.drawings(code, key, true_label=1, predicted_label=7)
    assert sorted(d.pixels[0] for d in cell) == [1, 2]
    assert {d.true_label for d in cell} == {1} and len(store.drawings(code, key)) == 4
    assert not any(hasattr(d, "student_id") for d in cell)
    assert len(store.drawings(code, key, limit=2)) == 2


@pytest.mark.parametrize(
    "pixels, predicted, true",
    [
        (b"\x00" * 783, 1, 1),
        (np.zeros((28, 28), np.float32), 1, 1),
        ("0" * 784, 1, 1),
        (drawing(), 10, 1),
        (drawing(), -1, 1),
        (drawing(), None, 1),
        (drawing(), 1, 12),
        (drawing(), 1.5, 1),
    ],
)
def test_bad_drawings_are_refused(store, pixels, predicted, true):
    code, _ = store.start_class()
    student = store.join(code, client_id="a")
    with refused(Refusal.BAD_VALUE):
        store.record_drawing(code, student, pixels, predicted_label=predicted, true_label=true)


def test_drawings_are_bounded_per_student_and_per_class(store, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_DRAWINGS_PER_STUDENT", 2)
    monkeypatch.setattr(store_module, "MAX_DRAWINGS_PER_CLASS", 3)
    code, _ = store.start_class()
    ada, bob = store.join(code, client_id="a"), store.join(code, client_id="b")
    store.record_drawing(code, ada, drawing(), 1)
    store.record_drawing(code, ada, drawing(), 1)
    with refused(Refusal.TOO_MANY_DRAWINGS):
        store.record_drawing(code, ada, drawing(), 1)
    store.record_drawing(code, bob, drawing(), 1)
    with refused(Refusal.TOO_MANY_DRAWINGS):
        store.record_drawing(code, bob, drawing(), 1)


def test_model_summaries_are_listed_and_bounded(store, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_MODELS_PER_STUDENT", 2)
    code, key = store.start_class()
    student = store.join(code, client_id="a")
    store.record_model(code, student, "mlp", 0.979, 7.2)
    store.record_model(code, student, "linear", 0.92, 1.6)
    with refused(Refusal.TOO_MANY_MODELS):
        store.record_model(code, student, "cnn", 0.99, 43.0)
    kinds = [(m.kind, m.accuracy, m.train_seconds) for m in store.models(code, key)]
    assert kinds == [("linear", 0.92, 1.6), ("mlp", 0.979, 7.2)]


@pytest.mark.parametrize(
    "kind, accuracy, seconds",
    [("", 0.5, 1.0), ("x" * 17, 0.5, 1.0), ("<b>", 0.5, 1.0), ("mlp", 1.5, 1.0),
     ("mlp", float("nan"), 1.0), ("mlp", 0.5, -1.0), ("mlp", 0.5, float("inf")),
     ("mlp", "0.5", 1.0)],
)  # fmt: skip
def test_bad_model_summaries_are_refused(store, kind, accuracy, seconds):
    code, _ = store.start_class()
    student = store.join(code, client_id="a")
    with refused(Refusal.BAD_VALUE):
        store.record_model(code, student, kind, accuracy, seconds)


# -- who sees what ----------------------------------------------------------------------------


def test_a_student_id_works_only_in_its_own_class(store):
    code, _ = store.start_class()
    other, _ = store.start_class()
    student = store.join(code, client_id="a")
    calls = [
        lambda c, s: store.record_answer(c, s, "ex1", 1.0, True),
        lambda c, s: store.record_drawing(c, s, drawing(), 1),
        lambda c, s: store.record_model(c, s, "mlp", 0.9, 1.0),
        lambda c, s: store.my_answers(c, s),
        lambda c, s: store.nickname(c, s),
        lambda c, s: store.current_step(c, s),
    ]
    for call in calls:
        with refused(Refusal.UNKNOWN_STUDENT):
            call(other, student)
        with refused(Refusal.UNKNOWN_STUDENT):
            call(code, "not-a-student")
        call(code, student)


def test_two_classes_never_see_each_others_rows(store):
    (a, key_a), (b, key_b) = store.start_class(), store.start_class()
    in_a, in_b = store.join(a, client_id="a"), store.join(b, client_id="b")
    store.record_answer(code=a, student_id=in_a, exercise_id="ex1", value=1.0, correct=True)
    store.record_drawing(a, in_a, drawing(), predicted_label=2, true_label=2)
    store.record_model(a, in_a, "cnn", 0.99, 40.0)
    store.save_playlist(a, key_a, [{"page": "mnist"}, {"page": "draw"}])
    store.set_step(a, key_a, 1)
    assert store.answer_histogram(b, key_b, "ex1").count == 0
    assert sum(map(sum, store.pooled_confusion(b, key_b))) == 0
    assert store.drawings(b, key_b) == [] and store.models(b, key_b) == []
    assert store.load_playlist(b, key_b) == [] and store.current_step(b, in_b) is None
    assert store.class_info(b).current_step == 0 and store.class_info(b).students == 1
    assert store.answer_histogram(a, key_a, "ex1").count == 1


# -- expiry -------------------------------------------------------------------------------------


def test_a_class_expires_after_a_day_unless_kept_and_purge_removes_its_rows(store, clock):
    old, _ = store.start_class()
    kept, kept_key = store.start_class()
    student = store.join(old, client_id="a")
    store.record_answer(old, student, "ex1", 1.0, True)
    store.record_drawing(old, student, drawing(), 1)
    store.record_model(old, student, "mlp", 0.9, 1.0)
    store.keep_class(kept, kept_key)
    clock.advance(hours=23)
    assert store.purge_expired(clock.now) == 0
    clock.advance(hours=1, seconds=1)
    with refused(Refusal.CLASS_EXPIRED):
        store.join(old, client_id="b")
    with refused(Refusal.CLASS_EXPIRED):
        store.record_answer(old, student, "ex1", 2.0, True)
    assert store.purge_expired(clock.now) == 1
    with refused(Refusal.UNKNOWN_CLASS):
        store.class_info(old)
    assert store.class_info(kept).kept
    with store.engine.connect() as conn:
        for table in (tables.students, tables.answers, tables.drawings, tables.models):
            assert conn.execute(select(table)).all() == [], table.name
        tries = conn.execute(select(tables.join_tries.c.client_id)).scalars().all()
    assert tries == ["b"]  # the try of a minute ago went, the last one stays


# -- playlists ---------------------------------------------------------------------------------

STEPS = [
    {"page": "autograd", "settings": {"expr": "x*w+b"}, "shown": ["expr"], "exercise": "ag1"},
    {"page": "linreg", "settings": {"lr": "0.1"}, "prompt": "<i>Predict</i> the loss"},
    {"page": "mnist"},
]


def test_a_playlist_is_saved_loaded_and_followed_by_the_students(store):
    code, key = store.start_class()
    student = store.join(code, client_id="a")
    assert store.current_step(code, student) is None
    store.save_playlist(code, key, STEPS)
    loaded = store.load_playlist(code, key)
    assert loaded[1]["prompt"] == "<i>Predict</i> the loss"  # stored as text, as given
    assert loaded[2] == {"page": "mnist", "settings": {}, "shown": []}
    view = store.current_step(code, student)
    assert (view.index, view.total, view.step["page"]) == (0, 3, "autograd")
    store.set_step(code, key, 2)
    assert store.current_step(code, student).step["page"] == "mnist"
    for bad in (3, -1, "1", True, None):
        with refused(Refusal.BAD_STEP):
            store.set_step(code, key, bad)
    store.set_pace(code, key, "own")
    assert store.class_info(code).pace == "own"
    with refused(Refusal.BAD_PACE):
        store.set_pace(code, key, "fast")
    store.save_playlist(code, key, STEPS[:1])  # a new playlist starts at its first step
    assert store.current_step(code, student).total == 1
    assert store.class_info(code).current_step == 0


@pytest.mark.parametrize(
    "steps",
    [
        "not a list",
        [{"settings": {}}],
        [{"page": ""}],
        [{"page": "mnist", "settings": {"lr": 0.1}}],
        [{"page": "mnist", "shown": "lr"}],
        [{"page": "mnist", "exercise": "a b"}],
        [{"page": "mnist", "prompt": "x" * 501}],
        [{"page": "mnist", "script": "alert(1)"}],
        [{"page": "mnist", "settings": {f"k{i}": "v" * 50 for i in range(100)}}],
        ["mnist"],
    ],
)
def test_malformed_playlists_are_refused(store, steps):
    code, key = store.start_class()
    with refused(Refusal.BAD_PLAYLIST):
        store.save_playlist(code, key, steps)


def test_a_playlist_has_at_most_30_steps(store):
    code, key = store.start_class()
    store.save_playlist(code, key, [{"page": "mnist"}] * 30)
    with refused(Refusal.TOO_MANY_STEPS):
        store.save_playlist(code, key, [{"page": "mnist"}] * 31)
    assert len(store.load_playlist(code, key)) == 30


# -- schema, replicas, a lost database -----------------------------------------------------


def test_migrate_twice_is_a_no_op_and_a_newer_database_is_refused(url, clock):
    first = ClassStore(url, clock=clock)
    code, _ = first.start_class()
    assert migrate(first.engine) == SCHEMA_VERSION
    with first.engine.connect() as conn:
        assert conn.execute(select(tables.schema_version.c.version)).scalars().all() == [1]
    assert ClassStore(url, clock=clock).class_info(code).code == code  # data kept
    with first.engine.begin() as conn:
        conn.execute(update(tables.schema_version).values(version=SCHEMA_VERSION + 1))
    with pytest.raises(SchemaTooNew, match="newer"):
        ClassStore(url, clock=clock)
    with pytest.raises(SchemaTooNew):
        migrate(create_engine(url))
    first.close()


def test_two_replicas_on_one_url_see_the_same_class(url, clock):
    one, two = ClassStore(url, clock=clock), ClassStore(url, clock=clock)
    code, key = one.start_class()
    student = two.join(code, "Ada", client_id="a")
    one.record_answer(code, student, "ex1", 4.0, True)
    assert two.answer_histogram(code, key, "ex1").numbers == (4.0,)
    assert two.verify_teacher(code, key)
    two.save_playlist(code, key, STEPS)
    one.set_step(code, key, 1)
    assert two.current_step(code, student).index == 1
    for i in range(store_module.JOIN_TRIES_PER_MINUTE):
        (one, two)[i % 2].join(code, client_id="shared")
    with refused(Refusal.RATE_LIMITED):  # the tries of both replicas count together
        one.join(code, client_id="shared")
    one.close()
    two.close()


def test_an_unwritable_sqlite_file_is_store_unavailable(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailable):
        ClassStore(f"sqlite:///{blocker / 'explorer.sqlite'}")


def test_no_postgres_server_listening_is_store_unavailable(postgres_server):
    with pytest.raises(StoreUnavailable):
        ClassStore(f"postgresql+psycopg://explorer@127.0.0.1:{postgres.free_port()}/postgres")


@pytest.mark.slow
def test_a_postgres_server_that_goes_away_is_store_unavailable_then_comes_back(postgres_server):
    with postgres.running_server() as server:
        store = ClassStore(server.new_database())
        code, key = store.start_class()
        server.stop()
        for call in (
            store.start_class,
            lambda: store.join(code, client_id="a"),
            lambda: store.answer_histogram(code, key, "ex1"),
        ):
            with pytest.raises(StoreUnavailable):
                call()
        server.resume()
        assert store.verify_teacher(code, key)  # the pool reconnects by itself
        store.close()


def test_the_database_url_comes_from_the_environment_else_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("EXPLORER_DATABASE_URL", "postgresql+psycopg://db.example/explorer")
    assert database_url() == "postgresql+psycopg://db.example/explorer"
    monkeypatch.setenv("EXPLORER_DATABASE_URL", " ")
    monkeypatch.setenv("EXPLORER_DATA_DIR", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'explorer.sqlite'}"
    from core.mnist.data import data_dir

    assert store_module.default_data_dir() == data_dir()  # the same rule as MNIST's folder
    monkeypatch.delenv("EXPLORER_DATA_DIR")
    assert store_module.default_data_dir() == data_dir()


def test_the_default_store_is_an_sqlite_file_in_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("EXPLORER_DATABASE_URL", raising=False)
    monkeypatch.setenv("EXPLORER_DATA_DIR", str(tmp_path / "data"))
    store = ClassStore()
    code, _ = store.start_class()
    store.close()
    assert (tmp_path / "data" / "explorer.sqlite").exists()
    assert ClassStore().class_info(code).code == code


def test_a_class_answering_at_once_from_threads_keeps_every_answer_and_one_each(store):
    from concurrent.futures import ThreadPoolExecutor

    code, key = store.start_class()
    students = [store.join(code, client_id=f"c{i}") for i in range(30)]
    twice = students[0]

    def answer(i: int) -> None:
        # Every student once, and the first one nine more times at the same moment.
        who = students[i] if i < len(students) else twice
        store.record_answer(code, who, "ex1", float(i), i % 2 == 0)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(answer, range(len(students) + 9)))
    summary = store.answer_histogram(code, key, "ex1")
    assert summary.count == 30
    assert set(summary.numbers) >= {float(i) for i in range(1, 30)}
