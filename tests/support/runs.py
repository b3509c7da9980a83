"""Helpers the lab tests share: a linear-regression run advanced some steps, and running
exported scripts in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core import linreg


def lab_run(data, degree: int, standardise: bool, steps: int, **kw) -> linreg.LabRun:
    """A `LabRun` on `data` after `steps` updates; `kw` goes to both trainers' configs."""
    opt = kw.pop("optimizer", "sgd")
    run = linreg.LabRun(
        linreg.make_problem(data, degree, standardise),
        linreg.HandConfig(**kw),
        linreg.TorchConfig(**kw, optimizer=opt),
    )
    run.advance(steps)
    return run


def run_scripts(paths: list[Path], cwd: Path) -> subprocess.CompletedProcess:
    """Run each script as __main__ in one interpreter (torch imported once, not per script),
    from `cwd`, which is not the repository: the scripts must not need this project."""
    runner = "import runpy, sys\nfor p in sys.argv[1:]:\n    runpy.run_path(p, run_name='__main__')"
    return subprocess.run(
        [sys.executable, "-c", runner, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
