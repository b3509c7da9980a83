"""Page helpers shared by every page: URL-backed widgets, presenter mode, lessons.

URL state (TensorFlow Playground's idea): each setting made with the widgets
here lives in `st.query_params` under its key, so a copied link reopens the same
experiment. A value read from the URL is validated; anything invalid or hostile
falls back to the default with a toast, never an error. Values also survive
page switches (Streamlit drops a widget's state when its page is not shown), by
a shadow copy in session state.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from core import theme


def leave_legacy_navigation() -> None:
    """Make sure pages run inside app.py's navigation, even on a fresh server's first link.

    With a pages/ folder beside app.py, Streamlit starts in its legacy multipage mode
    and stays there until app.py calls st.navigation: a shared link opened first on a
    fresh server would run its page file alone, with file names in the sidebar. When a
    page file runs that way (app.py is not running), switch the legacy mode off and
    reload the same URL, which then goes through app.py. Called on import below, so
    every page that imports this module is covered.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory or not st.runtime.exists():
        return
    app_py = str(Path(__file__).resolve().parent.parent / "app.py")
    if any(frame.filename == app_py for frame in inspect.stack(context=0)):
        return  # app.py is running: its st.navigation call leaves the legacy mode itself
    PagesManager.uses_pages_directory = False
    st.html("<script>window.location.reload()</script>", unsafe_allow_javascript=True)
    st.stop()


leave_legacy_navigation()

PRESENTER_KEY = "presenter"
_SHADOW = "_keep_"


def _notice(key: str, raw: str, why: str) -> None:
    shown = raw if len(raw) <= 40 else raw[:40] + "..."
    st.toast(f"Ignored the link's setting {key}={shown!r}: {why}. Using the default.", icon=":material/warning:")


def _seed(key: str, default: Any, parse: Callable[[str], Any]) -> None:
    """Give widget `key` its starting value: the URL's (if valid), the kept one, or `default`."""
    if key in st.session_state:
        # Re-store it: Streamlit drops a widget's value after a run that skipped the widget
        # (say, a page stopped early on bad input), and the value must survive that.
        st.session_state[key] = st.session_state[key]
        return
    raw = st.query_params.get(key)
    if raw is not None:
        try:
            st.session_state[key] = parse(raw)
            return
        except (ValueError, TypeError, OverflowError) as err:
            _notice(key, raw, str(err) or "not a valid value")
    st.session_state[key] = st.session_state.get(_SHADOW + key, default)


def _fit(key: str, valid: Callable[[Any], bool], fallback: Any) -> None:
    """Replace a kept value that no longer fits the widget (its range or options changed)."""
    if not valid(st.session_state.get(key)):
        st.session_state[key] = fallback


def _clamp(value, lo, hi):
    try:
        return min(max(value, lo), hi)
    except TypeError:
        return lo


def _publish(key: str, value: Any, default: Any, dump: Callable[[Any], str] = str) -> None:
    """Mirror `value` into the URL (omitted when it is the default) and the shadow copy."""
    st.session_state[_SHADOW + key] = value
    if value == default:
        if key in st.query_params:
            del st.query_params[key]
    else:
        st.query_params[key] = dump(value)


def _number_parser(kind: type, lo: float, hi: float) -> Callable[[str], Any]:
    def parse(raw: str):
        value = kind(float(raw)) if kind is int else float(raw)
        if not math.isfinite(value) or not lo <= value <= hi:
            raise ValueError(f"must be a number between {lo} and {hi}")
        return value

    return parse


def _choice_parser(options: Sequence[Any]) -> Callable[[str], Any]:
    by_text = {str(o): o for o in options}

    by_number = {}
    for o in options:
        if isinstance(o, (int, float)) and not isinstance(o, bool):
            by_number.setdefault(float(o), o)

    def parse(raw: str):
        if raw in by_text:
            return by_text[raw]
        try:  # a hand-typed "10" for the option 10.0
            return by_number[float(raw)]
        except (ValueError, KeyError, OverflowError):
            raise ValueError("not one of the choices") from None

    return parse


def _bool_parse(raw: str) -> bool:
    if raw.lower() in ("1", "true", "on", "yes"):
        return True
    if raw.lower() in ("0", "false", "off", "no"):
        return False
    raise ValueError("must be 0 or 1")


def _bool_dump(value: bool) -> str:
    return "1" if value else "0"


def slider(label: str, key: str, min_value, max_value, default, step=None, **kw):
    """`st.slider` whose value lives in the URL under `key`."""
    kind = float if isinstance(default, float) else int
    _seed(key, default, _number_parser(kind, min_value, max_value))
    current = st.session_state.get(key)
    _fit(key, lambda v: isinstance(v, (int, float)) and min_value <= v <= max_value,
         _clamp(current, min_value, max_value))
    value = st.slider(label, min_value, max_value, step=step, key=key, **kw)
    _publish(key, value, default)
    return value


def number_input(label: str, key: str, min_value, max_value, default, step=None, **kw):
    """`st.number_input` whose value lives in the URL under `key`."""
    kind = float if isinstance(default, float) else int
    _seed(key, default, _number_parser(kind, min_value, max_value))
    current = st.session_state.get(key)
    _fit(key, lambda v: isinstance(v, (int, float)) and min_value <= v <= max_value,
         _clamp(current, min_value, max_value))
    value = st.number_input(label, min_value, max_value, step=step, key=key, **kw)
    _publish(key, value, default)
    return value


