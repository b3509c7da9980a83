"""Fuzz tests of every upload path: hostile CSVs, model files and URL values.

Each path gets thousands of hypothesis-drawn inputs and must answer each with a result or a
clear refusal (its own error type, with a message), never another exception; parsing stays
within a memory bound. The classes of input drawn:

- CSV: random tables written with every delimiter, newline convention (LF, CRLF, CR only),
  encoding (UTF-8, UTF-8/16/32 with a byte-order mark, Latin-1), quoting, hostile header
  text (markup, code, control characters), NaN/inf/huge/decimal-comma cells, ragged rows,
  blank lines; then mutated at random (bytes inserted, deleted, NUL, truncation); plus raw
  random bytes.
- Model files: architecture descriptions with every wrong type and size (inf, NaN, 1e308,
  negative, bool, strings, nested or huge lists, unknown fields), weights sparse, quantised,
  integer, complex, of the wrong shape, NaN, unnamed or missing, metadata of any shape;
  valid files truncated or with bytes flipped; raw random bytes.
- URL values: any text (markup, huge numbers, NaN, unicode digits) for every kind of
  URL-backed widget (numbers, choices, booleans, text).
"""

from __future__ import annotations

import codecs
import io
import math
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import csvio, digits, linreg
from core.linreg import data as linreg_data
from core.logreg import data as logreg_data
from core.mnist import models
from core.mnist.models import ModelFileError
from ui import url_state

FUZZ = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
HOSTILE_CELLS = [
    "![i](http://example.invalid/i.png)",
    "<img src=x onerror=alert(1)>",
    "[link](http://example.invalid)",
    '"""',
    "'",
    "\\",
    "\x00",
    "\r",
    "\n",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "1e-400",
    "1,5",
    "١٢",
    "1_000",
    "0x1f",
    "",
    " ",
    "x1",
    "x2",
    "label",
    "Label",
    ":red[x]",
    "$x$",
    "\u202e",
    "﻿",
    "😀" * 3,
    "9" * 300,
    ";",
    "\t",
    ",",
    '"a,b"',
    '"multi\nline"',
]
CELLS = st.one_of(
    st.sampled_from(HOSTILE_CELLS),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.text(max_size=12),
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1", "cp1252"]


@st.composite
def csv_files(draw) -> bytes:
    width = draw(st.integers(1, 6))
    n_rows = draw(st.integers(0, 30))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    rows = [
        [draw(CELLS) for _ in range(width + draw(st.sampled_from([0, 0, 0, 0, -1, 1])))]
        for _ in range(n_rows)
    ]
    if draw(st.booleans()):
        rows.insert(
            0,
            [
                draw(st.sampled_from(["x", "y", "x1", "x2", "label"] + HOSTILE_CELLS))
                for _ in range(width)
            ],
        )
    text = newline.join(delimiter.join(r) for r in rows) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    for _ in range(draw(st.integers(0, 3))):  # mutations
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(max_size=4)) + data[pos + draw(st.integers(0, 3)) :]
    return data


ANY_CSV = st.one_of(csv_files(), st.binary(max_size=300))


def numeric_grid(n_rows: int, n_cols: int) -> bytes:
    rows = "\n".join(
        ",".join(f"{(i * 7 + j) % 97}.5" for j in range(n_cols)) for i in range(n_rows)
    )
    return (",".join(f"c{j}" for j in range(n_cols)) + "\n" + rows + "\n").encode()


# ---- CSV: linear regression ----------------------------------------------------------


@FUZZ
@given(ANY_CSV)
def test_fuzz_linreg_csv_gives_a_dataset_or_a_message(data):
    try:
        columns = linreg_data.read_csv_columns(data)
        names = list(columns)
        dataset = linreg_data.dataset_from_columns(columns, names[0], names[1], data)
    except linreg_data.LinRegDataError as err:
        assert str(err).strip()
        return
    assert dataset.x_train.numel() >= 2 and torch.isfinite(dataset.x_train).all()
    run = linreg.LabRun(
        linreg.make_problem(dataset, 2, True), linreg.HandConfig(0.1, 2), linreg.TorchConfig(0.1, 2)
    )
    run.advance(2)


# ---- CSV: logistic regression -------------------------------------------------------


@FUZZ
@given(ANY_CSV, st.text(max_size=30))
def test_fuzz_logreg_csv_gives_a_dataset_or_a_message(data, name):
    try:
        dataset = logreg_data.dataset_from_csv(data, 0.3, 0, name=name)
    except csvio.CsvError as err:
        assert str(err).strip() and err.code
        return
    assert 2 <= dataset.n_classes <= logreg_data.MAX_CLASSES
    assert torch.isfinite(dataset.x_all).all()


# ---- CSV: memory -----------------------------------------------------------------------

MB = 2**20
LIMIT = csvio.MAX_BYTES


