"""Hostile uploads and links, through the real pages (AppTest).

Every page is opened with hostile text in every URL parameter it reads; both regression pages
get the real-world and hostile CSVs that used to raise or hold memory; the MNIST page gets
model files that used to raise. Each must answer with a message or a result, never an
exception, and no Markdown it renders may carry a link, an image or HTML that the input wrote
(text inside code blocks is shown as code, so it is left out of that check).
"""

from __future__ import annotations

import ast
import io
import math
import re
import tracemalloc
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.mnist import models
from tests.support.mnist_helpers import mnist

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

PAGES = {  # page -> the files whose widget keys it reads from the URL
    "pages/autograd.py": ["pages/autograd.py"],
    "pages/linear_regression.py": [
        "pages/linear_regression.py",
        "ui/csv_upload.py",
        "ui/linreg_touch.py",
        "ui/linreg_run.py",
    ],
    "pages/logistic_regression.py": [
        "pages/logistic_regression.py",
        "ui/logreg_network.py",
        "ui/logreg_touch.py",
        "ui/logreg_replay.py",
    ],
    "pages/mnist.py": ["pages/mnist.py", "ui/mnist_panels.py", "ui/mnist_inside.py"],
    "pages/draw.py": ["pages/draw.py", "ui/draw_panels.py"],
}
KEY = re.compile(r"\A(?:lin|lr|mn|ag|draw)_[a-z0-9_]+\Z")
HOSTILE_VALUES = [
    "![i](http://example.invalid/u.png)",
    "<img src=http://example.invalid/v.png>",
    "[l](http://example.invalid/l) https://example.invalid/w www.example.invalid x@example.invalid",
    ":red[red] $x$ **b** <script>alert(1)</script>",
    "nan",
    "1e400",
    "9" * 3000,
    "\x00\r\n#",
]
# Unescaped: a link or image target, an HTML tag, a bare URL or e-mail address.
RAW_MARKUP = re.compile(r"(?<!\\)\]\(|(?<!\\)<[a-z/!]|https?://|www\.|\w@\w", re.I)
FENCED = re.compile(r"(`{3,}).*?\1", re.S)


