"""The exercise system: the shipped catalog, refused catalogs, answer parsing, and every
exercise graded right and wrong against its own real run."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from core.exercises import (
    PAGES,
    CatalogError,
    Progress,
    Refusal,
    Resources,
    catalog,
    for_page,
    grade,
    parse_answer,
    parse_catalog,
    read_outcome,
)
from core.exercises.grading import parse_number, parse_pair
from core.exercises.outcomes import drawn_digit
from core.mnist.models import load_pretrained_saved
from core.runtime import one_thread
from tests.conftest import ROOT
from tests.support.mnist_helpers import mnist

GOOD = """
[[exercise]]
id = "one"
page = "mnist"
kind = "number"
prompt = "How much?"
outcome = "mnist_test_accuracy"
explanation = "Because."
abs_tol = 1
"""


# ---- the catalog ----------------------------------------------------------------------


def test_shipped_catalog_loads_with_three_or_more_exercises_per_page():
    exercises = catalog()
    assert len({ex.id for ex in exercises}) == len(exercises)
    for page in PAGES:
        assert len(for_page(page)) >= 3, page
    assert {ex.kind for ex in exercises} == {"number", "choice", "sign", "trend", "pair"}


def test_a_good_entry_parses():
    (ex,) = parse_catalog(GOOD)
    assert (ex.id, ex.page, ex.kind, ex.abs_tol) == ("one", "mnist", "number", 1.0)


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (('outcome = "mnist_test_accuracy"', 'outcome = "no_such_reader"'), "unknown outcome"),
        (('kind = "number"', 'kind = "essay"'), "unknown kind"),
        (('page = "mnist"', 'page = "chemistry"'), "unknown page"),
        (('explanation = "Because."\n', ""), "'explanation' is missing"),
        (("abs_tol = 1", "abs_tol = 0"), "needs a tolerance"),
        (("abs_tol = 1", 'abs_tol = "one"'), "'abs_tol' must be a number"),
        (("abs_tol = 1", "abs_tol = nan"), "'abs_tol' must be a number"),
        (("abs_tol = 1", "abs_tol = -1"), "needs a tolerance"),
        (("abs_tol = 1", "abs_tol = 1\nanswer = 92"), "unknown field 'answer'"),
        (('prompt = "How much?"', 'prompt = ""'), "'prompt' must be non-empty"),
        (('kind = "number"', 'kind = "choice"'), "at least two options"),
        (("abs_tol = 1", "abs_tol = 1\n[exercise.options]\na = 'A'"), "options are for choices"),
        (("abs_tol = 1", "abs_tol = 1\n[exercise.settings]\nk = {a = 1}"), "setting 'k'"),
    ],
)
def test_bad_entries_are_refused_naming_the_exercise(edit, words):
    with pytest.raises(CatalogError) as err:
        parse_catalog(GOOD.replace(*edit))
    assert "exercise 'one'" in str(err.value) and words in str(err.value)


def test_catalog_refusals_without_an_id_or_twice_the_same_id():
    with pytest.raises(CatalogError, match="exercise 'one': this id is used twice"):
        parse_catalog(GOOD + GOOD)
    with pytest.raises(CatalogError, match="exercise 'number 1': the field 'id' is missing"):
        parse_catalog(GOOD.replace('id = "one"\n', ""))
    with pytest.raises(CatalogError, match="not valid TOML"):
        parse_catalog(GOOD + "\n[[exercise]\n")
    with pytest.raises(CatalogError, match="only \\[\\[exercise\\]\\] tables"):
        parse_catalog("title = 'x'\n" + GOOD)


# ---- answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0.5", 0.5),
        (" +6 ", 6.0),
        ("1,5", 1.5),
        ("1/2", 0.5),
        ("\u22120.25", -0.25),
        ("2e-3", 0.002),
        (".5", 0.5),
        ("92 %", 92.0),
        ("92%", 92.0),
    ],
)
def test_numbers_are_read(typed, value):
    assert parse_number(typed, "%") == pytest.approx(value)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("abc", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("1,2,3", "not_a_number"),
        ("1,5.0", "not_a_number"),
        ("2+2", "not_a_number"),
        ("__import__('os')", "not_a_number"),
        ("nan", "not_finite"),
        ("NaN", "not_finite"),
        ("inf", "not_finite"),
        ("-Infinity", "not_finite"),
        ("1e400", "not_finite"),
        ("1e308/1e-308", "not_finite"),
        ("1,000", "ambiguous_comma"),
        ("1/0", "divide_by_zero"),
        ("1/x", "not_a_number"),
        ("9" * 100, "too_long"),
    ],
)
def test_bad_numbers_are_refused_with_a_code(typed, code):
    (ex,) = parse_catalog(GOOD)
    result = parse_answer(ex, typed)
    assert isinstance(result, Refusal) and result.code == code


def test_numbers_outside_the_exercise_range_are_refused():
    ex = next(e for e in catalog() if e.id == "mn_linear_accuracy")
    assert parse_answer(ex, "150").code == "out_of_range"
    assert parse_answer(ex, "-3").code == "out_of_range"
    assert parse_answer(ex, "92") == 92.0


@pytest.mark.parametrize(
    ("typed", "pair"),
    [("4 and 9", (4, 9)), ("9,4", (4, 9)), ("4-9", (4, 9)), ("49", (4, 9)), (" 3 5 ", (3, 5))],
)
def test_pairs_are_read_smaller_first(typed, pair):
    assert parse_pair(typed) == pair


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("four and nine", "wrong_count"),
        ("4", "wrong_count"),
        ("4, 9, 7", "wrong_count"),
        ("4 and 4", "same_digit"),
        ("4 and 12", "not_a_digit"),
        ("4.5 and 9", "not_a_digit"),
        ("-4 and 9", "not_a_digit"),
        ("1e400", "not_a_digit"),
        ("4 " * 40, "too_long"),
    ],
)
def test_bad_pairs_are_refused_with_a_code(typed, code):
    result = parse_pair(typed)
    assert isinstance(result, Refusal) and result.code == code


def test_a_choice_must_be_one_of_its_options():
    ex = next(e for e in catalog() if e.kind == "trend")
    assert parse_answer(ex, "explodes") == "explodes"
    assert parse_answer(ex, None).code == "empty"
    assert parse_answer(ex, "wobbles").code == "unknown_option"


def test_progress_counts_answered_and_right_per_page():
    progress = Progress()
    ids = [ex.id for ex in for_page("mnist")]
    assert progress.tally(ids).answered == 0
    progress.record(ids[0], False)
    progress.record(ids[1], True)
    progress.reveal(ids[2])  # shown, not graded: not counted
    progress.record("lin_sgd_paths", True)  # another page's
    tally = progress.tally(ids)
    assert (tally.answered, tally.right, tally.total) == (2, 1, len(ids))
    progress.record(ids[0], True)  # answered again: the latest counts
    assert progress.tally(ids).right == 2
    assert not progress.record(ids[2], True)  # after "Show me": graded, never counted
    assert progress.tally(ids) == type(tally)(2, 2, len(ids))


# ---- every exercise against its real run -------------------------------------------------

# id -> (a right answer, a wrong answer) as a student gives them: what the chapter predicts.
ANSWERS = {
    "ag_upstream_yy": ("1/2", "1/6"),
    "ag_sum_vs_mean": ("6", "2"),
    "ag_no_requires_grad": ("refused", "zeros"),
    "lin_sgd_paths": ("together", "apart"),
    "lin_adam_paths": ("apart", "together"),
    "lin_no_standardise": ("explodes", "falls"),
    "lr_xor_line": ("75", "100"),
    "lr_xor_feature": ("100 %", "75"),
    "lr_circles_features": ("x1^2+x2^2", "sin(x1)+sin(x2)"),
    "lr_rate_ten": ("explodes", "falls"),
    "mn_linear_accuracy": ("92", "50"),
    "mn_confused_pair": (None, "0 and 1"),  # right: the run's own top pair, see below
    "mn_mlp_or_linear": ("mlp", "linear"),
    "draw_small_seven": ("yes", "no"),
    "draw_naive_seven": ("no", "yes"),
    "draw_blank_votes": ("positive", "negative"),
}


@pytest.fixture(scope="module")
def resources():
    return Resources(mnist, load_pretrained_saved)


def test_every_shipped_exercise_has_answers_here():
    assert set(ANSWERS) == {ex.id for ex in catalog()}


@pytest.mark.slow
@pytest.mark.parametrize("ex", catalog(), ids=lambda ex: ex.id)
def test_each_exercise_is_graded_right_and_wrong_on_its_real_run(ex, resources):
    with one_thread():
        outcome = read_outcome(ex, resources)
    if ex.kind == "number":
        assert math.isfinite(outcome.truth) and ex.low <= outcome.truth <= ex.high
    elif ex.kind != "pair":
        assert outcome.truth in ex.choices
    right, wrong = ANSWERS[ex.id]
    if right is None:  # the top pair of this very run, typed as a student would
        right = "{} and {}".format(*outcome.truth)
    good, bad = (
        grade(ex, parse_answer(ex, right), outcome),
        grade(ex, parse_answer(ex, wrong), outcome),
    )
    assert good.correct, (ex.id, right, outcome)
    assert not bad.correct, (ex.id, wrong, outcome)
    if ex.kind == "number":
        assert bad.off == pytest.approx(parse_answer(ex, wrong) - outcome.truth)


@pytest.mark.slow
def test_the_most_confused_pair_is_a_chapter_pair_and_near_ties_count(resources):
    ex = next(e for e in catalog() if e.id == "mn_confused_pair")
    with one_thread():
        outcome = read_outcome(ex, resources)
    scores = dict(outcome.scores)
    assert outcome.truth == max(scores, key=scores.get)
    assert outcome.truth in {(4, 9), (3, 5), (7, 9), (2, 8), (5, 8), (3, 8)}
    runner_up = sorted(scores, key=scores.get)[-2]
    close = scores[outcome.truth] - scores[runner_up] <= ex.abs_tol
    assert grade(ex, runner_up, outcome).correct == close


def test_every_setting_is_a_widget_key_a_page_uses():
    """A typo in a catalog's setting (lin_rate for lin_lr) would be ignored by the page."""
    sources = "".join(p.read_text() for d in ("pages", "ui") for p in (ROOT / d).glob("*.py"))
    for ex in catalog():
        for key in ex.settings:
            assert f'"{key}"' in sources, (ex.id, key)


