"""Turn a drawing into what an MNIST model expects, classify it, and explain the decision.

MNIST's creators size-normalised each digit to fit a 20x20 box (keeping its
aspect ratio, with anti-aliasing) and placed it in a 28x28 field so that its
centre of mass sits at the middle. A drawing on a canvas has to go through the
same steps, or a model trained on MNIST sees something it never saw in
training. `preprocess` does exactly that and keeps every step for display;
`naive_input` is what most canvas demos do (resize the whole canvas), kept for
comparison.

Notebook use::

    from core.digits.pipeline import canvas_to_input, classify
    from core.mnist.models import load_pretrained
    probs = classify(rgba, load_pretrained("cnn"))  # rgba: (H, W, 4) uint8

Plain numpy/torch: never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.mnist.data import normalise

SIDE = 28  # MNIST's field
BOX = 20  # MNIST's size-normalisation box inside the field
# MNIST digits have their centre of mass at pixel index (14, 14): measured on
# the training set (mean 13.997, 14.006; integer shifts, hence std 0.29).
CENTRE = 14.0
# Below this contrast with the background (0..1) a canvas counts as empty:
# compression noise or a stray anti-aliased pixel is not a drawing.
EMPTY_CONTRAST = 0.15
# Ink fainter than this (relative to the strongest ink) is anti-aliasing haze:
# ignored when finding the bounding box.
INK_FLOOR = 0.05
# The page's default pen on its 280x280 canvas; the pendigits benchmark draws
# with the same pen, so it measures what the page does.
CANVAS_SIZE = 280
DEFAULT_STROKE = 20


INVITATION = "Draw a digit (0 to 9) on the canvas: the model reads it as you lift the pen."


class ModelMismatch(ValueError):
    """A model that cannot read a (1, 1, 28, 28) image into 10 class scores; says why."""


@dataclass(frozen=True)
class DrawingCheck:
    """What kind of drawing this is, and what to tell the student about it.

    kind: "empty" (no ink), "dot" (a blob too small to be a digit), "scribble"
    (mostly ink), "small" (tiny, scaled up a lot) or "ok". `guess` says whether
    a prediction makes sense to show.
    """

    kind: str
    message: str

    @property
    def guess(self) -> bool:
        return self.kind not in ("empty", "dot")


@dataclass(frozen=True)
class Preprocessed:
    """Every step from a canvas to the model's input, for display and for tests.

    All images are float32 ink maps in [0, 1] (1 = full ink), whatever the
    canvas colours were.
    """

    ink: np.ndarray  # (H, W) the drawing's ink
    check: DrawingCheck
    bbox: tuple[int, int, int, int] | None  # top, left, bottom, right (exclusive) in `ink`
    crop: np.ndarray  # (h, w) ink inside the bounding box
    fitted: np.ndarray  # (<=20, <=20) scaled so the longer side is 20
    centred: np.ndarray  # (28, 28) fitted, placed by its centre of mass
    centre_of_mass: tuple[float, float]  # (row, col) in `centred`, ~(14, 14)
    shift: tuple[int, int]  # (rows, cols) moved to centre the mass
    tensor: torch.Tensor  # (1, 1, 28, 28) normalised like the training data


# ---- ink --------------------------------------------------------------------


def _rgba_planes(image) -> np.ndarray:
    """Any grey/RGB/RGBA array -> (4, H, W) float32 planes in [0, 1].

    The input may be uint8 (0..255) or float (0..1).
    """
    a = np.asarray(image)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or min(a.shape[:2]) < 1:
        raise ValueError(f"expected an H x W x 4 image (or grey / RGB), got shape {a.shape}")
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"expected numbers in the image, got dtype {a.dtype}")
    planes = np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32)  # (C, H, W)
    if a.dtype == np.uint8:
        planes *= 1 / 255
    else:
        planes = np.nan_to_num(planes, nan=0.0, posinf=1.0, neginf=0.0)
        if planes.max(initial=0.0) > 1.0:  # integers or floats on a 0..255 scale
            planes /= 255
        np.clip(planes, 0.0, 1.0, out=planes)
    if planes.shape[0] == 1:
        planes = np.repeat(planes, 3, axis=0)
    if planes.shape[0] == 3:
        planes = np.concatenate([planes, np.ones_like(planes[:1])], axis=0)
    return planes


def ink_map(image, background=None) -> np.ndarray:
    """The ink of a drawing as (H, W) float32 in [0, 1], whatever the colours.

    Each pixel is compared with the background colour (the median of the
    border pixels unless `background` (RGBA 0..1) is given) in premultiplied
    RGBA, so dark ink on white, white chalk on black, and opaque strokes on a
    transparent canvas all give the same ink. The strongest ink becomes 1.
    """
    rgba = _rgba_planes(image)  # (4, H, W): contiguous planes are fast
    alpha = rgba[3]
    # Premultiply: a transparent pixel's colour is meaningless, only its alpha counts.
    planes = [rgba[0] * alpha, rgba[1] * alpha, rgba[2] * alpha, alpha]
    if background is None:
        bg = [float(np.median(np.concatenate([p[0], p[-1], p[:, 0], p[:, -1]]))) for p in planes]
    else:
        b = _rgba_planes(np.asarray(background, dtype=np.float32).reshape(1, 1, -1))[:, 0, 0]
        bg = [b[0] * b[3], b[1] * b[3], b[2] * b[3], b[3]]
    # Chebyshev distance to the background colour, channel by channel (H, W).
    contrast = np.abs(planes[0] - bg[0])
    for p, b in zip(planes[1:], bg[1:], strict=True):
        np.maximum(contrast, np.abs(p - b), out=contrast)
    peak = float(contrast.max(initial=0.0))
    if peak < EMPTY_CONTRAST:
        return np.zeros(contrast.shape, np.float32)
    ink = np.clip(contrast / peak, 0.0, 1.0).astype(np.float32)
    ink[ink < INK_FLOOR] = 0.0
    return ink


def bounding_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right), exclusive, of the ink; None when there is none."""
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def check_drawing(ink: np.ndarray, bbox: tuple[int, int, int, int] | None) -> DrawingCheck:
    """Classify the drawing as empty / dot / scribble / small / ok, with a message."""
    if bbox is None:
        return DrawingCheck("empty", INVITATION)
    h, w = bbox[2] - bbox[0], bbox[3] - bbox[1]
    side = min(ink.shape)
    box = ink[bbox[0] : bbox[2], bbox[1] : bbox[3]]
    filled = float((box > 0.5).mean())
    if max(h, w) <= 0.2 * side and max(h, w) <= 1.6 * min(h, w) and filled >= 0.5:
        return DrawingCheck(
            "dot",
            "That is a dot, not a digit yet: draw a whole digit, "
            "or use a thinner pen for a small one.",
        )
    if float((ink > 0.5).mean()) > 0.5:
        return DrawingCheck(
            "scribble",
            "Most of the canvas is ink. The model still answers, "
            "but nothing like this was in its training data.",
        )
    if max(h, w) < 0.15 * side:
        return DrawingCheck(
            "small",
            "A very small drawing: it is scaled up to 20x20 like MNIST's "
            "digits (the naive resize turns it into a speck).",
        )
    return DrawingCheck("ok", "")


