"""The autograd page through Streamlit's AppTest: defaults, URL state, bad input, controls."""

from __future__ import annotations

import re

import pytest

PAGE = "pages/autograd.py"


def graph_source(at) -> str:
    charts = at.get("graphviz_chart")
    assert charts, "no graph on the page"
    return charts[0].proto.spec


def grads(at) -> dict[str, str]:
    """{tensor name: its gradient cell} from the values-and-gradients table."""
    table = at.dataframe[0].value
    column = next(c for c in table.columns if c.endswith("/d(this tensor)"))
    return dict(zip(table["name"], table[column], strict=True))


def shown(markdown: str) -> str:
    """Markdown as read on screen: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_default_page_is_the_chapter_example(app_test):
    at = app_test(PAGE, timeout=180)
    assert not at.exception
    assert at.title[0].value == "Autograd & computational graphs"
    code = at.code[0].value
    assert "dtype=torch.float, requires_grad=True)" in code and "out.backward()" in code
    dot = graph_source(at)
    assert "MeanBackward0" in dot and "x (2, 3)" in dot and ">grad<" in dot
    assert at.slider(key="ag_step").value == 5
    assert "Step 5 of 5" in texts(at)
    assert grads(at)["x"] == "[[3, 4, 5], [6, 7, 8]]"
    assert [m.value for m in at.metric][2] == "agree"
    assert not at.error


def test_url_restores_the_experiment(app_test):
    at = app_test(
        PAGE,
        timeout=180,
        query={
            "ag_prog": "y = x * 3\nout = y.sum()",
            "ag_step": "2",
            "ag_saved": "1",
            "ag_annot": "0",
        },
    )
    assert not at.exception
    assert at.text_area(key="ag_prog").value == "y = x * 3\nout = y.sum()"
    assert at.slider(key="ag_step").value == 2
    assert "Step 2 of 3" in texts(at)
    dot = graph_source(at)
    assert "SumBackward0" in dot and "value" not in dot and "#FBE3B3" in dot  # saved tensors
    at.slider(key="ag_step").set_value(1).run()
    assert at.query_params["ag_step"] in ("1", ["1"])
    at.slider(key="ag_step").set_value(3).run()  # all steps done is the default: not in the URL
    assert "ag_step" not in at.query_params


def test_hostile_url_falls_back_to_defaults(app_test):
    at = app_test(
        PAGE,
        timeout=180,
        query={
            "ag_step": "abc",
            "ag_mode": "rm -rf /",
            "ag_prog": "x" * 5000,
            "ag_reduce": "<script>",
            "ag_annot": "maybe",
            "ag_example": "../../etc/passwd",
            "ag_n": "1e99",
        },
    )
    assert not at.exception
    assert at.radio(key="ag_mode").value == "An expression"
    assert at.text_area(key="ag_prog").value.startswith("y = x + 2")
    assert at.slider(key="ag_step").value == 5
    assert not at.error


def test_hostile_leaves_in_the_url_are_refused_on_the_page(app_test):
    at = app_test(PAGE, timeout=180, query={"ag_leaves": "__import__('os').system('ls')"})
    assert not at.exception
    assert "Leaves, line 1, column 1" in at.error[0].value


BAD = [
    ("x +", "syntax error"),
    ("out = q * 2", "unknown name 'q'"),
    ("x.__class__", "attribute .__class__ is not allowed"),
    ("().__class__.__bases__", "attribute .__bases__ is not allowed"),
    ("__import__('os')", "__import__ is not allowed"),
    ("lambda: x", "lambda functions are not allowed"),
    ("[i for i in x]", "list comprehensions are not allowed"),
    ("x @ x", "PyTorch refused shapes (2, 3) and (2, 3)"),
    ("9**9**9", "exponent 387,420,489 is too large"),
    ("log(x - 10)", "produced 6 NaN values"),
    ("x.reshape(5000, 2) @ x.reshape(2, 5000)", None),
]


def test_bad_input_gets_a_clear_message_and_the_app_stays_up(app_test):
    at = app_test(PAGE, timeout=180)
    for program, reason in BAD:
        at.text_area(key="ag_prog").set_value(program).run()
        assert not at.exception, program
        message = shown(at.error[0].value)
        assert "Expression, line 1, column" in message, (program, message)
        if reason:
            assert reason in message, (program, message)
    leaves = "a = torch.randn(5000, 1)\nb = torch.randn(1, 5000)"
    at.text_area(key="ag_leaves").set_value(leaves).run()
    at.text_area(key="ag_prog").set_value("out = a * b").run()
    assert "25,000,000 elements" in at.error[0].value
    at.text_area(key="ag_leaves").set_value("a = torch.randn(200, 200)").run()
    assert "40,000 elements" in at.error[0].value
    at.text_area(key="ag_leaves").set_value(
        "x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)"
    ).run()
    at.text_area(key="ag_prog").set_value("out = (x * x).sum()").run()  # recovers
    assert not at.error and not at.exception


def test_settings_survive_a_refused_input(app_test):
    at = app_test(PAGE, timeout=180, query={"ag_annot": "0"})
    at.button(key="ag_prev").click().run()
    at.button(key="ag_prev").click().run()
    at.text_area(key="ag_prog").set_value("out = x.__class__").run()  # stops the page early
    assert at.error and not at.exception
    at.text_area(key="ag_prog").set_value("out = (x * x).sum()").run()
    assert at.slider(key="ag_step").value == 3 and at.toggle(key="ag_annot").value is False
    assert "Step 3 of 3" in texts(at)


def test_non_scalar_output_offers_sum_mean_or_gradient(app_test):
    at = app_test(PAGE, timeout=180, query={"ag_prog": "y = x ** 2"})
    assert not at.exception
    assert "grad can be implicitly created only for scalar outputs" in at.error[0].value
    at.radio(key="ag_reduce").set_value("sum").run()
    assert not at.error
    assert "y.sum().backward()" in at.code[0].value
    assert grads(at)["x"] == "[[2, 4, 6], [8, 10, 12]]"
    at.radio(key="ag_reduce").set_value("ones").run()
    assert "y.backward(gradient=torch.ones_like(y))" in at.code[0].value
    at.radio(key="ag_reduce").set_value("mean").run()
    assert "MeanBackward0" in graph_source(at)


def test_step_buttons_walk_the_backward_pass(app_test):
    at = app_test(PAGE, timeout=180)
    at.button(key="ag_prev").click().run()
    assert at.slider(key="ag_step").value == 4
    assert "Step 4 of 5" in texts(at)
    assert graph_source(at).count("#FAF3B0") == 1  # the current node is highlighted
    at.slider(key="ag_step").set_value(0).run()
    assert any("Forward pass only" in i.value for i in at.info)
    assert ">grad<" not in graph_source(at)
    at.button(key="ag_next").click().run()
    assert at.slider(key="ag_step").value == 1


def test_examples_and_lessons(app_test):
    at = app_test(PAGE, timeout=180)
    at.selectbox(key="ag_example").set_value("One value used twice: gradients add up").run()
    assert not at.exception
    assert at.text_area(key="ag_prog").value == "c = a * b\nout = c + a ** 2"
    assert grads(at)["a"] == "7" and grads(at)["b"] == "2"
    page_text = texts(at)
    assert "adds" in page_text and "no_grad" in page_text and "shares" in page_text
    at.selectbox(key="ag_example").set_value("detach(): stop the gradient").run()
    assert any("because of `.detach()`" in i.value for i in at.info)


@pytest.mark.slow
@pytest.mark.parametrize(
    "model, node",
    [
        ("Linear regression: nn.Linear + MSELoss", "MseLossBackward0"),
        ("Logistic regression: nn.Linear + sigmoid + BCELoss", "BinaryCrossEntropyBackward0"),
        ("MNIST: 784 -> 10 softmax classifier + CrossEntropyLoss", "NllLossBackward0"),
    ],
)
def test_model_presets(app_test, model, node):
    at = app_test(
        PAGE, timeout=180, query={"ag_mode": "A model's loss", "ag_model": model, "ag_n": "3"}
    )
    assert not at.exception
    dot = graph_source(at)
    assert node in dot and "model.weight" in dot and "model.bias" in dot
    assert "model = nn.Linear(" in at.code[0].value
    assert [m.value for m in at.metric][2] == "agree"
