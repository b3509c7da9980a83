"""The safe expression language: leaves, programs, every refusal, and a fuzz test.

The fuzz test feeds generated, mutated and arbitrary text through the whole pipeline
(parse, evaluate, backward, draw) and checks that only `ExpressionError` ever escapes; a
profiler and a spy check that the evaluator calls nothing outside its whitelist.
"""

from __future__ import annotations

import importlib
import sys

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.autograd import compiler
from core.autograd import graph as G
from core.autograd.leaves import LeafSpec, leaves_code, make_leaves, parse_leaves
from core.autograd.ops import INDEX, NEG, OPERATORS, OPS, TRANSPOSE_T
from core.autograd.program import parse_program
from core.autograd.source import ExpressionError

LEAVES_TEXT = (
    "x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)\n"
    "w = torch.randn(3, 2, seed=0, requires_grad=True)\n"
    "s = torch.tensor(2.0)\n"
    "t = torch.randint(0, 2, (2,), seed=1)"
)
SPECS = parse_leaves(LEAVES_TEXT)
NAMES = [s.name for s in SPECS]


def run(program: str):
    return parse_program(program, NAMES).evaluate(make_leaves(SPECS))


def refusal(program: str, leaves: str | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        if leaves is None:
            run(program)
        else:
            specs = parse_leaves(leaves)
            parse_program(program, [s.name for s in specs]).evaluate(make_leaves(specs))
    return info.value


# ---- leaves -------------------------------------------------------------------------------


def test_leaves_follow_pytorch():
    leaves = make_leaves(SPECS)
    assert leaves["x"].dtype == torch.float32 and leaves["x"].requires_grad
    assert leaves["x"].tolist() == [[1, 2, 3], [4, 5, 6]]
    torch.manual_seed(0)  # seed= is torch.manual_seed(seed) on the line before
    assert torch.equal(leaves["w"].detach(), torch.randn(3, 2))
    assert leaves["s"].dim() == 0 and not leaves["s"].requires_grad
    assert leaves["t"].dtype == torch.int64 and leaves["t"].shape == (2,)


def test_leaf_code_recreates_the_same_tensors():
    lines = leaves_code(SPECS)
    assert lines[0] == ("x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)")
    assert lines[1:3] == ["torch.manual_seed(0)", "w = torch.randn(3, 2, requires_grad=True)"]
    assert "t = torch.randint(0, 2, (2,))" in lines


def test_leaf_from_python_without_text():
    spec = LeafSpec("v", init="randn", shape=(2, 2), seed=3, requires_grad=True)
    v = spec.make()
    assert v.shape == (2, 2) and v.requires_grad and v.is_leaf


@pytest.mark.parametrize(
    "text, reason",
    [
        ("x = torch.tensor([1, 2], requires_grad=True)", "only floating-point tensors"),
        ("x = torch.randn(10, 10, 10, 10, 10)", "at most 4 dimensions"),
        ("x = torch.randn(1000, 1000)", "1,000,000 elements"),
        ("x = torch.randn(0, 3)", "between 1 and"),
        ("x = torch.eye(3)", "not a constructor"),
        ("import os", "no imports needed"),
        ("x = torch.tensor([[1., 2.], [3.]])", "x:"),
        ("x = torch.tensor([1.], dtype=torch.int8)", "dtype must be one of"),
        ("x = torch.randn(2, seed=-1)", "the seed must be"),
        ("x = torch.tensor([1.])\nx = torch.tensor([2.])", "already a leaf"),
        ("__x = torch.tensor([1.])", "names starting with _"),
        ("exp = torch.tensor([1.])", "built-in name"),
        ("x = torch.tensor([1e999])", "number too large"),
        ("", "define at least one leaf"),
        ("x = torch.randn(2, generator=g)", "takes only the keywords"),
    ],
)
def test_bad_leaves_are_refused_with_a_reason(text, reason):
    with pytest.raises(ExpressionError) as info:
        make_leaves(parse_leaves(text))
    assert reason in str(info.value)
    assert info.value.where == "leaves"


# ---- programs -----------------------------------------------------------------------------


def test_chapter_example_by_hand():
    ev = run("y = x + 2\nz = y * y * 3\nout = z.mean()")
    assert ev.values["y"].tolist() == [[3, 4, 5], [6, 7, 8]]
    assert ev.values["z"].tolist() == [[27, 48, 75], [108, 147, 192]]
    assert ev.output.item() == pytest.approx(99.5)
    assert ev.output_name == "out"
    assert [(r.op, r.text, r.name) for r in ev.records] == [
        ("add", "x + 2", "y"),
        ("mul", "y * y", None),
        ("mul", "y * y * 3", "z"),
        ("mean", "z.mean()", "out"),
    ]
    ev.output.backward()
    assert ev.values["x"].grad.tolist() == [[3, 4, 5], [6, 7, 8]]  # d out/dx = x + 2


@pytest.mark.parametrize(
    "program, code",
    [
        ("exp(x).sum()", "out = torch.exp(x).sum()"),
        ("softmax(x, 1)", "out = F.softmax(x, dim=1)"),
        ("torch.nn.functional.log_softmax(x, dim=0)", "out = F.log_softmax(x, dim=0)"),
        ("max(x, dim=1)", "out = torch.max(x, dim=1).values"),
        ("x.sum(0, True)", "out = x.sum(dim=0, keepdim=True)"),
        ("reshape(x, 3, 2)", "out = torch.reshape(x, (3, 2))"),
        ("mse_loss(x, x * 2, 'sum')", "out = F.mse_loss(x, x * 2, reduction='sum')"),
        ("cross_entropy(x @ w, t)", "out = F.cross_entropy(x @ w, t)"),
        ("(x.T @ x)[0, 1:]", "out = (x.T @ x)[0, 1:]"),
        ("-x ** 2 / s", "out = -x ** 2 / s"),
    ],
)
def test_programs_run_and_print_as_pytorch(program, code):
    prog = parse_program(program, NAMES)
    assert prog.code() == [code]
    prog.evaluate(make_leaves(SPECS))


def test_graph_nodes_match_what_the_code_would_build():
    # torch.sum(x) and torch.sum(x, dim) are different nodes; we must call the one we print.
    assert type(run("x.sum()").output.grad_fn).__name__ == "SumBackward0"
    assert type(run("x.mean()").output.grad_fn).__name__ == "MeanBackward0"
    assert type(run("x.sum(dim=0)").output.grad_fn).__name__ == "SumBackward1"


# Every bad input the issue lists, plus the limits: each names a position and a reason.
BAD = [
    ("x +", "syntax error", (1, 4)),
    ("exp(xx)", "unknown name 'xx'; did you mean 'x'?", (1, 5)),
    ("x.__class__", "attribute .__class__ is not allowed", (1, 3)),
    ("().__class__.__bases__", "attribute .__bases__ is not allowed", (1, 14)),
    ("__import__('os')", "__import__ is not allowed", (1, 1)),
    ("lambda: x", "lambda functions are not allowed", (1, 1)),
    ("[i for i in x]", "list comprehensions are not allowed", (1, 1)),
    ("x @ x", "PyTorch refused shapes (2, 3) and (2, 3)", (1, 1)),
    ("x + w", "The size of tensor a (3) must match", (1, 1)),
    ("9**9**9", "exponent 387,420,489 is too large", (1, 4)),
    ("x ** 100", "exponent 100 is too large", (1, 6)),
    ("pow(x, -11)", "exponent -11 is too large", (1, 8)),
    ("log(x - 10)", "produced 6 NaN values (log of zero or a negative number)", (1, 1)),
    ("x / 0", "produced 6 infinite values (division by zero)", (1, 1)),
    ("exp(x * 100)", "infinite values", (1, 1)),
    ("x.backward()", "attribute .backward is not allowed", (1, 3)),
    ("x.grad", "attribute .grad is not allowed", (1, 3)),
    ("softmax(x)", "missing a required argument: 'dim'", (1, 1)),
    ("torch.mse_loss(x, x)", "PyTorch has no torch.mse_loss", (1, 7)),
    ("torch.tensor([1.])", "makes a leaf: define it in the leaves box", (1, 7)),
    ("'rm -rf'", "text in quotes is only allowed", (1, 1)),
    ("x if s else w", "if/else expressions are not allowed", (1, 1)),
    ("x[::-1]", "slice steps must be positive", (1, 5)),
    ("y += 1", "in-place updates", (1, 1)),
    ("x.sum()\ny", "only the last line may be a bare expression", (1, 1)),
    ("2 ** 3", "the result is the number 8.0, not a tensor", (1, 1)),
    ("x // 2", "operator // is not supported", (1, 1)),
    ("sum(x, keepdim=True)", "keepdim=True needs a dim", (1, 1)),
    ("open('/etc/passwd')", "open() is not an allowed function", (1, 1)),
    ("x = x + 1", "'x' is already a leaf", (1, 1)),
    ("out = y\ny = x", "unknown name 'y'", (1, 7)),
]


@pytest.mark.parametrize("program, reason, position", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_at_a_position(program, reason, position):
    err = refusal(program)
    assert reason in err.reason
    assert err.position == position
    assert f"line {position[0]}" in str(err)
    if err.source_line is not None:  # the caret sits under the column
        caret = err.pointer().splitlines()[1]
        assert caret.index("^") == position[1] - 1


@pytest.mark.filterwarnings("ignore:Using a target size")
def test_huge_results_are_refused_before_they_are_computed():
    leaves = "a = torch.randn(10000, 1)\nb = torch.randn(1, 10000)"
    for program in ("a * b", "a @ b", "mse_loss(a, b, reduction='none')"):
        err = refusal(program, leaves)
        assert "100,000,000 elements" in err.reason and "limit is 10,000" in err.reason


def test_limits_on_size_and_complexity():
    assert "too long" in refusal("x" + " + x" * 600).reason
    many = "\n".join(f"v{i} = x" + " + x" * 50 for i in range(5))  # 250 operations
    assert "too many operations (the limit is 200)" in refusal(many).reason
    deep = "x" + "".join(f" + {i}" for i in range(150))  # left-deep: 150 levels
    assert "nested too deeply" in refusal(deep).reason
    assert "too many nested parentheses" in refusal("(" * 300 + "x" + ")" * 300).reason
    assert "number too large" in refusal("x * 1e13").reason
    assert "null bytes" in refusal("x\x00").reason
    assert "complex numbers" in refusal("x * 1j").reason


@pytest.mark.filterwarnings("ignore:Using a target size")
def test_mse_loss_broadcasting_is_warned_about():
    ev = run("mse_loss(x.sum(dim=1), x.sum(dim=1).unsqueeze(1))")
    assert any("broadcasts" in w for w in ev.warnings)


def test_error_positions_count_characters_not_bytes():
    assert refusal("ä = x * 2\nz = ä + qq").position == (2, 9)  # ä is 2 bytes, 1 character


# ---- the fuzz test ------------------------------------------------------------------------

ATOMS = st.sampled_from(["x", "w", "s", "t", "v0", "2", "0.5", "-1", "3"])
UNARY = st.sampled_from(
    [
        "exp",
        "log",
        "sin",
        "cos",
        "tanh",
        "sigmoid",
        "relu",
        "sqrt",
        "abs",
        "square",
        "sum",
        "mean",
        "max",
        "min",
        "detach",
    ]
)
BINARY = st.sampled_from(
    [
        "mse_loss",
        "binary_cross_entropy",
        "cross_entropy",
        "matmul",
        "pow",
        "linear",
        "torch.matmul",
        "F.mse_loss",
    ]
)


def _grow(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "@"]), children).map(
            lambda p: f"({p[0]} {p[1]} {p[2]})"
        ),
        children.map(lambda c: f"-{c}"),
        st.tuples(UNARY, children).map(lambda p: f"{p[0]}({p[1]})"),
        st.tuples(children, UNARY).map(lambda p: f"({p[0]}).{p[1]}()"),
        st.tuples(
            st.sampled_from(["softmax", "log_softmax", "sum", "mean", "max", "unsqueeze"]),
            children,
            st.integers(-2, 2),
        ).map(lambda p: f"{p[0]}({p[1]}, dim={p[2]})"),
        st.tuples(BINARY, children, children).map(lambda p: f"{p[0]}({p[1]}, {p[2]})"),
        children.map(lambda c: f"({c}).T"),
        st.tuples(children, st.integers(-3, 3)).map(lambda p: f"({p[0]})[{p[1]}]"),
        st.tuples(children, st.sampled_from(["(6,)", "3, 2", "-1", "2, 3", "1, -1"])).map(
            lambda p: f"({p[0]}).reshape({p[1]})"
        ),
        st.tuples(children, st.integers(-2, 2), st.integers(-2, 2)).map(
            lambda p: f"transpose({p[0]}, {p[1]}, {p[2]})"
        ),
    )


