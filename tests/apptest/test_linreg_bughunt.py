"""The bug hunt section (AppTest): every widget, each bug's symptom on screen, the mystery."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.linreg import bugs as B
from ui.linreg_bughunt import BOX, LABELS, RUNS


def script():
    """A small line problem and the section, as the linear regression page calls it."""
    from core import linreg
    from core.linreg import data as linreg_data
    from ui import clicks
    from ui.linreg_bughunt import bug_hunt_section

    dataset = linreg_data.synthetic(linreg_data.SyntheticConfig("line", 2.0, 1.0, 1.0, 40, 0))
    problem = linreg.make_problem(dataset, 1, True)
    bug_hunt_section(problem, linreg.HandConfig(0.1, 100))
    clicks.page_complete()


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [c.value for c in at.code]
    for kind in ("error", "warning", "success", "info"):
        parts += [e.value for e in getattr(at, kind)]
    return "\n".join(parts)


def table(at):
    return at.dataframe[0].value


def start(seed: int | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_function(script, default_timeout=60)
    at.session_state[BOX] = True  # the section's expander, opened (built only while open)
    if seed is not None:
        at.session_state["_lin_bug_seed"] = seed
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    return at


def pick(at, bug: B.Bug) -> AppTest:
    at.selectbox(key="lin_bug").set_value(bug.value).run()
    assert not at.exception
    return at


def test_closed_it_costs_nothing():
    at = AppTest.from_function(script, default_timeout=60)
    at.run()
    assert not at.exception and not at.selectbox and RUNS not in at.session_state
    (box,) = at.expander
    assert box.label.startswith("Bug hunt")


def test_the_widgets_and_a_chosen_bug():
    at = start(seed=0)
    assert at.selectbox(key="lin_bug").value == "mystery"
    assert at.slider(key="lin_bug_steps").value == 20
    pick(at, B.Bug.NON_SCALAR)
    page = texts(at)
    assert "PyTorch raised at step 1:" in page
    assert "RuntimeError: grad can be implicitly created only for scalar outputs" in page
    assert "loss = (pred - y[idx]) ** 2" in [c.value for c in at.code]  # the wrong line
    assert "loss = ((pred - y[idx]) ** 2).mean()" in [c.value for c in at.code]
    assert table(at)["loss (the code's)"].tolist() == ["shape (40,)"]
    assert at.query_params["lin_bug"] in ("non_scalar", ["non_scalar"])
    at.slider(key="lin_bug_steps").set_value(5).run()
    assert not at.exception


def test_gradients_never_zeroed_show_in_the_table():
    at = pick(start(), B.Bug.NO_ZERO_GRAD)
    rows = table(at)
    assert len(rows) == 20
    first, second = float(rows["w.grad"][0]), float(rows["w.grad"][1])
    right_second = float(rows["w.grad, right loop"][1])
    assert second == pytest.approx(first + right_second, rel=1e-3)  # accumulated
    assert "(w.grad and b.grad are never reset)" in texts(at)


def test_the_detach_bug_keeps_growing_graph():
    at = pick(start(), B.Bug.NO_DETACH)
    kept = table(at)["autograd nodes kept alive"].tolist()
    assert kept[0] > 0 and all(b > a for a, b in zip(kept, kept[1:], strict=False))


def test_lr_too_large_names_its_rate():
    at = pick(start(), B.Bug.LR_TOO_LARGE)
    page = texts(at)
    assert "at learning rate 0.1," not in page
    assert "no longer finite" in page or float(table(at)["mean squared error"].iloc[-1]) > 1e6


def test_the_mystery_is_named_after_a_wrong_guess():
    at = start(seed=0)
    bug = B.mystery(0)
    page = texts(at)
    assert "The wrong line" not in page and LABELS[bug] not in page  # nothing given away
    ran = next(c.value for c in at.caption if "step(s) run" in c.value)
    assert ran.startswith("20 step(s) run, on 40 rows")  # the rate is not said: it could be
    # the answer
    wrong = next(b for b in B.Bug if b is not bug)
    at.radio(key="lin_bug_guess").set_value(wrong.value)
    at.button(key="lin_bug_check").click().run()
    assert not at.exception
    page = texts(at)
    assert f"Not “{LABELS[wrong]}” (1 wrong guess)" in page and "The wrong line" not in page
    at.radio(key="lin_bug_guess").set_value(bug.value)
    at.button(key="lin_bug_check").click().run()
    page = texts(at)
    assert f"Right: it is **{LABELS[bug]}**" in page and "The wrong line" in page


def test_check_without_a_guess_and_show_me():
    at = start(seed=5)
    at.button(key="lin_bug_check").click().run()  # nothing picked: nothing happens
    assert not at.exception and "Not “" not in texts(at)
    at.button(key="lin_bug_show").click().run()
    page = texts(at)
    assert f"It was **{LABELS[B.mystery(5)]}**" in page and "The wrong line" in page
    at.button(key="lin_bug_new").click().run()
    assert not at.exception
    assert at.session_state["_lin_bug_seed"] != 5
    assert "The wrong line" not in texts(at)  # a new mystery, not answered yet


def test_a_hostile_link_falls_back_to_the_defaults():
    at = start(query={"lin_bug": "<script>", "lin_bug_steps": "1e400"})
    assert at.selectbox(key="lin_bug").value == "mystery"
    assert at.slider(key="lin_bug_steps").value == 20


@pytest.mark.parametrize("bug", list(B.Bug))
def test_every_bug_runs_on_the_page(bug):
    at = pick(start(), bug)
    assert not at.exception and len(table(at)) >= 1
    assert "The right line" in texts(at)
