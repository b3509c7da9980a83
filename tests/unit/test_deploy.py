"""Deployment files stay consistent with the lock (Docker itself is not available in CI)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_cpu_filter_keeps_every_non_gpu_requirement():
    docker = (ROOT / "Dockerfile").read_text()
    pattern = re.search(r"grep -v -E '([^']+)'", docker).group(1)
    reqs = [
        ln.split("==")[0]
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln and ln[0].isalpha()
    ]
    kept = [r for r in reqs if not re.match(pattern, r + "==")]
    for needed in [
        "streamlit",
        "plotly",
        "torchviz",
        "graphviz",
        "streamlit-drawable-canvas",
        "numpy",
        "pillow",
    ]:
        assert needed in kept, needed
    assert not any(
        r.startswith(("nvidia-", "triton", "cuda-")) or r in ("torch", "torchvision") for r in kept
    )
    pins = re.search(r"torch==(\S+) torchvision==(\S+)", docker).groups()
    text = (ROOT / "requirements.txt").read_text()
    assert f"torch=={pins[0]}" in text and f"torchvision=={pins[1]}" in text


def test_dockerfile_ships_what_the_app_needs():
    docker = (ROOT / "Dockerfile").read_text()
    for part in ["app.py", "core", "ui", "pages", "assets", ".streamlit"]:
        assert f"COPY {part}" in docker


def test_dockerfile_ships_every_package_the_app_imports():
    """Every first-party package that app.py, the pages, ui and core import is copied in."""
    import ast

    ours = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    used = set()
    for path in [
        ROOT / "app.py",
        *[p for d in ("pages", "ui", "core") for p in (ROOT / d).rglob("*.py")],
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                used.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                used |= {a.name.split(".")[0] for a in node.names}
    docker = (ROOT / "Dockerfile").read_text()
    assert sorted(p for p in used & ours if f"COPY {p} {p}" not in docker) == []
