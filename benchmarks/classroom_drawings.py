"""Hand-drawn-looking digits for the load benchmark, in the exact form the canvas sends them.

streamlit-drawable-canvas 0.13 (a Streamlit components-v2 widget) sends, after
each stroke, its whole state as one JSON widget value:
`{"drawing": {"raw": <fabric.js canvas JSON>, "data": <PNG data URL or null>}}`.
`raw.objects` holds one fabric `Path` per stroke (captured from Chromium: a
`M`, then `Q` segments through the midpoints of the pointer samples, then an
`L`); `data` is the canvas rendered as a PNG at its own size, present only
when the page asked for `return_image_data=True`.

Each digit is a few strokes of a parametric centre line, jittered per drawing
(position, size, slant, wobble), so thirty students draw thirty different
images, the way a class would.
"""

from __future__ import annotations

import base64
import io
import math
import random
from collections.abc import Callable, Sequence

from PIL import Image, ImageColor, ImageDraw

Point = tuple[float, float]
FABRIC_VERSION = "7.4.0"  # what the bundled fabric.js writes into its JSON


def _arc(
    cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 24
) -> list[Point]:
    """Points on an ellipse from angle a0 to a1 (degrees, 0 = right, 90 = down)."""
    return [
        (
            cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / (n - 1))),
            cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / (n - 1))),
        )
        for i in range(n)
    ]


def _line(*points: Point, n: int = 8) -> list[Point]:
    """A polyline through `points`, resampled with `n` points per segment."""
    out: list[Point] = []
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        out += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n)]
    return out + [points[-1]]


# Strokes of each digit in a unit box (x right, y down), as a person writes them.
STROKES: dict[int, Callable[[], list[list[Point]]]] = {
    0: lambda: [_arc(0.5, 0.5, 0.36, 0.48, -90, 275, 40)],
    1: lambda: [_line((0.32, 0.22), (0.55, 0.02), (0.55, 1.0))],
    2: lambda: [
        _arc(0.5, 0.3, 0.34, 0.28, 200, 380, 16) + _line((0.82, 0.36), (0.12, 1.0), (0.9, 1.0))
    ],
    3: lambda: [
        _arc(0.45, 0.26, 0.33, 0.25, 210, 450, 18) + _arc(0.45, 0.73, 0.37, 0.27, -90, 150, 20)
    ],
    4: lambda: [_line((0.62, 0.0), (0.1, 0.68), (0.92, 0.68)), _line((0.66, 0.3), (0.66, 1.0))],
    5: lambda: [
        _line((0.85, 0.02), (0.22, 0.02), (0.18, 0.45))
        + _arc(0.48, 0.68, 0.36, 0.31, -140, 150, 20)
    ],
    6: lambda: [_line((0.75, 0.0), (0.3, 0.42), n=10) + _arc(0.5, 0.72, 0.32, 0.27, 200, 560, 28)],
    7: lambda: [_line((0.1, 0.03), (0.9, 0.03), (0.38, 1.0))],
    8: lambda: [
        [
            (0.5 + 0.3 * math.sin(2 * t), 0.5 - 0.48 * math.cos(t))
            for t in (2 * math.pi * i / 47 for i in range(48))
        ]
    ],
    9: lambda: [_arc(0.5, 0.3, 0.32, 0.28, 20, 380, 26) + _line((0.82, 0.34), (0.72, 1.0))],
}


def digit_strokes(digit: int, width: int, height: int, rng: random.Random) -> list[list[Point]]:
    """The strokes of `digit` in canvas pixels, placed and jittered like a person's drawing."""
    size = min(width, height) * rng.uniform(0.55, 0.7)
    box_w = size * rng.uniform(0.6, 0.75)
    x0 = (width - box_w) / 2 + rng.uniform(-0.06, 0.06) * width
    y0 = (height - size) / 2 + rng.uniform(-0.06, 0.06) * height
    slant = rng.uniform(-0.15, 0.15)
    wobble = size * 0.012
    strokes = []
    for stroke in STROKES[digit]():
        strokes.append(
            [
                (
                    x0 + (x + slant * (1 - y)) * box_w + rng.gauss(0, wobble),
                    y0 + y * size + rng.gauss(0, wobble),
                )
                for x, y in stroke
            ]
        )
    return strokes


