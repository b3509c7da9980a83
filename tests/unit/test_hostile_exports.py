"""Generated code treats user text as data: hostile names never change what a script does.

Every exporter that embeds user text (the linear-regression reproduction script, the logistic
script, the autograd code panel) is checked two ways:

- structurally, for thousands of hostile names drawn by hypothesis: the script compiles as
  UTF-8 and its syntax tree equals the tree of the same export with harmless names, once
  every string constant is blanked (so user text can only ever be a literal or a comment);
- for real, on a few of the nastiest names: the script runs in a subprocess, in an empty
  folder, prints its results and creates nothing.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import linreg, logreg
from core.autograd import scenarios as P
from core.autograd.code import scenario_code
from core.autograd.source import ExpressionError
from core.linreg import HandConfig, TorchConfig
from core.linreg import export as linreg_export
from core.linreg.data import dataset_from_columns
from core.logreg.data import dataset_from_csv
from core.logreg.export import export_script
from core.untrusted import file_stem, plot_text, py_comment, py_string
from tests.support.runs import run_scripts
from tests.unit.test_expr import ANY_TEXT

# Text that has broken generated code somewhere: quotes of every kind, every line break
# Python or an editor knows, an encoding cookie, bidirectional controls, NUL, escapes.
NASTY = [
    '"""+__import__("os").system("touch PWNED")+"""',
    "'''+__import__('os').system('touch PWNED')+'''",
    "x\n__import__('os').system('touch PWNED')\n#",
    "x\r__import__('os').system('touch PWNED')\r#",
    "x\r\nimport os; os.system('touch PWNED')",
    "\x0c\x0b\x85\u2028\u2029",
    "# -*- coding: utf-7 -*-",
    "+AAo-import os+AAo-",
    "\u202e\u2066evil\u2069\u202c",
    "\\",
    "\\\n",
    "\x00",
    "{x}",
    "%s",
    "}}{{",
    "\\N{LF}",
    "<a href='http://example.invalid'>x</a>",
    "![i](http://example.invalid/i.png)",
    "é中文🙂",
    "",
]
HOSTILE_TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.lists(
        st.sampled_from(NASTY + ['"', "'", "\n", "\r", "#", "\\", "coding:", "=", ":"]), max_size=6
    ).map("".join),
)
FUZZ = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def shape_of(source: str) -> str:
    """The syntax tree of `source` with every string constant blanked (must compile)."""
    tokenize_encoding = tokenize.detect_encoding(io.BytesIO(source.encode("utf-8")).readline)[0]
    assert tokenize_encoding == "utf-8", "a comment declared another source encoding"
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


# ---- the encoders ---------------------------------------------------------------------


@FUZZ
@given(HOSTILE_TEXT)
def test_py_string_and_py_comment_are_inert(text):
    literal = py_string(text)
    assert ast.literal_eval(literal) == text
    source = f"a = {literal}  # {py_comment(text)}\nb = 2\n"
    assert shape_of(source) == shape_of("a = ''  # x\nb = 2\n")
    assert "\n" not in py_comment(text) and "\r" not in py_comment(text)


@given(HOSTILE_TEXT)
@settings(max_examples=300, deadline=None, derandomize=True)
def test_plot_text_and_file_stem_hold_no_markup(text):
    assert "<" not in plot_text(text) and ">" not in plot_text(text)
    stem = file_stem(text)
    assert stem and all(c.isascii() and (c.isalnum() or c in "-_") for c in stem)


# ---- linear regression: the reproduction script ------------------------------------------


def linreg_script(x_name: str, y_name: str, steps: int = 3) -> str:
    x = np.linspace(0, 4, 12)
    y_name = y_name if y_name != x_name else y_name + "_"
    data = dataset_from_columns({x_name: x, y_name: 2 * x + 1}, x_name, y_name, b"an upload")
    run = linreg.LabRun(
        linreg.make_problem(data, 1, True), HandConfig(0.1, 5), TorchConfig(0.1, 5, optimizer="sgd")
    )
    run.advance(steps)
    return linreg_export.reproduction_script(run)


BENIGN_LINREG = shape_of(linreg_script("x", "y"))


@FUZZ
@given(HOSTILE_TEXT, HOSTILE_TEXT)
def test_linreg_script_shape_never_depends_on_column_names(x_name, y_name):
    assert shape_of(linreg_script(x_name, y_name)) == BENIGN_LINREG


# ---- logistic regression: the exported script --------------------------------------------


def logreg_script(name: str) -> str:
    rows = "".join(f"{i % 7 - 3},{i % 5 - 2},{i % 2}\n" for i in range(30))
    data = dataset_from_csv(("x1,x2,label\n" + rows).encode(), name=name)
    return export_script(data, logreg.LogRegConfig(), 2)


BENIGN_LOGREG = shape_of(logreg_script("points.csv"))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(HOSTILE_TEXT)
def test_logreg_script_shape_never_depends_on_the_file_name(name):
    assert shape_of(logreg_script(name)) == BENIGN_LOGREG


# ---- the autograd code panel ---------------------------------------------------------------

LEAVES = (
    "x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)\n"
    "w = torch.randn(3, 2, seed=0, requires_grad=True)\ns = torch.tensor(2.0)\n"
    "t = torch.tensor([0, 1])\nv0 = torch.ones(2, 3)"
)
SAFE_CALLS = {"print", "retain_grad", "backward", "manual_seed", "ones_like", "sum", "mean"}


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(ANY_TEXT)
@pytest.mark.filterwarnings("ignore:Using a target size")
def test_autograd_code_panel_is_only_torch_and_print(program):
    try:
        scenario = P.expression_scenario(LEAVES, program)
        comp = scenario.build()
    except ExpressionError:
        return
    code = scenario_code(scenario, comp, "sum")
    tree = ast.parse(code)
    for node in ast.walk(tree):
        assert not isinstance(
            node,
            (
                ast.Lambda,
                ast.FunctionDef,
                ast.ClassDef,
                ast.With,
                ast.Global,
                ast.Delete,
                ast.While,
                ast.For,
            ),
        )
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names]
            assert names in (["torch"], ["torch.nn.functional"]) or (
                isinstance(node, ast.ImportFrom) and node.module in ("torch", "torch.nn")
            ), names
        if isinstance(node, ast.Attribute):
            assert not node.attr.startswith("_"), node.attr
        if isinstance(node, ast.Name):
            assert not node.id.startswith("_") and node.id not in {
                "eval",
                "exec",
                "open",
                "getattr",
                "compile",
            }


# ---- for real: the nastiest names, run --------------------------------------------------------


@pytest.mark.slow
def test_hostile_scripts_only_train_and_print(tmp_path):
    scripts = [
        linreg_script(NASTY[0], NASTY[2]),
        linreg_script(NASTY[3], NASTY[6]),
        linreg_script(NASTY[7], NASTY[8]),
        logreg_script(NASTY[1]),
        logreg_script(NASTY[4]),
    ]
    paths = []
    for i, source in enumerate(scripts):
        paths.append(tmp_path / f"s{i}.py")
        paths[-1].write_text(source, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    out = run_scripts(paths, work)
    assert out.returncode == 0, out.stderr[-2000:]
    assert list(work.iterdir()) == [], "a script created a file"
    assert out.stdout.count('"by_hand"') == 3 and out.stdout.count("final train loss") == 2
    first = json.JSONDecoder().raw_decode(out.stdout)[0]
    assert set(first) == {"by_hand", "pytorch"}
    assert torch.isfinite(torch.tensor(first["by_hand"]["weights"])).all()
