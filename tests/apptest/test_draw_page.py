"""The draw-a-digit page under AppTest: invitation, model choice, URL state,
drawings fed in by hand.

AppTest does not run the canvas's JavaScript, so a drawing is fed in the way the
component itself delivers one: as its state in `st.session_state`, with the
PNG data URL the browser would send.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from torch import nn

from core.mnist.models import ModelSpec, SavedModel, build_model
from tests.support.digits_helpers import compose, disc
from ui import draw_panels

PAGE = "pages/draw.py"
pytestmark = pytest.mark.slow


def drawing_state(rgba: np.ndarray, objects: int = 1) -> dict:
    """What streamlit-drawable-canvas stores for a drawing of `objects` strokes."""
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    raw = {"objects": [{"type": "path", "n": i} for i in range(objects)]}
    return {"drawing": {"raw": raw, "data": url}, "backgroundFit": None}


def one(chalk: bool = False) -> np.ndarray:
    mask = np.zeros((280, 280), np.float32)
    mask[40:240, 130:150] = 1
    return compose(mask, ink=(255, 255, 255, 255), paper=(0, 0, 0, 255)) if chalk else compose(mask)


def zero() -> np.ndarray:
    """An oval ring, 220 tall and 150 wide, drawn with a thick pen."""
    yy, xx = np.mgrid[:280, :280]

    def inside(ry, rx):
        return ((yy - 140) / ry) ** 2 + ((xx - 140) / rx) ** 2 <= 1

    return compose((inside(110, 75) & ~inside(88, 55)).astype(np.float32))


def draw(at, rgba, objects: int = 1):
    at.session_state["draw_canvas"] = drawing_state(rgba, objects)
    return at.run()


def prediction(at):
    found = [m.value for m in at.metric if m.label == "Prediction"]
    return found[0] if found else None


def infos(at) -> str:
    return " ".join(i.value for i in at.info)


def test_empty_canvas_invites_instead_of_guessing(app_test):
    at = app_test(PAGE, timeout=180)
    assert not at.exception
    assert at.title[0].value == "Draw a digit"
    assert "Draw a digit (0 to 9)" in infos(at)
    assert prediction(at) is None
    box = at.selectbox(key="draw_model")
    assert box.value == "Shipped CNN"
    assert {"Shipped CNN", "Shipped MLP", "Shipped linear (softmax regression)"} <= set(box.options)


def test_drawings_are_read_and_cleared(app_test):
    at = app_test(PAGE, timeout=180)
    draw(at, one())
    assert not at.exception
    assert prediction(at) == "1"
    assert any("With MNIST's steps the model reads **1**" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 1  # probabilities (the comparison is closed)
    draw(at, zero(), objects=2)
    assert prediction(at) == "0"
    at.button(key="draw_undo").click().run()
    assert at.session_state["draw_canvas_start"]["objects"] == [{"type": "path", "n": 0}]
    at.button(key="draw_clear").click().run()
    assert not at.exception
    assert prediction(at) is None and "Draw a digit (0 to 9)" in infos(at)
    assert at.session_state["draw_canvas_start"]["objects"] == []


def test_a_dot_gets_a_message_not_a_guess(app_test):
    at = app_test(PAGE, timeout=180)
    draw(at, compose(disc(140, 140, 10)))
    assert not at.exception and prediction(at) is None
    assert "dot" in infos(at)


def test_url_restores_the_settings_and_chalk_drawings_are_read(app_test):
    at = app_test(
        PAGE, {"draw_model": "Shipped MLP", "draw_pen": "12", "draw_chalk": "1"}, timeout=180
    )
    assert not at.exception
    assert at.selectbox(key="draw_model").value == "Shipped MLP"
    assert at.slider(key="draw_pen").value == 12
    assert at.toggle(key="draw_chalk").value is True
    draw(at, one(chalk=True))
    assert prediction(at) == "1"
    assert any("Shipped MLP: probability" in str(c.proto.spec) for c in at.get("plotly_chart"))


@pytest.mark.parametrize(
    "query",
    [
        {"draw_model": "<script>alert(1)</script>", "draw_pen": "1e999", "draw_chalk": "maybe"},
        {"draw_model": "Yours: nobody", "draw_pen": "-5", "draw_chalk": ""},
    ],
)
def test_hostile_links_fall_back_to_defaults(app_test, query):
    at = app_test(PAGE, query, timeout=180)
    assert not at.exception
    assert at.selectbox(key="draw_model").value == "Shipped CNN"
    assert at.slider(key="draw_pen").value == 20
    assert at.toggle(key="draw_chalk").value is False


def test_students_models_are_offered_and_a_misfit_gets_a_message(app_test):
    at = app_test(PAGE, timeout=180)
    good = build_model(ModelSpec("linear")).eval()
    at.session_state["user_models"] = {
        "my softmax": SavedModel(good, ModelSpec("linear"), {}),
        "misfit": SavedModel(
            nn.Sequential(nn.Flatten(), nn.Linear(784, 3)), ModelSpec("linear"), {}
        ),
    }
    at.run()
    box = at.selectbox(key="draw_model")
    assert {"Yours: my softmax", "Yours: misfit"} <= set(box.options)
    box.set_value("Yours: misfit").run()
    draw(at, one())
    assert not at.exception
    assert any("does not fit" in w.value for w in at.warning)
    at.selectbox(key="draw_model").set_value("Yours: my softmax").run()
    assert not at.exception and prediction(at) is not None
    open_sections(at)
    assert any(
        "In w*x even blank pixels vote" in m.value for m in at.markdown
    )  # linear: w*x map shown


def open_sections(at, keys=(draw_panels.WHY_KEY, draw_panels.ALL_MODELS_KEY)):
    """Open the deeper sections, as a student's click does (AppTest cannot click an expander:
    it sets the widget's state, and the on_change callback's record of it)."""
    for key in keys:
        at.session_state[key] = True
        at.session_state[draw_panels.OPENED + key] = True
    return at.run()


def test_the_deeper_sections_are_built_only_once_opened_and_stay_open(app_test):
    """Closed (the default), saliency and the other models cost a stroke nothing."""
    at = app_test(PAGE, timeout=180)
    draw(at, one())
    assert prediction(at) == "1"
    labels = [e.label for e in at.expander]
    assert any("Why the model decided" in label for label in labels)
    assert "All models on the same drawing" in labels
    assert len(at.image) == 5  # the preprocessing steps only
    assert len(at.get("plotly_chart")) == 1  # the chosen model's probabilities
    open_sections(at)
    assert not at.exception
    assert len(at.image) == 7  # + the input and its saliency map (the CNN has no w*x)
    assert len(at.get("plotly_chart")) == 2  # + every model's probabilities
    assert any("Saliency is local" in m.value for m in at.markdown)
    draw(at, zero(), objects=2)  # the next drawing: still open
    assert prediction(at) == "0" and len(at.image) == 7 and len(at.get("plotly_chart")) == 2
    at.button(key="draw_clear").click().run()  # no drawing, no sections drawn ...
    assert not [e for e in at.expander if "All models" in e.label]
    draw(at, one())  # ... and open again with the next one
    assert prediction(at) == "1" and len(at.image) == 7 and len(at.get("plotly_chart")) == 2


@pytest.mark.parametrize(
    ("choice", "layers"),
    [("Shipped CNN", 6), ("Shipped MLP", 3), ("Shipped linear (softmax regression)", 2)],
)
def test_inside_the_model_shows_every_layer_once_opened(app_test, choice, layers):
    at = app_test(PAGE, query={"draw_model": choice}, timeout=180)
    draw(at, one())
    before = len(at.image)
    assert not [e for e in at.expander if e.label.startswith("Inside the model") and e.children]
    at.session_state[draw_panels.INSIDE_KEY] = True
    at.session_state[draw_panels.OPENED + draw_panels.INSIDE_KEY] = True
    at.run()
    assert not at.exception
    tiles = [c for c in at.get("plotly_chart") if "(click one)" in c.proto.spec]
    assert len(at.image) + len(tiles) == before + layers  # one picture a layer
    assert tiles  # every layer with units: a clickable picture
    text = " ".join(m.value for m in at.markdown)
    assert "scaled to its own largest value" in text
    assert ("ten w*x maps" in text) == (layers == 2)


def test_presenter_mode_hides_the_colour_switch(app_test):
    at = app_test(PAGE, {"presenter": "1"}, timeout=180)
    assert not at.exception
    assert not [t for t in at.toggle if t.key == "draw_chalk"]


def open_inside(at):
    at.session_state[draw_panels.INSIDE_KEY] = True
    at.session_state[draw_panels.OPENED + draw_panels.INSIDE_KEY] = True
    return at.run()


def chart_specs(at) -> list[str]:
    return [str(c.proto.spec) for c in at.get("plotly_chart")]


def test_a_cnn_feature_map_shows_its_filters_and_the_test_images_it_responds_to(
    app_test, monkeypatch
):
    """Nothing is read until a unit is picked; then the shipped CNN reads the test images
    once for the whole process, however many drawings and units follow."""
    from core.digits import units
    from ui import inside_views

    inside_views._shipped_strongest.clear()
    passes = []

    def counted(model, x, *args, **kwargs):
        passes.append(len(x))
        return units.strongest_images(model, x, *args, **kwargs)

    monkeypatch.setattr(inside_views, "strongest_images", counted)
    at = app_test(PAGE, timeout=180)
    draw(at, one())
    open_inside(at)
    assert not at.exception
    assert at.selectbox(key="draw_unit_layer").value == inside_views.NO_LAYER
    assert passes == []  # the probabilities and the layers' clickable pictures: nothing read
    at.selectbox(key="draw_unit_layer").set_value("conv2 (Conv2d)").run()
    at.selectbox(key="draw_unit").set_value(5).run()
    assert not at.exception
    specs = chart_specs(at)
    assert any("The weights of feature map 5 in conv2" in s for s in specs)
    assert any("test images that raise feature map 5 most" in s for s in specs)
    assert passes == [units.PROBE_IMAGES]
    captions = [img.caption for i in at.image for img in i.proto.imgs]
    assert any("Feature map 5 for your drawing: fires" in c for c in captions)
    assert any("Your drawing gives" in c.value for c in at.caption)
    assert any("3x3 filters, one for each of the 32 maps" in c.value for c in at.caption)
    draw(at, zero(), objects=2)  # another drawing, another map: no second pass
    at.selectbox(key="draw_unit").set_value(9).run()
    assert not at.exception and passes == [units.PROBE_IMAGES]
    assert any("raise feature map 9 most" in s for s in chart_specs(at))
    assert at.query_params["draw_unit_layer"] == "conv2 (Conv2d)"  # a link shows it again


@pytest.mark.parametrize(
    ("choice", "layer", "unit", "weights"),
    [
        ("Shipped MLP", "net.1 (ReLU)", 3, "The weights of unit 3 in net.0"),
        ("Shipped linear (softmax regression)", "scores (logits)", 7, "The weights of class 7"),
    ],
)
def test_a_unit_or_a_class_shows_what_it_responds_to(app_test, choice, layer, unit, weights):
    at = app_test(PAGE, query={"draw_model": choice}, timeout=180)
    draw(at, one())
    open_inside(at)
    at.selectbox(key="draw_unit_layer").set_value(layer).run()
    at.selectbox(key="draw_unit").set_value(unit).run()
    assert not at.exception
    specs = chart_specs(at)
    assert any(weights in s for s in specs)
    assert any(f"raise {'class' if 'linear' in choice else 'unit'} {unit} most" in s for s in specs)
    assert any("784 input pixels" in c.value for c in at.caption)


@pytest.mark.parametrize(
    ("query", "layer", "unit"),
    [
        ({"draw_unit_layer": "<script>alert(1)</script>", "draw_unit": "1e309"}, None, None),
        ({"draw_unit_layer": "conv1 (Conv2d)", "draw_unit": "999"}, "conv1 (Conv2d)", 0),
        ({"draw_unit_layer": "fc2 (Linear)", "draw_unit": "7"}, "fc2 (Linear)", 7),
    ],
)
def test_a_link_to_a_unit_is_checked_before_use(app_test, query, layer, unit):
    """A link may carry a unit: a real one is shown, anything else falls back quietly."""
    at = app_test(PAGE, query=query, timeout=180)
    draw(at, one())
    open_inside(at)
    assert not at.exception
    from ui import inside_views

    assert at.selectbox(key="draw_unit_layer").value == (layer or inside_views.NO_LAYER)
    if layer is None:
        assert not [s for s in at.selectbox if s.key == "draw_unit"]
        return
    assert at.selectbox(key="draw_unit").value == unit
    word = "class" if layer.startswith("fc2") else "feature map"
    assert any(f"raise {word} {unit} most" in s for s in chart_specs(at))


def click_tile(at, layer: str, unit: int, keys=draw_panels.UNIT_KEYS):
    """What the browser sends when the student clicks unit `unit`'s tile in the picture of
    `layer` (a point of its invisible squares, trace 1): the chart's selection as its widget
    state, so its on_select callback runs as it does in a browser."""
    import json

    from streamlit.proto.WidgetStates_pb2 import WidgetState

    chart = next(
        c
        for c in at.get("plotly_chart")
        if (c.key or "").startswith(f"{keys[1]}_tiles_")
        and f"{layer}: " in json.loads(c.proto.spec)["layout"]["title"]["text"]
    )
    point = {"curve_number": 1, "point_number": unit, "point_index": unit, "customdata": unit}
    states = at._tree.get_widget_states()
    states.widgets.append(
        WidgetState(
            id=chart.proto.id,
            string_value=json.dumps({"selection": {"points": [point], "point_indices": [unit]}}),
        )
    )
    return at._run(states)


def test_clicking_a_feature_map_picks_it_and_shows_what_it_responds_to(app_test):
    """A click on a CNN map's tile sets the two selectboxes (and the URL) to it."""
    at = app_test(PAGE, timeout=180)
    draw(at, one())
    open_inside(at)
    click_tile(at, "conv2 (Conv2d)", 4)
    assert not at.exception
    assert at.selectbox(key="draw_unit_layer").value == "conv2 (Conv2d)"
    assert at.selectbox(key="draw_unit").value == 4
    assert at.query_params["draw_unit"] == "4"
    specs = chart_specs(at)
    assert any("The weights of feature map 4 in conv2" in s for s in specs)
    assert any("test images that raise feature map 4 most" in s for s in specs)
    at.selectbox(key="draw_unit").set_value(6).run()  # the selectbox still picks, after a click
    assert not at.exception and at.selectbox(key="draw_unit").value == 6
    assert any("raise feature map 6 most" in s for s in chart_specs(at))
