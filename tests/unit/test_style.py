"""The code style the project holds itself to: ruff's lint rules (E501 at 100) and its format."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_check_passes():
    result = ruff("check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_check_passes():
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_long_lines_are_checked():
    """E501 is enforced at the project's line length, not ignored."""
    config = (ROOT / "pyproject.toml").read_text()
    assert "line-length = 100" in config and '"E501"' not in config