# ---- the MNIST pipeline ------------------------------------------------------


def fit_box(crop: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scale `crop` so its longer side is `box` pixels, keeping the aspect ratio.

    Bilinear with anti-aliasing (each output pixel averages the input pixels it
    covers when shrinking), then stretched so the strongest ink is 1, as in
    MNIST where nearly every digit reaches full intensity.
    """
    h, w = crop.shape
    scale = box / max(h, w)
    size = (max(1, int(round(h * scale))), max(1, int(round(w * scale))))
    t = torch.from_numpy(np.ascontiguousarray(crop, dtype=np.float32))[None, None]  # (1, 1, h, w)
    out = F.interpolate(t, size=size, mode="bilinear", antialias=True, align_corners=False)[0, 0]
    out = out.clamp(0.0, 1.0).numpy()
    peak = out.max(initial=0.0)
    return out / peak if peak > 0 else out


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """(row, col) of the ink's centre of mass; the image centre when there is no ink."""
    total = float(img.sum())
    if total <= 0:
        return (img.shape[0] - 1) / 2, (img.shape[1] - 1) / 2
    rows = np.arange(img.shape[0], dtype=np.float64)
    cols = np.arange(img.shape[1], dtype=np.float64)
    return float(img.sum(axis=1) @ rows / total), float(img.sum(axis=0) @ cols / total)


def place_by_mass(fitted: np.ndarray, side: int = SIDE, centre: float = CENTRE):
    """Put `fitted` into a side x side field with its centre of mass at (centre, centre).

    Integer shifts, like MNIST's (no extra blur). Returns (field, shift, mass).
    """
    h, w = fitted.shape
    cy, cx = centre_of_mass(fitted)
    top = int(np.floor(centre - cy + 0.5))
    left = int(np.floor(centre - cx + 0.5))
    field = np.zeros((side, side), np.float32)
    # Paste with clipping: a digit whose mass sits at one edge may lose a sliver.
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h, side), min(left + w, side)
    if r1 > r0 and c1 > c0:
        field[r0:r1, c0:c1] = fitted[r0 - top : r1 - top, c0 - left : c1 - left]
    base_top, base_left = (side - h) // 2, (side - w) // 2
    return field, (top - base_top, left - base_left), centre_of_mass(field)


