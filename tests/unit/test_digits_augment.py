"""Drawing-like augmentation: batched ops match their definitions and the page's pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core import digits
from pretrain.augment import (
    AugmentConfig,
    augment_batch,
    change_thickness,
    dilate,
    distort,
    erode,
    renormalise,
)

NONE = AugmentConfig(
    max_rotation_deg=0,
    max_shear=0,
    aspect=(1, 1),
    elastic_px=0,
    centre_jitter_px=0,
    thicken_prob=0,
    thin_prob=0,
    solid_prob=0,
)


def digit_batch(n: int = 8) -> torch.Tensor:
    """Synthetic off-centre, differently sized strokes (N, 1, 28, 28) in [0, 1]."""
    x = torch.zeros(n, 1, 28, 28)
    for i in range(n):
        top, left, h = 2 + i % 5, 3 + (2 * i) % 9, 8 + i
        x[i, 0, top : top + h, left : left + 3] = 1.0  # a stem
        x[i, 0, top : top + 2, left : left + 6] = 0.7  # a flag
    return x


def test_dilate_is_a_3x3_max_and_erode_its_dual():
    x = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(dilate(x), F.max_pool2d(x, 3, stride=1, padding=1))
    inner = (slice(None), slice(None), slice(1, -1), slice(1, -1))  # away from the zero border
    torch.testing.assert_close(erode(x)[inner], (-F.max_pool2d(-x, 3, stride=1, padding=1))[inner])
    assert (erode(x)[..., 0, :] == 0).all()  # outside the image is background


def test_thickness_changes_move_ink_the_right_way():
    x = digit_batch()
    g = torch.Generator().manual_seed(0)
    thick = change_thickness(x, AugmentConfig(thicken_prob=1.0, thin_prob=0.0), g)
    thin = change_thickness(x, AugmentConfig(thicken_prob=0.0, thin_prob=1.0), g)
    assert (thick >= x - 1e-6).all() and thick.sum() > x.sum()
    assert (thin <= x + 1e-6).all() and thin.sum() < x.sum()


def test_no_distortion_is_the_identity():
    x = torch.rand(3, 1, 28, 28)
    torch.testing.assert_close(
        distort(x, NONE, torch.Generator().manual_seed(0)), x, atol=1e-5, rtol=0
    )


def test_renormalise_matches_the_page_pipeline():
    """The batched grid_sample version lands digits where core.digits.pipeline.preprocess does."""
    x = digit_batch()
    out = renormalise(x)
    for i in range(len(x)):
        cy, cx = digits.centre_of_mass(out[i, 0].numpy())
        assert abs(cy - 14) < 0.35 and abs(cx - 14) < 0.35
        top, left, bottom, right = digits.bounding_box(out[i, 0].numpy() > 0.05)
        assert 19 <= max(bottom - top, right - left) <= 22  # 20, plus the resampling's soft edge
        assert float(out[i].max()) == pytest.approx(1.0)
        page = digits.preprocess(
            np.repeat((x[i, 0].numpy() * 255).astype(np.uint8)[..., None], 3, 2)
        )
        assert np.corrcoef(page.centred.ravel(), out[i, 0].numpy().ravel())[0, 1] > 0.9


def test_renormalise_leaves_blank_images_blank():
    x = torch.zeros(2, 1, 28, 28)
    assert (renormalise(x) == 0).all()


def test_augment_batch_is_seeded_shaped_and_in_range():
    x = digit_batch(16)
    cfg = AugmentConfig()
    a = augment_batch(x, cfg, torch.Generator().manual_seed(7))
    b = augment_batch(x, cfg, torch.Generator().manual_seed(7))
    c = augment_batch(x, cfg, torch.Generator().manual_seed(8))
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)
    assert (a.flatten(1).amax(1) > 0.99).all()  # every digit survives, peak stretched to 1


def test_config_records_as_plain_values():
    d = AugmentConfig().to_dict()
    assert d["aspect"] == [0.8, 1.2] and all(isinstance(v, (int, float, list)) for v in d.values())