def test_a_mistyped_setting_value_is_refused_by_the_run():
    """The section shows these errors (ValueError, KeyError) as "could not run"."""
    ex = next(e for e in catalog() if e.id == "lin_sgd_paths")
    with pytest.raises(KeyError):
        read_outcome(replace(ex, settings={**ex.settings, "lin_data": "Straight line"}))
    with pytest.raises(ValueError, match="unknown option"):
        read_outcome(replace(ex, settings={**ex.settings, "lin_opt": "Adagrad"}))
    step = next(e for e in catalog() if e.id == "ag_upstream_yy")
    with pytest.raises(ValueError, match="steps 1 to 5, not 9"):
        read_outcome(replace(step, settings={**step.settings, "ag_step": 9}))


def test_an_exercise_whose_settings_change_gives_another_truth():
    """The truth comes from the run with the exercise's settings, not from a stored answer."""
    ex = next(e for e in catalog() if e.id == "lin_no_standardise")
    with one_thread():
        assert read_outcome(ex).truth == "explodes"
        standardised = replace(ex, settings={**ex.settings, "lin_std": True})
        assert read_outcome(standardised).truth == "falls"


def test_the_drawn_digit_is_small_and_in_its_corner(resources):
    ex = next(e for e in catalog() if e.id == "draw_small_seven")
    rgba = drawn_digit(ex, resources)
    ink = rgba[..., 0] < 128
    rows, cols = ink.any(1).nonzero()[0], ink.any(0).nonzero()[0]
    assert rgba.shape == (280, 280, 4) and rgba.dtype.name == "uint8"
    assert rows.max() < 70 and cols.max() < 70 and rows.max() - rows.min() > 20
    with one_thread():
        outcome = read_outcome(ex, resources)
    assert outcome.picture.shape == (28, 28)  # what the model read: centred, so ink mid-field
    assert outcome.picture[10:18, 10:18].sum() > outcome.picture[:4, :4].sum()