def preprocess(image, background=None) -> Preprocessed:
    """The MNIST pipeline on a canvas image, keeping every intermediate step."""
    ink = ink_map(image, background)
    bbox = bounding_box(ink)
    check = check_drawing(ink, bbox)
    if bbox is None:
        blank = np.zeros((SIDE, SIDE), np.float32)
        return Preprocessed(
            ink,
            check,
            None,
            np.zeros((0, 0), np.float32),
            np.zeros((0, 0), np.float32),
            blank,
            (CENTRE, CENTRE),
            (0, 0),
            normalise(blank),
        )
    crop = ink[bbox[0] : bbox[2], bbox[1] : bbox[3]]
    fitted = fit_box(crop)
    centred, shift, mass = place_by_mass(fitted)
    return Preprocessed(ink, check, bbox, crop, fitted, centred, mass, shift, normalise(centred))


def naive_pixels(image, background=None) -> np.ndarray:
    """What typical canvas demos feed the model: the whole canvas resized to 28x28.

    Same ink extraction as `preprocess` (so only the geometry differs): no
    crop, no size normalisation, no centring.
    """
    return squash(ink_map(image, background))


def squash(ink: np.ndarray) -> np.ndarray:
    """`naive_pixels` from an ink map already found (`Preprocessed.ink`): (H, W) -> (28, 28)."""
    t = torch.from_numpy(np.ascontiguousarray(ink, np.float32))[None, None]  # (1, 1, H, W)
    out = F.interpolate(t, size=(SIDE, SIDE), mode="bilinear", antialias=True, align_corners=False)
    return out[0, 0].clamp(0.0, 1.0).numpy()


def canvas_to_input(rgba) -> torch.Tensor:
    """A canvas's H x W x 4 uint8 image -> the model input, shape (1, 1, 28, 28)."""
    return preprocess(rgba).tensor


# ---- classification -----------------------------------------------------------


def probabilities(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """Softmax of `model(x)` for x of shape (N, 1, 28, 28) -> (N, 10).

    Raises `ModelMismatch` if the model cannot take such an input.
    """
    try:
        with torch.inference_mode():
            logits = model(x)
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        first = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise ModelMismatch(f"this model cannot read 28x28 digit images ({first})") from None
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (x.shape[0], 10):
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ModelMismatch(f"this model gives {shape} instead of 10 scores per image")
    if not torch.isfinite(logits).all():
        raise ModelMismatch("this model's scores contain NaN or infinity")
    return torch.softmax(logits.float(), dim=1).numpy()


def classify(rgba, model: nn.Module) -> np.ndarray:
    """Probabilities of the ten digits (shape (10,), summing to 1) for a canvas image."""
    return probabilities(model, canvas_to_input(rgba))[0]


# ---- why the model decided ----------------------------------------------------


def saliency(
    model: nn.Module, pixels: np.ndarray, target: int | None = None
) -> tuple[np.ndarray, int]:
    """Gradient of one class's score (logit) with respect to each input pixel.

    `pixels` is the (28, 28) ink in [0, 1] the model reads (after
    normalisation); the gradient is taken through the normalisation, so it is
    "how much this class's score would rise per unit more ink here". `target`
    defaults to the predicted class. Uses `torch.autograd.grad`, which leaves
    the (shared) model's parameter gradients untouched. Returns (map, class).
    """
    x = torch.tensor(np.asarray(pixels, np.float32), requires_grad=True)  # (28, 28)
    try:
        with torch.enable_grad():
            logits = model(normalise(x))  # (1, 10)
            k = int(logits.argmax(1)) if target is None else int(target)
            (grad,) = torch.autograd.grad(logits[0, k], x)
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        raise ModelMismatch(f"cannot take this model's gradient ({str(err)[:200]})") from None
    return grad.numpy(), k


def linear_weights(model: nn.Module) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(W (10, 784), b (10,)) of a one-layer 784 -> 10 model, else None."""
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    has_other = any(isinstance(m, nn.Conv2d) for m in model.modules())
    if len(layers) != 1 or has_other or tuple(layers[0].weight.shape) != (10, SIDE * SIDE):
        return None
    return layers[0].weight.detach(), layers[0].bias.detach()


def linear_contributions(model: nn.Module, x: torch.Tensor, k: int) -> np.ndarray | None:
    """For a linear model: w_k * x per pixel (28, 28); they sum, with the bias, to class k's score.

    `x` is the normalised input (1, 1, 28, 28). Note that blank pixels are not
    zero after normalisation (-0.42), so the background votes too. None for
    models that are not a single linear layer.
    """
    every = class_contributions(model, x)
    return None if every is None else every[k].numpy()


def class_contributions(model: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """For a linear model: w_k * x for all ten classes, (10, 28, 28); None for other models."""
    wb = linear_weights(model)
    if wb is None:
        return None
    w, _ = wb
    return (w * x.reshape(1, -1)).reshape(10, SIDE, SIDE)
