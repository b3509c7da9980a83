"""Handwriting MNIST never saw, turned into canvas drawings: for EVALUATION ONLY.

Three public sets live in `<data dir>/handwriting` (formats in the data
folder's README). Each digit is painted onto a 280x280 canvas the way a
student's drawing arrives from the page (black ink on a white, opaque RGBA
canvas), so the benchmark runs the very pipeline the page runs:

- Semeion (16x16 binary) and optdigits (32x32 binary) bitmaps are scaled up
  without smoothing to 256x256 and centred on the canvas;
- pendigits pen trajectories (8 points each) are drawn as connected strokes
  with the page's default pen.

Never train or tune on these sets: they measure how a model trained on MNIST
reads handwriting from other people, scanners and pens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from core.digits.pipeline import CANVAS_SIZE, DEFAULT_STROKE
from core.mnist.data import data_dir

PAINTED_SIDE = 256  # bitmaps are scaled up to this many canvas pixels
PEN_BOX = (30, 250)  # pendigits' 0..100 box maps onto these canvas pixels
FILES = {"semeion": "semeion.data", "optdigits": "optdigits-orig.tra", "pendigits": "pendigits.tes"}
INK = (0, 0, 0, 255)
PAPER = (255, 255, 255, 255)


class HandwritingMissing(FileNotFoundError):
    """An evaluation set is not on disk; the message says where it was looked for."""


@dataclass(frozen=True)
class HandwritingSet:
    """One evaluation set: raw samples, labels, and how to paint a sample onto a canvas.

    `raw` is (N, 16, 16) or (N, 32, 32) uint8 bitmaps (1 = ink) or (N, 8, 2)
    float pen points (x, y in 0..100, y up); `labels` int64 (N,). Canvases are
    painted on demand (all of them at once would take a gigabyte).
    """

    name: str
    raw: np.ndarray
    labels: np.ndarray
    painter: Callable[[np.ndarray], np.ndarray]

    def __len__(self) -> int:
        return len(self.labels)

    def canvas(self, i: int) -> np.ndarray:
        """Sample `i` as a (280, 280, 4) uint8 RGBA canvas, black ink on white."""
        return self.painter(self.raw[i])

    def __iter__(self) -> Iterator[tuple[np.ndarray, int]]:
        for i in range(len(self)):
            yield self.canvas(i), int(self.labels[i])

    def subset(self, n: int, seed: int = 0) -> HandwritingSet:
        """A reproducible random subset of `n` samples (all of them if n >= len)."""
        if n >= len(self):
            return self
        idx = np.sort(np.random.default_rng(seed).choice(len(self), n, replace=False))
        return HandwritingSet(self.name, self.raw[idx], self.labels[idx], self.painter)


def handwriting_dir(root: Path | None = None) -> Path:
    return Path(root or data_dir()) / "handwriting"


def _read(name: str, root: Path | None) -> str:
    path = handwriting_dir(root) / FILES[name]
    if not path.is_file():
        raise HandwritingMissing(
            f"{path} is missing: copy the evaluation sets into {path.parent} "
            "(see the data folder's README)"
        )
    return path.read_text()


# ---- painting ---------------------------------------------------------------


def paint_bitmap(
    bitmap: np.ndarray, side: int = CANVAS_SIZE, painted: int = PAINTED_SIDE
) -> np.ndarray:
    """A binary bitmap scaled up (no smoothing) to `painted` pixels.

    Centred on a side x side canvas.
    """
    ink = Image.fromarray((np.asarray(bitmap) > 0).astype(np.uint8) * 255)
    ink = ink.resize((painted, painted), Image.Resampling.NEAREST)
    mask = Image.new("L", (side, side), 0)
    offset = (side - painted) // 2
    mask.paste(ink, (offset, offset))
    return _ink_on_paper(mask)


def paint_trajectory(
    points: np.ndarray, side: int = CANVAS_SIZE, stroke: int = DEFAULT_STROKE
) -> np.ndarray:
    """Pen points (x, y in 0..100, y up) drawn as one connected stroke.

    The stroke has round joints and ends.
    """
    lo, hi = PEN_BOX
    scale = (hi - lo) / 100.0
    xy = [(lo + scale * float(x), hi - scale * float(y)) for x, y in np.asarray(points)]
    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    draw.line(xy, fill=255, width=stroke, joint="curve")
    r = stroke / 2
    for x, y in xy:  # round pen tip at every sample point, as a real pen leaves
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return _ink_on_paper(mask)


def _ink_on_paper(mask: Image.Image) -> np.ndarray:
    """An ink mask (L, 255 = ink) -> (H, W, 4) uint8 RGBA, black ink on opaque white."""
    return ink_on_paper(np.asarray(mask, np.float32) / 255.0)


def ink_on_paper(ink: np.ndarray) -> np.ndarray:
    """(H, W) ink in [0, 1] -> (H, W, 4) uint8 RGBA, black ink on opaque white.

    A canvas as the page gets it.
    """
    m = ink[..., None]  # (H, W, 1)
    rgba = np.array(PAPER, np.float32) * (1 - m) + np.array(INK, np.float32) * m
    return rgba.round().astype(np.uint8)


# ---- loaders ----------------------------------------------------------------


def load_semeion(root: Path | None = None) -> HandwritingSet:
    """Semeion: lines of 256 pixel values (16x16, row-major) then a 10-value one-hot label."""
    rows = [line.split() for line in _read("semeion", root).splitlines() if line.strip()]
    values = np.array(rows, dtype=np.float32)  # (N, 266)
    if values.ndim != 2 or values.shape[1] != 266:
        raise ValueError(f"semeion: expected 266 values per line, got {values.shape}")
    bitmaps = (values[:, :256] > 0.5).astype(np.uint8).reshape(-1, 16, 16)
    labels = values[:, 256:].argmax(axis=1).astype(np.int64)
    return HandwritingSet("semeion", bitmaps, labels, paint_bitmap)


def load_optdigits(root: Path | None = None) -> HandwritingSet:
    """optdigits original bitmaps: 21 header lines, then 32 lines of 32 '0'/'1' and a label line."""
    lines = _read("optdigits", root).splitlines()[21:]
    bitmaps, labels = [], []
    i = 0
    while i + 32 < len(lines) and lines[i].strip():
        block = lines[i : i + 32]
        if any(len(r.strip()) != 32 for r in block):
            raise ValueError(f"optdigits: bad bitmap row near line {21 + i + 1}")
        bitmaps.append([[c == "1" for c in r.strip()] for r in block])
        labels.append(int(lines[i + 32]))
        i += 33
    if not labels:
        raise ValueError("optdigits: no digits found")
    return HandwritingSet(
        "optdigits", np.array(bitmaps, np.uint8), np.array(labels, np.int64), paint_bitmap
    )


def load_pendigits(root: Path | None = None) -> HandwritingSet:
    """pendigits: 16 comma-separated numbers (8 (x, y) points) then a 10-character one-hot label."""
    points, labels = [], []
    for n, line in enumerate(_read("pendigits", root).splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split(",")
        if len(parts) != 17 or len(parts[16]) != 10 or parts[16].count("1") != 1:
            raise ValueError(f"pendigits: line {n} is not 16 numbers and a one-hot label")
        points.append([float(v) for v in parts[:16]])
        labels.append(parts[16].index("1"))
    return HandwritingSet(
        "pendigits",
        np.array(points, np.float32).reshape(-1, 8, 2),
        np.array(labels, np.int64),
        paint_trajectory,
    )


LOADERS = {"semeion": load_semeion, "optdigits": load_optdigits, "pendigits": load_pendigits}


def load_all(root: Path | None = None) -> dict[str, HandwritingSet]:
    """All three evaluation sets, by name."""
    return {name: load(root) for name, load in LOADERS.items()}