def big_files():
    """Files near the upload limit of every shape that has cost memory before."""
    yield "one wide row (1.9 MB)", b"1," * (475 * 1024) + b"1\n" + b"2," * (475 * 1024) + b"2\n"
    yield "one 4 MB line", b"x,y\n" + b"1" * (4 * MB) + b",2\n"
    yield "many tiny rows", b"x\n" + b"1\n" * (LIMIT // 2 - 2)
    yield "the row limit", b"x,y\n" + b"1,2\n" * csvio.MAX_ROWS
    yield "64 columns to the cell limit", numeric_grid(15_000, 64)
    yield "UTF-16 table", ("x;y\n" + "1,5;2\n" * 400_000).encode("utf-16")[:LIMIT]
    yield "UTF-8 with emoji", ("x,y😀\n" + "1,2\n" * 1_000_000).encode()[:LIMIT]
    yield "quoted newlines", b'x,y\n"1\n\n",2\n' * 300_000
    yield "tiny multi-line cells", b'"' + b'a\n",\n"' * (LIMIT // 6)
    yield "Latin-1 prose", ("é" * 70 + "\n").encode("latin-1") * (LIMIT // 71)


@pytest.mark.slow
@pytest.mark.parametrize("name, data", list(big_files()), ids=[n for n, _ in big_files()])
def test_parsing_any_file_under_the_limit_stays_under_50_mb(name, data):
    assert len(data) <= LIMIT
    tracemalloc.start()
    try:
        try:
            table = csvio.read_table(data)
            kept = sum(v.nbytes for v in table.columns.values())
        except csvio.CsvError as err:
            assert str(err)
            kept = 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * MB, f"{name}: parsing peaked at {peak / MB:.0f} MB"
    assert kept <= csvio.MAX_CELLS * 8


def test_real_world_files_are_read():
    """Old Mac line endings, a UTF-16 "Unicode text" export, Latin-1, decimal commas."""
    table = csvio.read_table(b"x,y\r1,2\r3,4\r")
    assert table.columns["y"].tolist() == [2.0, 4.0]
    table = csvio.read_table("x\ty\n1,5\t2\n3\t4,25\n".encode("utf-16"))
    assert table.encoding == "utf-16" and table.columns["y"].tolist() == [2.0, 4.25]
    table = csvio.read_table(codecs.BOM_UTF8 + "Größe,y\n1,2\n".encode())
    assert list(table.columns) == ["Größe", "y"]
    assert list(csvio.read_table("Größe,y\n1,2\n".encode("latin-1")).columns) == ["Größe", "y"]
    assert list(csvio.read_table(b"a,a,\n1,2,3\n").columns) == ["a", "a (2)", "col3"]


@pytest.mark.parametrize(
    "data, code",
    [
        (b"1," * 100 + b"1\n", "too_many_columns"),
        (b"x,y\n" + b"1" * 30_000 + b",2\n", "line_too_long"),
        (b"x,y\n" + b"1" * 300 + b",2\n", "cell_too_long"),
        (b'x,y\n"' + b"1\n" * 20 + b'",2\n', "row_too_long"),
        (
            b",".join(b"c%d" % j for j in range(60)) + b"\n" + (b"1," * 59 + b"1\n") * 17_000,
            "too_many_cells",
        ),
        ("x,y\n1,2\n".encode("utf-16-le"), "utf16_no_bom"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "bad_encoding"),
    ],
)
def test_limits_are_refused_with_their_code(data, code):
    with pytest.raises(csvio.CsvError) as err:
        csvio.read_table(data)
    assert err.value.code == code and str(err.value)


# ---- model files ---------------------------------------------------------------------------

HOSTILE_VALUES = st.one_of(
    st.sampled_from(
        [
            math.inf,
            -math.inf,
            math.nan,
            1e308,
            -1,
            0,
            10**30,
            True,
            False,
            None,
            "64",
            "",
            [],
            [64] * 1000,
            [[64]],
            {"a": 1},
            3.0,
            2**63,
            -(2**63),
        ]
    ),
    st.integers(-5, 2000),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.one_of(st.integers(-5, 2000), st.floats(), st.booleans()), max_size=5),
)
SPECS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "kind": st.sampled_from(["linear", "mlp", "cnn", "x", 1]),
            "hidden": HOSTILE_VALUES,
            "channels": HOSTILE_VALUES,
            "fc": HOSTILE_VALUES,
            "extra": HOSTILE_VALUES,
        },
    ),
    HOSTILE_VALUES,
)


def odd_tensor(kind: str, shape: tuple[int, ...]):
    base = torch.zeros(shape)
    return {
        "dense": lambda: base,
        "nan": lambda: torch.full(shape, math.nan),
        "inf": lambda: torch.full(shape, math.inf),
        "sparse": base.to_sparse,
        "int": base.long,
        "bool": base.bool,
        "complex": lambda: base.to(torch.complex64),
        "double": base.double,
        "half": base.half,
        "scalar": lambda: torch.tensor(1.0),
        "wrong shape": lambda: torch.zeros(3, 3),
        "quantized": lambda: torch.quantize_per_tensor(base, 0.1, 0, torch.qint8),
        "expanded": lambda: torch.zeros(1).expand(shape),
        "not a tensor": lambda: [0.0] * 3,
    }[kind]()


