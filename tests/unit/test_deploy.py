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
    for part in ["app.py", "core", "pages", "assets", ".streamlit"]:
        assert f"COPY {part}" in docker