EXPRESSIONS = st.recursive(ATOMS, _grow, max_leaves=10)
PROGRAMS = st.lists(EXPRESSIONS, min_size=1, max_size=3).map(
    lambda exprs: "\n".join(f"v{i} = {e}" for i, e in enumerate(exprs))
)
HOSTILE = [
    "__class__",
    "__import__('os')",
    "lambda: 0",
    "[i for i in x]",
    ".__bases__",
    "()",
    "'",
    '"',
    "**",
    "9**9**9",
    "\n",
    "=",
    ":",
    "#",
    "\\",
    ".grad",
    "getattr(x, 'a')",
    "eval('1')",
    "exec('1')",
    "open('/etc/passwd')",
    "torch.",
    "F.",
    ".__dict__",
    "[",
    "]",
    "{",
    "}",
    "\x00",
    "…",
    "ｘ",
    "1e999",
    "1j",
    "@",
    "...",
    "*",
    "yield",
    "await",
    "x.__class__.__subclasses__()",
    "globals()",
    "breakpoint()",
    " if x else ",
    ":=",
    "\t",
    "(" * 60,
    ")" * 60,
    "-" * 120,
]


def _mutate(pair):
    text, edits = pair
    for pos, insert, delete in edits:
        pos %= len(text) + 1
        text = text[:pos] + insert + text[pos + delete :]
    return text