KINDS = [
    "dense",
    "nan",
    "inf",
    "sparse",
    "int",
    "bool",
    "complex",
    "double",
    "half",
    "scalar",
    "wrong shape",
    "quantized",
    "expanded",
    "not a tensor",
]


@st.composite
def model_files(draw) -> bytes:
    spec = draw(
        st.sampled_from(
            [
                models.ModelSpec("linear"),
                models.ModelSpec("mlp", (8,)),
                models.ModelSpec("cnn", channels=(2, 2), fc=4),
            ]
        )
    )
    shapes = {k: tuple(v.shape) for k, v in models.build_model(spec).state_dict().items()}
    state = {k: torch.zeros(shape) for k, shape in shapes.items()}
    for key in draw(st.lists(st.sampled_from(sorted(state)), max_size=2)):
        state[key] = odd_tensor(draw(st.sampled_from(KINDS)), shapes[key])
    if draw(st.booleans()):
        state[draw(st.sampled_from(["extra", 1, ("t",)]))] = torch.zeros(1)
    payload = {
        "format": draw(st.sampled_from([models.FORMAT, models.FORMAT, "other", 1])),
        "spec": draw(st.one_of(st.just(spec.to_dict()), SPECS)),
        "state_dict": draw(st.sampled_from([state, state, {}, [], None])),
        "meta": draw(
            st.one_of(
                st.just({}),
                st.dictionaries(
                    st.one_of(st.text(max_size=5), st.integers()),
                    st.one_of(HOSTILE_VALUES, st.just(torch.zeros(2))),
                    max_size=4,
                ),
                HOSTILE_VALUES,
            )
        ),
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    data = buf.getvalue()
    if draw(st.integers(0, 4)) == 0:  # damage the file itself
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(max_size=8)) + data[pos + draw(st.integers(0, 64)) :]
    return data


@settings(
    max_examples=800,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.one_of(model_files(), st.binary(max_size=200)))
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_fuzz_model_files_give_a_model_or_a_message(data):
    try:
        saved = models.load_model(data)
    except ModelFileError as err:
        assert str(err).strip()
        return
    probs = digits.probabilities(saved.model, torch.zeros(1, 1, 28, 28))
    assert np.isfinite(probs).all()
    assert all(isinstance(k, str) for k in saved.meta)


@given(SPECS)
@settings(max_examples=1000, deadline=None, derandomize=True)
def test_fuzz_architecture_descriptions_are_checked_before_building(description):
    try:
        spec = models.ModelSpec.from_dict(description)
    except ModelFileError as err:
        assert str(err)
        return
    assert sum(p.numel() for p in models.build_model(spec).parameters()) < 5_000_000


def test_infinite_and_sparse_model_files_are_refused():
    with pytest.raises(ModelFileError, match="whole number"):
        models.ModelSpec.from_dict({"kind": "cnn", "fc": math.inf})
    with pytest.raises(ModelFileError, match="whole numbers"):
        models.ModelSpec.from_dict({"kind": "mlp", "hidden": [1e308]})
    spec = models.ModelSpec("linear")
    state = models.build_model(spec).state_dict()
    state["linear.weight"] = state["linear.weight"].to_sparse()
    buf = io.BytesIO()
    torch.save({"format": models.FORMAT, "spec": spec.to_dict(), "state_dict": state}, buf)
    with pytest.raises(ModelFileError, match="not a dense tensor"):
        models.load_model(buf.getvalue())


# ---- URL values ---------------------------------------------------------------------------

URL_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e400",
            "9" * 5000,
            "١٢",
            "0x10",
            "1_0",
            "True",
            "",
            " 3 ",
            "![i](http://example.invalid/i.png)",
            "<script>alert(1)</script>",
            "%00",
            "\x00",
        ]
    ),
)
PARSERS = [
    url_state._number_parser(int, 0, 10_000),
    url_state._number_parser(float, -5.0, 5.0),
    url_state._choice_parser([0.001, 0.01, 0.1, 1, 10]),
    url_state._choice_parser(["Full batch", "Mini-batch"]),
    url_state._bool_parse,
    url_state._text_parser(2000),
]


@given(st.sampled_from(range(len(PARSERS))), URL_TEXT)
@settings(max_examples=2000, deadline=None, derandomize=True)
def test_fuzz_url_values_are_parsed_or_refused_with_a_reason(which, raw):
    try:
        value = PARSERS[which](raw)
    except url_state.REFUSED as err:
        assert isinstance(str(err), str)
        return
    if isinstance(value, float):
        assert math.isfinite(value)
