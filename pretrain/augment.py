"""Augmentation that makes MNIST look like digits drawn on a canvas, on whole batches.

A drawing reaches the model through `core.digits.pipeline.preprocess`: cropped, scaled
so its longer side is 20 pixels, centred by its mass, darkest ink stretched to
1. What still differs from MNIST is the hand and the pen: slant, rotation,
proportions, wobble, stroke thickness (pen width, and how much a small or
large drawing was scaled) and solid rather than soft-edged strokes. So each
image in a batch gets its own random

0. optionally, the whole digit redrawn along its centre line with a uniform
   round pen of a random width (pretrain.pen), as the canvas pen draws;
   that line sometimes straightened into chords, or reduced to a sparse pen
   trajectory of a few points (pretrain.trajectory),
1. for the others, stroke thickening or thinning (soft grey-scale dilation / erosion),
2. rotation, shear and aspect change (optionally, for some, the aspect change
   that fills a square; and a smooth elastic wobble after Simard et al.,
   2003), in one `grid_sample`,
3. then the page's own normalisation again (bounding box to 20 pixels, centre
   of mass to the middle, peak to 1) as a second `grid_sample`, so the model
   trains on exactly the kind of input the page gives it,
4. and sometimes harder, solid-pen edges.

All batched tensor ops: no per-sample Python.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from pretrain.pen import centre_lines, draw_lines, straighten_batch
from pretrain.trajectory import sparse_lines

SIDE = 28
BOX = 20
CENTRE = 14.0


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random drawing-like distortions (each drawn uniformly per image)."""

    max_rotation_deg: float = 15.0
    max_shear: float = 0.25  # horizontal shear (slant), x += shear * y
    aspect: tuple[float, float] = (0.8, 1.2)  # width / height change
    # Off: on the typeset-digit validation (pretrain.validation) a 1-pixel wobble
    # made the MLP read 35% of the ones correctly instead of 92% (it blurs 1 into 7).
    elastic_px: float = 0.0  # typical size of the smooth wobble, in pixels
    elastic_cells: int = 5  # its smoothness: random values on a cells x cells grid, interpolated
    centre_jitter_px: float = 0.6  # the page centres by integer shifts: up to half a pixel off
    thicken_prob: float = 0.4  # share of images whose strokes get thicker...
    max_thicken: float = 1.5  # ...by up to this many 3x3 dilations...
    thin_prob: float = 0.2  # ...or thinner (the rest keep theirs)
    max_thin: float = 0.6  # erosion strength at most (full erosion can delete thin strokes)
    solid_prob: float = 0.3  # share given hard, solid-pen edges
    # The canvas pen (4..40 of 280 pixels) on a digit drawn 100..260 pixels tall
    # is 0.3..8 pixels wide in the 20-pixel box; MNIST's own strokes are 1.8..4.6
    # (5th..95th percentile, pretrain.pen.stroke_width). Off by default.
    pen_prob: float = 0.0  # share redrawn with a uniform round pen along the centre line...
    pen_width: tuple[float, float] = (0.8, 4.5)  # ...this many pixels wide (log-uniform)
    # Of those, the share drawn in straight segments between points this many pixels
    # apart along the centre line (pretrain.pen.straighten). Off by default.
    straight_prob: float = 0.0
    straight_spacing: tuple[float, float] = (2.0, 7.0)
    # Of the pen-drawn ones, the share drawn as a sparse pen trajectory: this many points
    # spaced evenly along the joined centre line (pretrain.trajectory), as a tablet
    # that samples sparsely or a fast mouse records a digit. Off by default.
    sparse_prob: float = 0.0
    sparse_points: tuple[int, int] = (6, 14)  # inclusive range of point counts
    sparse_reorder_prob: float = (
        0.0  # of those, the share written in another stroke order (cut, swapped)
    )
    # Share stretched to fill a square (bounding box height = width), as digits
    # scanned and normalised into a fixed square bitmap come. Off by default.
    fill_prob: float = 0.0

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _uniform(n: int, lo: float, hi: float, g: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def dilate(x: torch.Tensor) -> torch.Tensor:
    """Grey-scale dilation with a 3x3 square: every pixel takes its brightest neighbour.

    Separable (a 3-row max, then a 3-column max) with element-wise maxima: on a
    one-channel batch this is several times faster than `max_pool2d`. The zero
    padding is background, so ink never appears from outside the image.
    """
    p = F.pad(x, (1, 1, 1, 1))  # (N, C, H+2, W+2)
    rows = torch.maximum(
        torch.maximum(p[..., :-2, :], p[..., 1:-1, :]), p[..., 2:, :]
    )  # (N, C, H, W+2)
    return torch.maximum(
        torch.maximum(rows[..., :-2], rows[..., 1:-1]), rows[..., 2:]
    )  # (N, C, H, W)


def erode(x: torch.Tensor) -> torch.Tensor:
    """Grey-scale erosion with a 3x3 square; outside the image counts as background (0)."""
    return -dilate(-x)


def change_thickness(
    x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator, keep: torch.Tensor | None = None
) -> torch.Tensor:
    """Per image: thicker (up to `max_thicken` dilations), thinner (towards an erosion) or as is.

    x: (N, 1, H, W) ink in [0, 1]. Blends give sub-pixel thickness changes,
    which a 28x28 image needs (one full dilation adds 2 pixels to a stroke).
    `keep` (N,) bool marks images left as they are (already redrawn with a pen
    of a chosen width: thickening those would only close their loops).
    """
    n = x.shape[0]
    u = torch.rand(n, 1, 1, 1, generator=g)
    amount = torch.rand(n, 1, 1, 1, generator=g)
    d1 = dilate(x)
    d2 = dilate(d1)
    a2 = cfg.max_thicken * amount  # 0..max_thicken dilations (at most 2)
    thick = torch.where(a2 <= 1, x + a2 * (d1 - x), d1 + (a2 - 1) * (d2 - d1))
    thin = x + cfg.max_thin * amount * (erode(x) - x)
    is_thick = u < cfg.thicken_prob
    is_thin = (u >= cfg.thicken_prob) & (u < cfg.thicken_prob + cfg.thin_prob)
    changed = torch.where(is_thick, thick, torch.where(is_thin, thin, x))
    return changed if keep is None else torch.where(keep.view(-1, 1, 1, 1), x, changed)


def _smooth_noise(n: int, size: int, cells: int, g: torch.Generator) -> torch.Tensor:
    """(N, size, size, 2) smooth random displacement fields with unit standard deviation.

    Random values on a coarse cells x cells grid, upsampled bicubically: a
    smooth field like Simard's Gaussian-blurred noise at a fraction of the cost.
    """
    coarse = torch.rand(n, 2, cells, cells, generator=g) * 2 - 1
    field = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)
    field = field / field.flatten(1).std(dim=1).clamp_min(1e-6).view(-1, 1, 1, 1)
    return field.permute(0, 2, 3, 1)