def fabric_path(points: Sequence[Point], stroke: str, stroke_width: float) -> dict:
    """One freehand stroke as fabric.js serialises a PencilBrush path."""
    path: list[list] = [["M", round(points[0][0], 3), round(points[0][1], 3)]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        path.append(
            ["Q", round(x0, 3), round(y0, 3), round((x0 + x1) / 2, 3), round((y0 + y1) / 2, 3)]
        )
    path.append(["L", round(points[-1][0], 3), round(points[-1][1], 3)])
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return {
        "type": "Path",
        "version": FABRIC_VERSION,
        "originX": "center",
        "originY": "center",
        "left": round((min(xs) + max(xs)) / 2, 4),
        "top": round((min(ys) + max(ys)) / 2, 4),
        "width": round(max(xs) - min(xs), 3),
        "height": round(max(ys) - min(ys), 3),
        "fill": None,
        "stroke": stroke,
        "strokeWidth": stroke_width,
        "strokeDashArray": None,
        "strokeLineCap": "round",
        "strokeDashOffset": 0,
        "strokeLineJoin": "round",
        "strokeUniform": False,
        "strokeMiterLimit": 10,
        "scaleX": 1,
        "scaleY": 1,
        "angle": 0,
        "flipX": False,
        "flipY": False,
        "opacity": 1,
        "shadow": None,
        "visible": True,
        "backgroundColor": "",
        "fillRule": "nonzero",
        "paintFirst": "fill",
        "globalCompositeOperation": "source-over",
        "skewX": 0,
        "skewY": 0,
        "path": path,
    }


def _rgba(colour: str) -> tuple[int, int, int, int]:
    if not colour or colour == "transparent":
        return (0, 0, 0, 0)
    rgb = ImageColor.getcolor(colour, "RGBA")
    return rgb if len(rgb) == 4 else (*rgb, 255)


def render_png(
    strokes: Sequence[Sequence[Point]],
    width: int,
    height: int,
    stroke: str,
    stroke_width: float,
    background: str,
) -> str:
    """The canvas as fabric's `toDataURL({format: "png"})`: a data URL of width x height pixels."""
    img = Image.new("RGBA", (width, height), _rgba(background))
    draw = ImageDraw.Draw(img)
    colour, r = _rgba(stroke), stroke_width / 2
    for points in strokes:
        draw.line(
            [(x, y) for x, y in points],
            fill=colour,
            width=max(1, round(stroke_width)),
            joint="curve",
        )
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def canvas_states(digit: int, canvas: dict, rng: random.Random) -> list[dict]:
    """The canvas's widget values as one student draws `digit`: one state per finished stroke.

    `canvas` is the data the page gave the component (its `canvasWidth`,
    `canvasHeight`, `strokeWidth`, `strokeColor`, `backgroundColor`,
    `returnImageData`, `initialDrawing`), as the page sent it in the
    BidiComponent element.
    """
    width, height = int(canvas.get("canvasWidth", 280)), int(canvas.get("canvasHeight", 280))
    stroke, stroke_width = canvas.get("strokeColor", "black"), float(canvas.get("strokeWidth", 20))
    background = canvas.get("backgroundColor", "") or ""
    strokes = digit_strokes(digit, width, height, rng)
    states = []
    for n in range(1, len(strokes) + 1):
        raw = {
            "version": FABRIC_VERSION,
            "objects": [fabric_path(s, stroke, stroke_width) for s in strokes[:n]],
            "background": background,
        }
        data = (
            render_png(strokes[:n], width, height, stroke, stroke_width, background)
            if canvas.get("returnImageData")
            else None
        )
        states.append({"drawing": {"raw": raw, "data": data}})
    return states


def cleared_state(canvas: dict) -> dict:
    """The value the toolbar's reset sends: the initial (empty) drawing, rendered if asked."""
    width, height = int(canvas.get("canvasWidth", 280)), int(canvas.get("canvasHeight", 280))
    background = canvas.get("backgroundColor", "") or ""
    raw = {"version": FABRIC_VERSION, "objects": [], "background": background}
    data = (
        render_png([], width, height, "black", 1, background)
        if canvas.get("returnImageData")
        else None
    )
    return {"drawing": {"raw": raw, "data": data}}
