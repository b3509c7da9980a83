"""Hardening: nothing evaluates user text or unpickles untrusted data, XSRF stays on."""

from __future__ import annotations

import ast
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    p
    for d in ("app.py", "core", "pages", "scripts", "benchmarks")
    for p in ([ROOT / d] if d.endswith(".py") else (ROOT / d).rglob("*.py"))
)


def calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            # owner: "" for a bare call like eval(...), the module name for pickle.load(...),
            # None for method calls on anything else (model.eval() is fine).
            owner = (
                ""
                if isinstance(f, ast.Name)
                else (
                    f.value.id
                    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    else None
                )
            )
            yield node, owner, name


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_eval_exec_or_unpickling(path):
    for node, owner, name in calls(path):
        assert name not in {"eval", "exec", "compile", "__import__"} or owner not in {
            "",
            "builtins",
        }, f"{path.name}:{node.lineno} calls {name}"
        assert not (
            owner in {"pickle", "marshal", "dill", "cloudpickle"} and name.startswith("load")
        ), f"{path.name}:{node.lineno} unpickles"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_torch_load_is_weights_only(path):
    for node, owner, name in calls(path):
        if owner == "torch" and name == "load":
            kw = {k.arg: k.value for k in node.keywords}
            assert (
                isinstance(kw.get("weights_only"), ast.Constant)
                and kw["weights_only"].value is True
            ), f"{path.name}:{node.lineno}: torch.load without weights_only=True"


def test_sources_were_found():
    assert any(p.name == "models.py" for p in SOURCES) and any(p.name == "app.py" for p in SOURCES)


def test_xsrf_protection_is_on_in_the_effective_config():
    out = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [ln.strip() for ln in out.splitlines() if ln.strip().startswith("enableXsrfProtection")]
    assert lines == ["enableXsrfProtection = true"]


@pytest.mark.slow
def test_running_server_hands_out_an_xsrf_cookie(streamlit_server, page):
    """With XSRF on, the browser gets a _streamlit_xsrf cookie that uploads must echo back."""
    from tests.support import browser

    browser.open_page(page, streamlit_server)
    names = [c["name"] for c in page.context.cookies()]
    assert "_streamlit_xsrf" in names
    req = urllib.request.Request(
        streamlit_server + "/_stcore/upload_file/x/y", method="PUT", data=b"x"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code in (400, 403)
