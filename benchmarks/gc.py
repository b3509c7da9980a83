"""What Streamlit's `runner.postScriptGC` costs here: one full gc.collect() after every rerun.

    uv run python -m benchmarks.gc [--json PATH]

Times gc.collect() in a fresh process with only streamlit imported, then with
everything the explorer's pages load (torch, torchvision, torchviz, plotly,
the three models, MNIST in memory). With the option on, every widget
interaction of every student pays that time once more on the server.
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.common import parser, print_table, write_json

PROBE = """
import gc, json, sys
sys.path.insert(0, '.')
from benchmarks.common import median_seconds
import streamlit
if sys.argv[1] == 'full':
    import torch, torchvision, torchviz, plotly.graph_objects
    from core.mnist.models import ModelSpec, build_model
    from core.mnist.data import load_mnist
    models = [
        build_model(ModelSpec(k, hidden=(128,) if k == 'mlp' else ()))
        for k in ('linear', 'mlp', 'cnn')
    ]
    data = load_mnist()
    figs = [
        plotly.graph_objects.Figure(plotly.graph_objects.Scatter(y=list(range(1000))))
        for _ in range(20)
    ]
print(json.dumps(
    {"objects": len(gc.get_objects()), "seconds": median_seconds(gc.collect, repeats=15)}
))
"""


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rows = []
    for case in ("streamlit only", "full"):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, "full" if case == "full" else "bare"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        rows.append(
            {"process": case, "tracked_objects": r["objects"], "gc_collect_ms": r["seconds"] * 1000}
        )
    print_table(
        rows, "Cost of one full gc.collect() (what runner.postScriptGC adds to every rerun)"
    )
    write_json(args.json, {"rows": rows})


if __name__ == "__main__":
    main()