def select_slider(label: str, key: str, options: Sequence[Any], default, **kw):
    """`st.select_slider` (e.g. a log-scale learning rate) whose value lives in the URL."""
    _seed(key, default, _choice_parser(options))
    _fit(key, lambda v: v in options, default)
    value = st.select_slider(label, options=list(options), key=key, **kw)
    _publish(key, value, default)
    return value


def selectbox(label: str, key: str, options: Sequence[Any], default=None, **kw):
    """`st.selectbox` whose choice lives in the URL (as the option's text)."""
    default = options[0] if default is None else default
    _seed(key, default, _choice_parser(options))
    _fit(key, lambda v: v in options, default if default in options else options[0])
    value = st.selectbox(label, list(options), key=key, **kw)
    _publish(key, value, default)
    return value


def radio(label: str, key: str, options: Sequence[Any], default=None, **kw):
    """`st.radio` whose choice lives in the URL."""
    default = options[0] if default is None else default
    _seed(key, default, _choice_parser(options))
    _fit(key, lambda v: v in options, default if default in options else options[0])
    value = st.radio(label, list(options), key=key, **kw)
    _publish(key, value, default)
    return value


def multiselect(label: str, key: str, options: Sequence[Any], default: Sequence[Any] = (), **kw):
    """`st.multiselect` whose choices live in the URL, comma-separated."""
    default = list(default)
    one = _choice_parser(options)

    def parse(raw: str):
        return [one(part) for part in raw.split(",") if part]

    _seed(key, default, parse)
    _fit(key, lambda v: isinstance(v, list) and all(o in options for o in v), default)
    value = st.multiselect(label, list(options), key=key, **kw)
    _publish(key, value, default, dump=lambda v: ",".join(map(str, v)))
    return value


def toggle(label: str, key: str, default: bool = False, **kw) -> bool:
    """`st.toggle` whose state lives in the URL as 0/1."""
    _seed(key, default, _bool_parse)
    value = st.toggle(label, key=key, **kw)
    _publish(key, value, default, dump=_bool_dump)
    return value


def checkbox(label: str, key: str, default: bool = False, **kw) -> bool:
    """`st.checkbox` whose state lives in the URL as 0/1."""
    _seed(key, default, _bool_parse)
    value = st.checkbox(label, key=key, **kw)
    _publish(key, value, default, dump=_bool_dump)
    return value


def text_input(label: str, key: str, default: str = "", max_chars: int = 500, **kw) -> str:
    """`st.text_input` whose text lives in the URL (length-capped)."""

    def parse(raw: str) -> str:
        if len(raw) > max_chars:
            raise ValueError(f"longer than {max_chars} characters")
        return raw

    _seed(key, default, parse)
    value = st.text_input(label, key=key, max_chars=max_chars, **kw)
    _publish(key, value, default)
    return value


def text_area(label: str, key: str, default: str = "", max_chars: int = 2000, **kw) -> str:
    """`st.text_area` whose text lives in the URL (length-capped)."""

    def parse(raw: str) -> str:
        if len(raw) > max_chars:
            raise ValueError(f"longer than {max_chars} characters")
        return raw

    _seed(key, default, parse)
    value = st.text_area(label, key=key, max_chars=max_chars, **kw)
    _publish(key, value, default)
    return value


# ---- presenter mode -------------------------------------------------------


def presenter() -> bool:
    """True in presenter mode: larger type, advanced controls hidden."""
    return bool(st.session_state.get(PRESENTER_KEY, False))


def advanced() -> bool:
    """Whether to show advanced controls (hidden in presenter mode)."""
    return not presenter()


def style(fig):
    """Apply the shared colour-blind-safe style (bigger in presenter mode) to a figure."""
    return theme.style(fig, large=presenter())


def plotly(fig, **kw):
    """Render a plotly figure with the shared style at full width."""
    return st.plotly_chart(style(fig), width="stretch", **kw)


# ---- lessons ---------------------------------------------------------------


def lesson(title: str, body: str, formulas: Sequence[str] = (), try_this: Sequence[str] = ()):
    """The short explanation a page opens with: text, formulas, and prompts to predict first."""
    with st.expander(title, icon=":material/school:", expanded=True):
        st.markdown(body)
        for formula in formulas:
            st.latex(formula)
        for prompt in try_this:
            st.info(f"**Try this:** {prompt}", icon=":material/science:")


# ---- shared data and models (loaded once per process) ------------------------


@st.cache_resource(show_spinner=False)
def _mnist_cached():
    from core.data import load_mnist

    return load_mnist()


def mnist():
    """All of MNIST as tensors, shared read-only by every session of this process.

    Downloads missing files first with a visible progress bar; offline, shows
    what to do and stops this page (the rest of the app keeps working).
    """
    from core.data import DataUnavailable, download_mnist, missing_mnist_files

    if missing_mnist_files():
        bar = st.progress(0.0, text="MNIST is not on this machine yet: downloading...")
        try:
            download_mnist(progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
        except DataUnavailable as err:
            bar.empty()
            st.error(str(err), icon=":material/cloud_off:")
            st.stop()
        bar.empty()
    with st.spinner("Loading MNIST into memory (once per server)..."):
        return _mnist_cached()


@st.cache_resource(show_spinner="Loading the shipped model...")
def pretrained(name: str):
    """The shipped model `name` with its metadata (`core.models.SavedModel`), shared read-only."""
    from core.models import load_pretrained_saved
    from core.runtime import configure_torch

    configure_torch()
    return load_pretrained_saved(name)


USER_MODELS = "user_models"


def user_models() -> dict:
    """This session's trained models: {display name: core.models.SavedModel}. Never shared."""
    return st.session_state.setdefault(USER_MODELS, {})