def url_keys(files: list[str]) -> list[str]:
    keys = {"presenter"}
    for name in files:
        for node in ast.walk(ast.parse((ROOT / name).read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and KEY.match(node.value)
            ):
                keys.add(node.value)
    return sorted(keys)


def rendered_markdown(at) -> list[str]:
    """Every Markdown text the page rendered (code blocks removed), toasts included."""
    kinds = (
        "markdown",
        "caption",
        "title",
        "header",
        "subheader",
        "info",
        "warning",
        "error",
        "success",
        "toast",
    )
    return [FENCED.sub("", str(e.value)) for kind in kinds for e in getattr(at, kind)]


def assert_safe(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    for text in rendered_markdown(at):
        assert not RAW_MARKUP.search(text), text[:300]


@pytest.fixture(scope="module", autouse=True)
def data_loaded_once():
    mnist()  # pages share these tensors through st.cache_resource


def test_every_page_reads_url_keys():
    for page, files in PAGES.items():
        assert len(url_keys(files)) > 3, page


@pytest.mark.parametrize("page", list(PAGES))
def test_hostile_values_in_every_url_parameter(app_test, page):
    keys = url_keys(PAGES[page])
    for value in HOSTILE_VALUES:
        at = app_test(page, query={k: value for k in keys} | {"evil": value})
        assert_safe(at)
        assert at.title, "the page did not render"


def test_a_refused_link_setting_is_named_as_text(app_test):
    at = app_test(
        "pages/linear_regression.py", query={"lin_lr": "![i](http://example.invalid/u.png)"}
    )
    assert_safe(at)
    toasts = [t.value for t in at.toast]
    assert any("lin_lr" in t and "example" in t for t in toasts), toasts


# ---- CSV uploads ----------------------------------------------------------------------

REAL_WORLD = {
    "old Mac line endings": b"x,y\r1,2\r2,4.1\r3,5.9\r",
    "UTF-16 with a byte-order mark": "x\ty\n1\t2\n2\t4,1\n3\t5,9\n".encode("utf-16"),
}
HOSTILE_CSVS = {
    "one 4 MB line": b"x,y\n" + b"1" * (4 * 2**20) + b",2\n",
    "one very wide row": b"1," * (475 * 1024) + b"1\n" + b"2," * (475 * 1024) + b"2\n",
    "markup in the header": (
        b"![i](http://example.invalid/h.png),<a href='http://example.invalid'>y</a>"
        b",label\n" + b"".join(b"%d,%d,%d\n" % (i % 7, i % 5, i % 2) for i in range(40))
    ),
    "code in the header": (b'"""+__import__(""os"").system(""id"")+""",y\n1,2\n2,3\n3,5\n'),
    "binary": bytes(range(256)) * 50,
}
UPLOADS = {
    "pages/linear_regression.py": ("lin_upload", {"lin_data": "Upload a CSV"}),
    "pages/logistic_regression.py": ("lr_csv", {"lr_data": "csv"}),
}


@pytest.mark.parametrize("page", list(UPLOADS))
def test_real_world_and_hostile_csvs_get_a_result_or_a_message(app_test, page):
    key, query = UPLOADS[page]
    at = app_test(page, query=query)
    for name, data in {**REAL_WORLD, **HOSTILE_CSVS}.items():
        at.file_uploader(key=key).set_value(("upload.csv", data, "text/csv")).run()
        assert_safe(at)
        answered = at.error or at.get("plotly_chart")
        assert answered, name
    at.file_uploader(key=key).set_value(
        ("upload.csv", REAL_WORLD["old Mac line endings"] * 1, "text/csv")
    ).run()
    if page == "pages/linear_regression.py":
        assert not at.error and at.session_state["lin_run"].problem.n == 3


@pytest.mark.parametrize("page", list(UPLOADS))
def test_a_wide_upload_holds_under_50_mb(app_test, page):
    key, query = UPLOADS[page]
    at = app_test(page, query=query)
    wide = HOSTILE_CSVS["one very wide row"]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        at.file_uploader(key=key).set_value(("wide.csv", wide, "text/csv")).run()
        held = tracemalloc.get_traced_memory()[0] - before
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert_safe(at)
    assert at.error
    assert held < 50 * 2**20 and peak < 50 * 2**20, (held / 2**20, peak / 2**20)


CSV_ROWS = st.lists(
    st.lists(
        st.sampled_from(
            [
                "1",
                "2.5",
                "nan",
                "",
                "x",
                "![i](http://example.invalid/f.png)",
                "<b>",
                "1e400",
                "0",
                "-3",
            ]
        ),
        min_size=1,
        max_size=4,
    ),
    max_size=15,
)


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(CSV_ROWS, st.sampled_from(["\n", "\r", "\r\n"]), st.sampled_from(list(UPLOADS)))
def test_fuzz_csv_uploads_through_the_pages(app_test, rows, newline, page):
    key, query = UPLOADS[page]
    at = app_test(page, query=query)
    data = newline.join(",".join(r) for r in rows).encode()
    at.file_uploader(key=key).set_value(("f.csv", data, "text/csv")).run()
    assert_safe(at)


# ---- model uploads --------------------------------------------------------------------


def payload(spec: dict, state: dict) -> bytes:
    buf = io.BytesIO()
    torch.save({"format": models.FORMAT, "spec": spec, "state_dict": state}, buf)
    return buf.getvalue()


def test_hostile_model_files_get_a_message(app_test):
    at = app_test("pages/mnist.py", query={"mn_n": "5000", "mn_epochs": "1"})
    linear = models.build_model(models.ModelSpec("linear")).state_dict()
    sparse = dict(linear, **{"linear.weight": linear["linear.weight"].to_sparse()})
    files = {
        "infinite.pt": payload({"kind": "cnn", "fc": math.inf}, {}),
        "sparse.pt": payload({"kind": "linear"}, sparse),
        "![i](http://example.invalid/m.png).pt": b"not a model",
        "ints.pt": payload({"kind": "linear"}, {k: v.long() for k, v in linear.items()}),
    }
    for name, data in files.items():
        at.file_uploader(key="mn_upload").set_value((name, data, "application/octet-stream")).run()
        assert_safe(at)
        assert any("was refused" in e.value for e in at.error), name
