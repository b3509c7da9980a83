"""Streamlit helpers for the pages: everything a page needs besides `core`.

A page reads widgets (`ui.slider`, `ui.selectbox`, ... whose values live in the URL), calls
`core`, and renders (`ui.plotly`, `ui.text` for user text inside Markdown). The modules:

- `url_state`: URL-backed widgets and the share link;
- `presenter_mode`: presenter mode (bigger type, advanced controls hidden) and figure styling;
- `lesson`: the explanation each page opens with;
- `shared`: MNIST and the shipped models (once per process), the session's own models;
- `text`: user text made safe for Markdown;
- `registry`: the navigation as data; `shell`: the app around every page;
- `clicks`, `csv_upload`, `mnist_panels`, `draw_panels`, `linreg_replay`: widgets and sections
  larger than one call;
- `exercises`: each page's predict-then-check exercises; `autograd_fillin`: the backward step
  typed by the student; `linreg_bughunt`: the bug hunt;
- `playback`, `training_slot`: the labs' player, and every training through `core.scheduler`.

Importing `ui` loads no torch: the home page must appear fast.
"""

from ui.lesson import lesson
from ui.presenter_mode import PRESENTER_KEY, advanced, plotly, presenter, style
from ui.shared import mnist, pretrained, user_models
from ui.text import text
from ui.url_state import (
    checkbox,
    multiselect,
    number_input,
    radio,
    select_slider,
    selectbox,
    slider,
    text_area,
    text_input,
    toggle,
)

__all__ = [
    "PRESENTER_KEY",
    "advanced",
    "checkbox",
    "lesson",
    "mnist",
    "multiselect",
    "number_input",
    "plotly",
    "presenter",
    "pretrained",
    "radio",
    "select_slider",
    "selectbox",
    "slider",
    "style",
    "text",
    "text_area",
    "text_input",
    "toggle",
    "user_models",
]
