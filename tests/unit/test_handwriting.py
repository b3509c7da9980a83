"""Loaders of the evaluation-only handwriting sets: formats, painting, and refusal of bad files."""

from __future__ import annotations

import numpy as np
import pytest

from core import digits
from core.mnist.data import data_dir
from pretrain import handwriting


def write(tmp_path, name: str, text: str):
    folder = tmp_path / "handwriting"
    folder.mkdir(exist_ok=True)
    (folder / handwriting.FILES[name]).write_text(text)
    return tmp_path


def semeion_line(bitmap: np.ndarray, label: int) -> str:
    onehot = ["1" if k == label else "0" for k in range(10)]
    return " ".join(f"{v:.4f}" for v in bitmap.ravel()) + " " + " ".join(onehot) + "\n"


def test_semeion_format(tmp_path):
    a = np.zeros((16, 16), int)
    a[2:14, 7:9] = 1  # a one
    b = np.eye(16, dtype=int)
    root = write(tmp_path, "semeion", semeion_line(a, 1) + semeion_line(b, 7))
    data = handwriting.load_semeion(root)
    assert len(data) == 2 and data.labels.tolist() == [1, 7]
    np.testing.assert_array_equal(data.raw[0], a)
    canvas = data.canvas(0)
    assert canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8
    assert (canvas[..., 3] == 255).all()  # opaque, like the page's canvas
    # 16 -> 256 pixels (x16), centred: the stem covers rows 12+2*16 .. 12+14*16.
    ink = digits.ink_map(canvas)
    top, left, bottom, right = digits.bounding_box(ink)
    assert (top, bottom, left, right) == (12 + 2 * 16, 12 + 14 * 16, 12 + 7 * 16, 12 + 9 * 16)


def test_optdigits_format(tmp_path):
    header = "".join(f"header {i}\n" for i in range(21))
    zero = ["0" * 32] * 32
    zero[10] = "0" * 10 + "1" * 12 + "0" * 10
    body = "\n".join(zero) + "\n 0\n" + "\n".join(["1" * 32] * 32) + "\n 8\n"
    data = handwriting.load_optdigits(write(tmp_path, "optdigits", header + body))
    assert data.labels.tolist() == [0, 8] and data.raw.shape == (2, 32, 32)
    assert data.raw[0].sum() == 12 and data.raw[1].all()
    assert digits.preprocess(data.canvas(0)).check.guess


def test_pendigits_format_and_strokes(tmp_path):
    line = "0,0,100,0,100,100,0,100,0,0,50,50,50,0,50,100,0000000100\n"
    data = handwriting.load_pendigits(write(tmp_path, "pendigits", line))
    assert data.labels.tolist() == [7] and data.raw.shape == (1, 8, 2)
    ink = digits.ink_map(data.canvas(0))
    lo, hi = handwriting.PEN_BOX
    half = digits.DEFAULT_STROKE // 2
    top, left, bottom, right = digits.bounding_box(ink)
    assert (
        abs(top - (lo - half)) <= 1 and abs(bottom - (hi + half + 1)) <= 1
    )  # y points up: 100 is the top
    assert abs(left - (lo - half)) <= 1 and abs(right - (hi + half + 1)) <= 1
    assert ink[(lo + hi) // 2, (lo + hi) // 2] == 1  # the stroke through the middle (50, 50)


@pytest.mark.parametrize(
    "name,text,why",
    [
        ("semeion", "0 1 0\n", "266 values"),
        (
            "optdigits",
            "".join(f"h{i}\n" for i in range(21)) + "0101\n" * 32 + " 3\n",
            "bad bitmap row",
        ),
        ("pendigits", "1,2,3,0000000100\n", "not 16 numbers"),
        ("pendigits", "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0000000000\n", "one-hot"),
    ],
)
def test_malformed_files_are_refused(tmp_path, name, text, why):
    with pytest.raises(ValueError, match=why):
        handwriting.LOADERS[name](write(tmp_path, name, text))


def test_missing_files_say_where(tmp_path):
    with pytest.raises(handwriting.HandwritingMissing, match=str(tmp_path)):
        handwriting.load_semeion(tmp_path)


@pytest.mark.skipif(
    not (data_dir() / "handwriting").is_dir(), reason="evaluation sets not on this machine"
)
def test_the_real_sets_load_with_their_published_sizes():
    sets = handwriting.load_all()
    assert {k: len(v) for k, v in sets.items()} == {
        "semeion": 1593,
        "optdigits": 1934,
        "pendigits": 3498,
    }
    for data in sets.values():
        assert set(data.labels.tolist()) == set(range(10))
        sub = data.subset(20, seed=1)
        assert len(sub) == 20 and len(set(sub.labels.tolist())) > 3
        assert digits.preprocess(sub.canvas(0)).check.guess
