"""Shared helpers for the MNIST tests: the data loaded once per test process, and small subsets."""

from __future__ import annotations

import builtins
import pickle
from functools import lru_cache

import torch


@lru_cache(maxsize=1)
def mnist():
    """All of MNIST (`core.mnist.data.MnistTensors`), loaded once per pytest process.

    Goes through the app's own `st.cache_resource` loader, so AppTests in the
    same process reuse these tensors instead of loading MNIST a second time.
    """
    from ui.shared import _mnist_cached

    return _mnist_cached()


def subset(n_train: int, n_test: int, seed: int = 0):
    """(train_x, train_y, test_x, test_y): seeded random subsets of the training and test sets."""
    d = mnist()
    g = torch.Generator().manual_seed(seed)
    tr = torch.randperm(len(d.train_y), generator=g)[:n_train]
    te = torch.randperm(len(d.test_y), generator=g)[:n_test]
    return d.train_x[tr], d.train_y[tr], d.test_x[te], d.test_y[te]


class FileCreatingPayload:
    """Unpickling this would open (and so create) `path`: a stand-in for malicious code."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (builtins.open, (self.path, "w"))


def malicious_files(path) -> dict[str, bytes]:
    """Model-looking files whose loading would create `path`, in both pickle flavours."""
    import io

    payload = {
        "format": "pytorch-linear-explorer/model-v1",
        "spec": {"kind": "linear"},
        "state_dict": FileCreatingPayload(str(path)),
        "meta": {},
    }
    buf = io.BytesIO()
    torch.save(payload, buf)  # torch's zip container with a data.pkl inside
    return {
        "torch.save": buf.getvalue(),
        "raw pickle": pickle.dumps(FileCreatingPayload(str(path))),
    }