MUTATED = st.tuples(
    PROGRAMS,
    st.lists(
        st.tuples(
            st.integers(0, 400),
            st.one_of(st.sampled_from(HOSTILE), st.text(max_size=4)),
            st.integers(0, 4),
        ),
        min_size=1,
        max_size=4,
    ),
).map(_mutate)
ANY_TEXT = st.one_of(PROGRAMS, MUTATED, st.text(max_size=120))


def pipeline(text: str) -> None:
    """Everything the page does with a program: parse, evaluate, backward, draw."""
    parsed = parse_program(text, NAMES)
    comp = G.from_evaluation(parsed.evaluate(make_leaves(SPECS)), NAMES)
    target, gradient = G.with_reduction(comp, "sum")
    if G.backward_problem(target, gradient) is None:
        trace = G.trace_backward(target, gradient)
        assert isinstance(G.draw(target, trace, step=1).source, str)
        for i in range(1, len(trace.steps) + 1):
            G.explain_step(target, trace, i)


FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@FUZZ
@given(ANY_TEXT)
def test_fuzz_only_expression_error_escapes(text):
    try:
        pipeline(text)
    except ExpressionError as err:
        assert err.reason and isinstance(str(err), str)


# What the evaluator may call: torch's whitelisted functions and its own plumbing.
TORCH_ALLOWED = {
    # the whitelist's operations
    "exp",
    "log",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "sqrt",
    "abs",
    "square",
    "pow",
    "sum",
    "mean",
    "max",
    "min",
    "matmul",
    "softmax",
    "log_softmax",
    "transpose",
    "reshape",
    "unsqueeze",
    "squeeze",
    "detach",
    "mse_loss",
    "binary_cross_entropy",
    "cross_entropy",
    "linear",
    "wrapped",  # Tensor's reflected operators (2 - x) are Python wrappers
    # the evaluator's checks: finiteness
    "isfinite",
    "isnan",
    "all",
    "is_floating_point",
    "numel",
    # leaves
    "tensor",
    "randn",
    "rand",
    "randint",
    "zeros",
    "ones",
    "manual_seed",
    "Generator",
    "requires_grad_",
}
LANGUAGE_FILES = {
    importlib.import_module(f"core.autograd.{name}").__file__
    for name in ("source", "ops", "leaves", "evaluate", "compiler", "program")
}
NEVER = {
    "eval",
    "exec",
    "compile",
    "__import__",
    "getattr",
    "setattr",
    "delattr",
    "open",
    "globals",
    "locals",
    "vars",
    "breakpoint",
    "input",
    "system",
    "popen",
    "import_module",
    "loads",
    "load",
    "__getattribute__",
    "__subclasses__",
}
PLUMBING_MODULES = (
    "builtins",
    "_operator",
    "math",
    "dict",
    "list",
    "str",
    "set",
    "bytes",
    "mappingproxy",
    "float",
    "int",
    "tuple",
    "ast.py",
    "inspect.py",
    "re/__init__.py",
    "difflib.py",
    "<string>",
    "enum.py",
)


