"""The logistic lab's touchable data: click to add points of a class, drag or erase them.

The editor (`ui.components.points`, class mode) runs in the browser over the current
model's probability map; this module turns its finished edits into the data the lab
trains on (`core.logreg.edit`). Edits are kept per base data set in the session.
"""

from __future__ import annotations

import base64
import io

import streamlit as st
from PIL import Image

from core import logreg, theme
from core.logreg import edit as le
from core.logreg.replay import colour_codes, encode_surface
from core.logreg.surface import probability_surface
from ui.components.points import EditorData, editor_mode, points_editor
from ui.presenter_mode import presenter
from ui.touch import edit_messages, take_edits, touch_box

KEY, SECTION, EDITS = "lr_touch", "lr_touch_open", "lr_edits"
MAP_GRID = 64
CODE_WORDS = {
    "truncated": f"At most {le.MAX_EDITED_POINTS} points: the extra ones were not added.",
    "dropped": "Some points were not valid (not numbers, or no such class) and were left out.",
    "clamped": "Points dragged off the plot were kept at its edge.",
}
LABELS = {
    "modes": [("move", "✥ Move"), ("add", "＋ Add"), ("erase", "⌫ Erase"), ("clear", "Clear all")],
    "aria": "Data points: click to add a point of the chosen class, drag to move, or erase",
    "adding": "Adding:",
    "edge": "kept at the edge of the plot",
    "full": f"full: at most {le.MAX_EDITED_POINTS} points",
}


def touched(base, base_key):
    """(data, key, error): `base` with the student's edits, a key for it, and why not if the
    edits leave nothing to learn from (data None then; the editor still shows)."""
    if base is None:
        return None, None, None
    bounds = base.bounds()
    entry = take_edits(
        KEY, EDITS, repr(base_key), lambda raw: le.clean_class_points(raw, bounds, base.n_classes)
    )
    points = entry.get("points")
    if points is None:
        return base, base_key, None
    try:
        return le.edited(base, points), ("edited", base_key, points.digest), None
    except le.EditError as err:
        return None, None, str(err)


def _surface_uri(run: logreg.Run | None, bounds) -> str | None:
    if run is None:
        return None
    s = probability_surface(run.model, bounds, MAP_GRID)
    colors = [theme.class_color(k) for k in range(run.data.n_classes)]
    rgb = colour_codes(encode_surface(s.probs, run.model.binary), colors)[::-1]  # row 0 on top
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _editor_data(base, base_key, run, mode: str) -> EditorData:
    (x_lo, x_hi), (y_lo, y_hi) = bounds = base.bounds()
    entry = st.session_state.get(EDITS, {}).get(repr(base_key), {})
    points = entry.get("points")
    if points is not None:
        train = [[*map(float, xy), int(k)] for xy, k in zip(points.x, points.y, strict=True)]
    else:
        train = [
            [*map(float, xy), int(k)]
            for xy, k in zip(base.x_train.numpy(), base.y_train.tolist(), strict=True)
        ]
    test = [[float(a), float(b)] for a, b in base.x_test.numpy()]
    return EditorData(
        base=repr(base_key),
        seq=entry.get("seq", 0),
        points=[[round(a, 5), round(b, 5), k] for a, b, k in train],
        test=[[round(a, 5), round(b, 5)] for a, b in test],
        bounds=(x_lo, x_hi, y_lo, y_hi),
        degree=1,
        model=[],
        line=None,
        mode=mode,
        max_points=le.MAX_EDITED_POINTS,
        x_name="x1",
        y_name="x2",
        labels=LABELS,
        big=presenter(),
        height=560 if presenter() else 460,
        classes=[[str(n), theme.class_color(k)] for k, n in enumerate(base.class_names)],
        surface=_surface_uri(run, bounds),
    )


def touch_section(base, base_key, run, error: str | None) -> None:
    """The editor in an expander (built only while open) and its messages."""
    if base is None:
        return
    box = touch_box(
        "Touch the data: click to add points of a class, drag or erase them, or draw your own",
        SECTION,
        len(base.y_train),
        le.MAX_EDITED_POINTS,
    )
    if box is None:
        return
    with box:
        st.caption(
            "Pick a class in the toolbar and click (or tap) to add its points; drag a point to "
            "move it; **Erase** removes what you touch; **Clear all** starts a data set from "
            "scratch. The shading is the model now: press Play to see it learn your points. "
            "Test points (hollow diamonds) stay as they are."
        )
        mode = editor_mode(KEY, ("move", "add", "erase"))
        points_editor(KEY, _editor_data(base, base_key, run, mode))
        entry = st.session_state.get(EDITS, {}).get(repr(base_key), {})
        edit_messages(entry, CODE_WORDS, error, EDITS, repr(base_key))
