"""Digits: a drawing on a canvas read the way MNIST's digits were made, and its figures.

`pipeline` takes a canvas image through MNIST's own steps (ink, crop, fit 20x20, centre by
mass in 28x28, normalise) and classifies it with any MNIST model; `figures` draws each step.
This package re-exports the pipeline: `from core.digits import canvas_to_input, classify`.
"""

from core.digits.pipeline import (
    BOX,
    CANVAS_SIZE,
    CENTRE,
    DEFAULT_STROKE,
    EMPTY_CONTRAST,
    INK_FLOOR,
    INVITATION,
    SIDE,
    DrawingCheck,
    ModelMismatch,
    Preprocessed,
    bounding_box,
    canvas_to_input,
    centre_of_mass,
    check_drawing,
    classify,
    fit_box,
    ink_map,
    linear_contributions,
    linear_weights,
    naive_pixels,
    normalise,
    place_by_mass,
    preprocess,
    probabilities,
    saliency,
)

__all__ = [
    "SIDE",
    "BOX",
    "CENTRE",
    "EMPTY_CONTRAST",
    "INK_FLOOR",
    "CANVAS_SIZE",
    "DEFAULT_STROKE",
    "INVITATION",
    "ModelMismatch",
    "DrawingCheck",
    "Preprocessed",
    "ink_map",
    "bounding_box",
    "check_drawing",
    "fit_box",
    "centre_of_mass",
    "place_by_mass",
    "preprocess",
    "naive_pixels",
    "canvas_to_input",
    "probabilities",
    "classify",
    "saliency",
    "linear_weights",
    "linear_contributions",
    "normalise",
]