def _calls_from_the_evaluator(fn) -> set[tuple[str, str]]:
    """(module, name) of everything the language's own code (core/autograd: source, ops,
    leaves, evaluate, compiler, program) calls outside itself while `fn()` runs."""
    here = LANGUAGE_FILES
    seen: set[tuple[str, str]] = set()

    def profile(frame, event, arg):
        if event == "c_call" and frame.f_code.co_filename in here:
            owner = (
                getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__name__
            )
            seen.add((str(owner), arg.__name__))
        elif (
            event == "call"
            and frame.f_back is not None
            and frame.f_back.f_code.co_filename in here
            and frame.f_code.co_filename not in here
        ):
            seen.add(
                (
                    frame.f_code.co_filename.split("site-packages/")[-1].split("python3.11/")[-1],
                    frame.f_code.co_name,
                )
            )

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return seen


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(ANY_TEXT)
def test_fuzz_nothing_outside_the_whitelist_is_called(text):
    def attempt():
        try:
            parse_program(text, NAMES).evaluate(make_leaves(SPECS))
        except ExpressionError:
            pass

    for module, name in _calls_from_the_evaluator(attempt):
        if "hypothesis/" in module:  # its garbage-collection callback can fire anywhere
            continue
        assert name not in NEVER, (module, name)
        if "torch" in module or module in ("Tensor", "Generator"):
            assert name in TORCH_ALLOWED, (module, name)
        else:
            assert any(module.endswith(m) for m in PLUMBING_MODULES), (module, name)


@FUZZ
@given(PROGRAMS)
def test_fuzz_every_operation_goes_through_the_whitelist(text):
    ran = []
    real = compiler.dispatch
    allowed = {*OPS.values(), *OPERATORS.values(), NEG, TRANSPOSE_T, INDEX}

    def spy(op, *args, **kwargs):
        ran.append(op)
        return real(op, *args, **kwargs)

    compiler.dispatch = spy
    try:
        try:
            ev = parse_program(text, NAMES).evaluate(make_leaves(SPECS))
        except ExpressionError:
            ev = None
    finally:
        compiler.dispatch = real
    assert all(op in allowed for op in ran)
    if ev is not None:  # every recorded operation was dispatched, in order
        assert [r.op for r in ev.records] == [op.name for op in ran]
