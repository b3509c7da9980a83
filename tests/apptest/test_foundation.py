"""The foundation: layout, dependency pins, core's independence from streamlit,
start-up lightness.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_layout_exists():
    for name in [
        "app.py",
        "pages",
        "core",
        "assets",
        "requirements.txt",
        "tests",
        "pyproject.toml",
        "uv.lock",
        ".streamlit/config.toml",
        ".ci/run",
        "README.md",
    ]:
        assert (ROOT / name).exists(), name


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_never_imports_streamlit(path):
    bad = _imports(path) & {"streamlit", "streamlit_drawable_canvas"}
    assert not bad, f"{path.name} imports {bad}: core must stay a plain library"


def test_importing_all_of_core_loads_no_streamlit():
    mods = [f"core.{p.stem}" for p in (ROOT / "core").glob("*.py") if p.stem != "__init__"]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in mods)
        + "print([m for m in sys.modules if m.split('.')[0] == 'streamlit'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_torch_and_torchvision_are_a_pinned_pair():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {d.split("==")[0]: d.split("==")[1] for d in deps if "==" in d}
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.2"
    import torch
    import torchvision

    assert torch.__version__.split("+")[0] == pins["torch"]
    assert torchvision.__version__.split("+")[0] == pins["torchvision"]
    from torchvision.datasets import MNIST  # noqa: F401  (must import on a CPU-only machine)


def test_every_dependency_is_pinned():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for dep in data["project"]["dependencies"] + data["dependency-groups"]["dev"]:
        assert "==" in dep, f"{dep} is not pinned"


def test_requirements_txt_is_exported_from_the_lock():
    """requirements.txt must equal `uv export` of uv.lock; regenerate it with the command
    in its header.
    """
    import shutil

    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    fresh = subprocess.run(
        [
            uv,
            "export",
            "--format",
            "requirements-txt",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--frozen",
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def reqs(text: str) -> list[str]:
        return sorted(
            line.strip()
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        )

    assert reqs(fresh) == reqs((ROOT / "requirements.txt").read_text()), (
        "requirements.txt drifted from uv.lock: run "
        "`uv export --format requirements-txt --no-dev --no-hashes --no-emit-project "
        "-o requirements.txt`"
    )


def test_streamlit_config_is_deliberate():
    cfg = tomllib.loads((ROOT / ".streamlit/config.toml").read_text())
    assert cfg["runner"]["postScriptGC"] is False
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["maxUploadSize"] <= 10


def test_home_page_does_not_import_torch():
    """The home page is what every visitor waits for: no torch, no torchvision behind it.

    (plotly is not checked: streamlit itself imports it.)
    """
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=60).run()\n"
        "assert not at.exception, at.exception\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'torch', 'torchvision', 'torchviz'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_home_page_lists_every_topic(app_test):
    at = app_test()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for topic in ["Autograd", "Linear regression", "Logistic regression", "MNIST", "Draw a digit"]:
        assert topic in text
    assert at.title[0].value == "PyTorch Linear Models Explorer"


def test_presenter_mode_from_the_url(app_test):
    at = app_test(query={"presenter": "1"})
    assert not at.exception
    assert at.toggle(key="presenter").value is True
    at = app_test(query={"presenter": "<script>"})
    assert not at.exception
    assert at.toggle(key="presenter").value is False
    assert any("Ignored" in t.value for t in at.toast)