def distort(x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Per image: rotation, shear, aspect change and elastic wobble, by one batched `grid_sample`.

    x: (N, 1, H, W). theta (N, 2, 3) maps output to input coordinates in
    [-1, 1]; the elastic field is added to the sampling grid. With `fill_prob`,
    some images get the aspect change that makes their bounding box square instead.
    """
    n, _, h, w = x.shape
    angle = _uniform(n, -cfg.max_rotation_deg, cfg.max_rotation_deg, g) * math.pi / 180
    shear = _uniform(n, -cfg.max_shear, cfg.max_shear, g)
    aspect = _uniform(n, *cfg.aspect, g)
    if cfg.fill_prob > 0:
        fill = torch.rand(n, generator=g) < cfg.fill_prob
        aspect = torch.where(fill, square_aspect(x), aspect)
    cos, sin = torch.cos(angle), torch.sin(angle)
    sx = 1 / aspect  # sampling the input more densely across = a wider digit
    zero = torch.zeros(n)
    theta = torch.stack(
        [
            torch.stack([cos * sx, (-sin + shear * cos) * sx, zero], dim=1),
            torch.stack([sin, cos + shear * sin, zero], dim=1),
        ],
        dim=1,
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=False)  # (N, H, W, 2)
    if cfg.elastic_px > 0:
        grid = grid + _smooth_noise(n, h, cfg.elastic_cells, g) * (cfg.elastic_px * 2 / h)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def ink_box(img: torch.Tensor, floor: float = 0.05) -> tuple[torch.Tensor, ...]:
    """Bounding boxes of the pixels above `floor` in (N, H, W).

    Returns top, bottom, left, right (N,) and has_ink (N,).
    """
    _, h, w = img.shape
    inked = img > floor
    rows, cols = inked.any(2), inked.any(1)  # (N, H), (N, W)
    idx_h, idx_w = torch.arange(h), torch.arange(w)
    big = torch.tensor(10**6)
    top = torch.where(rows, idx_h, big).amin(1)
    bottom = torch.where(rows, idx_h, -big).amax(1)
    left = torch.where(cols, idx_w, big).amin(1)
    right = torch.where(cols, idx_w, -big).amax(1)
    return top, bottom, left, right, rows.any(1)


def square_aspect(x: torch.Tensor, most: float = 6.0) -> torch.Tensor:
    """The width / height change (N,) that makes each image's ink box square.

    1 for blank images.
    """
    top, bottom, left, right, has_ink = ink_box(x[:, 0])
    ratio = (bottom - top + 1).float() / (right - left + 1).float().clamp_min(1)
    return torch.where(has_ink, ratio.clamp(1 / most, most), torch.ones(len(x)))


def renormalise(
    x: torch.Tensor, g: torch.Generator | None = None, jitter_px: float = 0.0, floor: float = 0.05
) -> torch.Tensor:
    """The page's normalisation, batched: longer bounding-box side to 20, centre of mass to 14.

    x: (N, 1, 28, 28) ink in [0, 1]. The bounding box counts pixels above
    `floor` (as `core.digits.pipeline` does); scale and shift form one affine map per
    image, and the centre of mass moves with it, so one `grid_sample` does it.
    `jitter_px` adds a random offset like the page's whole-pixel rounding.
    Images with no ink come back unchanged. Also stretches the peak to 1.
    """
    n, _, h, w = x.shape
    img = x[:, 0]  # (N, H, W)
    top, bottom, left, right, has_ink = ink_box(img, floor)
    idx_h, idx_w = torch.arange(h), torch.arange(w)
    extent = torch.maximum(bottom - top, right - left).float() + 1  # (N,)
    scale = torch.where(has_ink, BOX / extent.clamp_min(1), torch.ones(n))  # output px per input px
    mass = img.sum((1, 2)).clamp_min(1e-6)
    cy = (img.sum(2) * idx_h).sum(1) / mass
    cx = (img.sum(1) * idx_w).sum(1) / mass
    if g is not None and jitter_px > 0:
        cy = cy + _uniform(n, -jitter_px, jitter_px, g) / scale
        cx = cx + _uniform(n, -jitter_px, jitter_px, g) / scale
    cy = torch.where(has_ink, cy, torch.full((n,), (h - 1) / 2))
    cx = torch.where(has_ink, cx, torch.full((n,), (w - 1) / 2))
    # Output pixel o (normalised u) reads input pixel c + (o - 14) / scale; in
    # normalised coordinates (align_corners=False):
    #   v = u / s + (2c + 1) / H - 1 - (2*14 + 1 - H) / (H s).
    zero = torch.zeros(n)
    inv = 1 / scale
    tx = (2 * cx + 1) / w - 1 - (2 * CENTRE + 1 - w) / (w * scale)
    ty = (2 * cy + 1) / h - 1 - (2 * CENTRE + 1 - h) / (h * scale)
    theta = torch.stack(
        [torch.stack([inv, zero, tx], 1), torch.stack([zero, inv, ty], 1)], 1
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    peak = out.amax((1, 2, 3), keepdim=True)
    return torch.where(peak > 0, out / peak.clamp_min(1e-6), out)


def solid_pen(x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Per image, sometimes: harder edges (a steeper ramp around half ink), like a solid pen."""
    n = x.shape[0]
    chosen = torch.rand(n, 1, 1, 1, generator=g) < cfg.solid_prob
    gain = 1 + 2 * torch.rand(n, 1, 1, 1, generator=g)  # 1..3
    return torch.where(chosen, ((x - 0.5) * gain + 0.5).clamp(0, 1), x)


def redraw_some(
    x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator, lines: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image, with probability `pen_prob`: the digit redrawn with a uniform pen (pretrain.pen).

    x: (N, 1, 28, 28). `lines` (N, V, 56, 56) bool are the digits' centre lines
    in V variants (smooth; then straightened with `straight_prob` > 0; then as a
    sparse trajectory with `sparse_prob` > 0) when the caller computed them once
    for the whole data set (`training_lines`: tracing is the slow part);
    otherwise they are found here. Without straightening or sparse trajectories,
    a seed gives the same batch with or without `lines`. Returns the batch and
    which images (N,) bool were redrawn.
    """
    n = x.shape[0]
    chosen = torch.rand(n, generator=g) < cfg.pen_prob
    lo, hi = cfg.pen_width
    widths = torch.exp(_uniform(n, math.log(lo), math.log(hi), g))
    if cfg.pen_prob <= 0 or not bool(chosen.any()):
        return x, chosen
    if lines is None:
        lines = line_variants(x, cfg, g)
    variant = torch.zeros(n, dtype=torch.long)  # 0: the smooth centre line
    if cfg.straight_prob > 0:
        variant = torch.where(torch.rand(n, generator=g) < cfg.straight_prob, 1, variant)
    if cfg.sparse_prob > 0:
        variant = torch.where(
            torch.rand(n, generator=g) < cfg.sparse_prob, lines.shape[1] - 1, variant
        )
    picked = lines[torch.arange(n), variant].unsqueeze(1)  # (N, 1, 56, 56)
    out = x.clone()
    out[chosen] = draw_lines(picked[chosen], widths[chosen])
    return out, chosen


def line_variants(pixels: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Centre lines (N, V, 56, 56) bool of `pixels` (N, 1, 28, 28).

    The variants, in order: smooth, [straightened], [sparse].
    """
    smooth = centre_lines(pixels)
    variants = [smooth]
    if cfg.straight_prob > 0:
        variants.append(straighten_batch(smooth, straight_spacings(len(smooth), cfg, g)))
    if cfg.sparse_prob > 0:
        lo, hi = cfg.sparse_points
        n_points = torch.randint(lo, hi + 1, (len(smooth),), generator=g)
        cuts = None
        if cfg.sparse_reorder_prob > 0:  # a cut in (0.15, 0.85) of the path, for the chosen share
            reorder = torch.rand(len(smooth), generator=g) < cfg.sparse_reorder_prob
            cuts = torch.where(
                reorder, _uniform(len(smooth), 0.15, 0.85, g), torch.zeros(len(smooth))
            )
        variants.append(sparse_lines(smooth, n_points, cuts))
    return torch.cat(variants, dim=1)


def straight_spacings(n: int, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Per digit, how far apart the points of its straight segments lie.

    In 56x56 centre-line pixels.
    """
    return _uniform(n, *cfg.straight_spacing, g) * 2


def training_lines(
    pixels: torch.Tensor, cfg: AugmentConfig, g: torch.Generator, chunk: int = 2000
) -> torch.Tensor | None:
    """The centre lines `augment_batch` needs for a whole data set, found once before training.

    pixels: (N, 1, 28, 28). None without the pen; else (N, V, 56, 56) bool, as
    `line_variants`: each digit straightened, or traced, once for the whole run
    (per-digit Python: about 0.5 ms a digit per variant).
    """
    if cfg.pen_prob <= 0:
        return None
    return torch.cat(
        [line_variants(pixels[i : i + chunk], cfg, g) for i in range(0, len(pixels), chunk)]
    )


def augment_batch(
    x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator, lines: torch.Tensor | None = None
) -> torch.Tensor:
    """Drawing-like versions of a batch of ink images (N, 1, 28, 28) in [0, 1].

    `lines`: the batch's centre lines, precomputed (see `redraw_some`); only
    used when `cfg.pen_prob` > 0.
    """
    redrawn = None
    if cfg.pen_prob > 0:  # first, so that centre lines found once for the data set still fit
        x, redrawn = redraw_some(x, cfg, g, lines)
    x = distort(change_thickness(x, cfg, g, keep=redrawn), cfg, g).clamp(0.0, 1.0)
    x = renormalise(x, g, cfg.centre_jitter_px)
    return solid_pen(x, cfg, g).clamp(0.0, 1.0)
