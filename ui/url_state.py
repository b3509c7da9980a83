"""Widgets whose values live in the URL, so a copied link reopens the same experiment.

URL state (TensorFlow Playground's idea): each setting made with the widgets
here lives in `st.query_params` under its key, so a copied link reopens the same
experiment. A value read from the URL is validated; anything invalid or hostile
falls back to the default with a toast, never an error. Values also survive
page switches (Streamlit drops a widget's state when its page is not shown), by
a shadow copy in session state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from ui.text import text

SHADOW = "_keep_"  # session-state prefix of the copy that survives page switches
PUBLISHED = "_url_keys"  # session-state set of the keys this session's widgets publish
REFUSED = (ValueError, TypeError, OverflowError)  # what a parser raises for a value it refuses
# key -> (default, parser) of every URL widget any session has drawn: a widget's default and
# its parser are the same for everyone, so code above a widget (an exercise asking whether
# the page is set as it wants) can tell what the widget will hold before it is drawn
DECLARED: dict[str, tuple[Any, Callable[[str], Any]]] = {}


def _notice(key: str, raw: str, why: str) -> None:
    st.toast(
        f"Ignored the link's setting {key} = “{text(raw, limit=40)}”: {text(why)}. Using the "
        "default.",
        icon=":material/warning:",
    )


def _seed(key: str, default: Any, parse: Callable[[str], Any]) -> None:
    """Give widget `key` its starting value: the URL's (if valid), the kept one, or `default`."""
    DECLARED[key] = (default, parse)
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
        except REFUSED as err:
            _notice(key, raw, str(err) or "not a valid value")
    st.session_state[key] = st.session_state.get(SHADOW + key, default)


def upcoming(key: str) -> Any:
    """What URL widget `key` holds, or will hold once drawn in this run: its value, else the
    link's valid value, else its kept copy, else its default (None: no session drew it yet)."""
    if key in st.session_state:
        return st.session_state[key]
    if key not in DECLARED:
        return st.session_state.get(SHADOW + key)
    default, parse = DECLARED[key]
    raw = st.query_params.get(key)
    if raw is not None:
        try:
            return parse(raw)
        except REFUSED:
            pass
    return st.session_state.get(SHADOW + key, default)


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
    st.session_state[SHADOW + key] = value
    st.session_state.setdefault(PUBLISHED, set()).add(key)
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


def _text_parser(max_chars: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > max_chars:
            raise ValueError(f"longer than {max_chars} characters")
        return raw

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
    return _number(st.slider, label, key, min_value, max_value, default, step, **kw)


def number_input(label: str, key: str, min_value, max_value, default, step=None, **kw):
    """`st.number_input` whose value lives in the URL under `key`."""
    return _number(st.number_input, label, key, min_value, max_value, default, step, **kw)


def _number(widget, label: str, key: str, min_value, max_value, default, step, **kw):
    """A numeric `widget` (slider, number input) whose value lives in the URL, kept in its range."""
    kind = float if isinstance(default, float) else int
    _seed(key, default, _number_parser(kind, min_value, max_value))
    current = st.session_state.get(key)
    _fit(
        key,
        lambda v: isinstance(v, (int, float)) and min_value <= v <= max_value,
        _clamp(current, min_value, max_value),
    )
    value = widget(label, min_value, max_value, step=step, key=key, **kw)
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
    return _one_of(st.selectbox, label, key, options, default, **kw)


def radio(label: str, key: str, options: Sequence[Any], default=None, **kw):
    """`st.radio` whose choice lives in the URL."""
    return _one_of(st.radio, label, key, options, default, **kw)


def _one_of(widget, label: str, key: str, options: Sequence[Any], default, **kw):
    """A pick-one `widget` (selectbox, radio) over `options` whose choice lives in the URL."""
    default = options[0] if default is None else default
    _seed(key, default, _choice_parser(options))
    _fit(key, lambda v: v in options, default if default in options else options[0])
    value = widget(label, list(options), key=key, **kw)
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

    _seed(key, default, _text_parser(max_chars))
    value = st.text_input(label, key=key, max_chars=max_chars, **kw)
    _publish(key, value, default)
    return value


def text_area(label: str, key: str, default: str = "", max_chars: int = 2000, **kw) -> str:
    """`st.text_area` whose text lives in the URL (length-capped)."""

    _seed(key, default, _text_parser(max_chars))
    value = st.text_area(label, key=key, max_chars=max_chars, **kw)
    _publish(key, value, default)
    return value


def shared_query() -> dict[str, str]:
    """The URL's settings that this app's widgets made: what a share link carries.

    Anything else a link brought along (an unknown or hostile parameter) is left out, so a
    crafted link does not spread further through "Share this experiment".
    """
    known = st.session_state.get(PUBLISHED, set())
    return {k: v for k, v in st.query_params.to_dict().items() if k in known}
