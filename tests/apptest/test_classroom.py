"""Classroom readiness across every page: state round-trips through the URL, hostile links
fall back to defaults, and presenter mode works everywhere."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from ui.registry import PAGES

pytestmark = pytest.mark.slow

BUILT = [p for p in PAGES if (ROOT / p[1]).exists() and p[4] != "home"]
KINDS = ("selectbox", "toggle", "checkbox", "slider", "select_slider", "radio")
HOSTILE = [
    "<script>alert(1)</script>",
    "1e999",
    "-1",
    "nan",
    "",
    "%00",
    "x" * 3000,
    "__import__('os').system('id')",
]


def keyed_widgets(at):
    """(kind, widget) for every keyed widget of the kinds we can set generically, main area only."""
    out = []
    for kind in KINDS:
        for w in getattr(at.main, kind):
            if w.key and not w.disabled:
                out.append((kind, w))
    return out


def other_value(kind, w):
    """A valid value different from the widget's current one, or None."""
    if kind in ("toggle", "checkbox"):
        return not w.value
    if kind in ("selectbox", "radio"):
        if str(w.format_func(w.value)) != str(w.value):
            return None  # shown labels differ from values: AppTest cannot set it by label
        opts = [o for o in w.options if o != str(w.value)]
        return opts[0] if opts else None
    if kind == "select_slider":
        opts = [o for o in w.options if o != str(w.value)]
        return opts[0] if opts else None
    if kind == "slider":
        if isinstance(w.value, (tuple, list)):
            return None
        return w.min if w.value != w.min else w.max
    return None


@pytest.mark.parametrize("entry", BUILT, ids=[p[4] for p in BUILT])
def test_settings_round_trip_through_the_url(app_test, entry):
    path = entry[1]
    at = app_test(path, timeout=180)
    assert not at.exception
    changed = []
    for kind, w in keyed_widgets(at)[:12]:
        if len(changed) >= 3:
            break
        value = other_value(kind, w)
        present = {x.key for _, x in keyed_widgets(at)}
        if value is None or w.key not in present:  # an earlier change may have hidden it
            continue
        getattr(at, kind)(key=w.key).set_value(value)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        changed.append((kind, w.key))
    final = {
        (k, key): getattr(at, k)(key=key).value
        for k, key in changed
        if key in {x.key for _, x in keyed_widgets(at)} and key in at.query_params
    }
    changed = final
    assert changed, f"no setting of {path} reached the URL"
    link = dict(at.query_params)
    fresh = app_test(path, query=link, timeout=180)
    assert not fresh.exception
    for (kind, key), value in changed.items():
        assert getattr(fresh, kind)(key=key).value == value, f"{key} not restored from {link}"


@pytest.mark.parametrize("entry", BUILT, ids=[p[4] for p in BUILT])
def test_hostile_links_fall_back_to_defaults(app_test, entry):
    path = entry[1]
    keys = [w.key for _, w in keyed_widgets(app_test(path, timeout=180))]
    for i, junk in enumerate(HOSTILE[:4]):
        query = {k: junk for k in keys} | {"presenter": HOSTILE[i + 4]}
        at = app_test(path, query=query, timeout=180)
        assert not at.exception, (junk, [e.value for e in at.exception])
        assert at.title, "the page still renders"


@pytest.mark.parametrize("entry", BUILT, ids=[p[4] for p in BUILT])
def test_presenter_mode_hides_advanced_controls(app_test, entry):
    path = entry[1]
    normal = app_test(path, timeout=180)
    shown = app_test(path, query={"presenter": "1"}, timeout=180)
    assert not shown.exception
    # (AppTest drops app.py's sidebar elements after switch_page, so read the state, not the toggle)
    assert shown.session_state["_keep_presenter"] is True

    def count(at):
        return sum(len(getattr(at.main, k)) for k in (*KINDS, "number_input", "text_input"))

    assert count(shown) <= count(normal)
