"""Where the explorer's data lives, and MNIST as in-memory tensors.

The data directory is `EXPLORER_DATA_DIR` when set, else a per-user cache
folder. MNIST is read with `torchvision.datasets.MNIST` in its usual on-disk
layout (`<data dir>/MNIST/raw`). Missing files are downloaded by
`download_mnist`, which reports progress through a callback (the page shows it)
and, without a network, raises `DataUnavailable` saying exactly what to do.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

# Same files and checksums torchvision uses; duplicated here so that checking
# what is missing needs no torchvision import (which costs a second at start-up).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MNIST_RESOURCES = (
    ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
)
# The training set's statistics, used by the book and by every model here.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

# progress(fraction_done_0_to_1, message)
Progress = Callable[[float, str], None]


class DataUnavailable(RuntimeError):
    """MNIST is not on disk and could not be downloaded; the message says what to do."""


def data_dir() -> Path:
    """The data directory: `EXPLORER_DATA_DIR`, else `~/.cache/pytorch-linear-explorer`."""
    env = os.environ.get("EXPLORER_DATA_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pytorch-linear-explorer"


def mnist_raw_dir(root: Path | None = None) -> Path:
    return Path(root or data_dir()) / "MNIST" / "raw"


def missing_mnist_files(root: Path | None = None) -> list[str]:
    """Names of the uncompressed MNIST files not yet in `<root>/MNIST/raw`."""
    raw = mnist_raw_dir(root)
    names = [name.removesuffix(".gz") for name, _ in MNIST_RESOURCES]
    return [n for n in names if not (raw / n).is_file()]


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch(url: str, dest: Path, progress: Progress, done: float, share: float, timeout: float):
    """Stream `url` to `dest`, reporting progress within [done, done + share]."""
    with urllib.request.urlopen(url, timeout=timeout) as resp, open(dest, "wb") as out:
        total = int(resp.headers.get("Content-Length") or 0)
        got = 0
        while chunk := resp.read(1 << 16):
            out.write(chunk)
            got += len(chunk)
            frac = got / total if total else 0.0
            progress(done + share * min(frac, 1.0), f"Downloading {dest.name}: {got / 1e6:.1f} MB")


def download_mnist(
    root: Path | None = None,
    progress: Progress | None = None,
    *,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    resources: Sequence[tuple[str, str]] = MNIST_RESOURCES,
    timeout: float = 20.0,
) -> Path:
    """Download and unpack whatever MNIST files are missing under `root`.

    Checks each archive's md5 before unpacking. Raises `DataUnavailable` when no
    mirror can be reached, naming the folder and files to copy in by hand.
    """
    progress = progress or (lambda f, m: None)
    raw = mnist_raw_dir(root)
    todo = [(n, md5) for n, md5 in resources if not (raw / n.removesuffix(".gz")).is_file()]
    if not todo:
        progress(1.0, "MNIST is ready")
        return raw
    try:
        raw.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataUnavailable(
            f"Cannot create the data folder {raw}: {err}. "
            "Set EXPLORER_DATA_DIR to a writable folder."
        ) from None
    share = 1.0 / len(todo)
    for i, (name, md5) in enumerate(todo):
        archive = raw / name
        errors = []
        for mirror in mirrors:
            try:
                _fetch(mirror + name, archive, progress, i * share, share, timeout)
                if md5 and _md5(archive) != md5:
                    raise OSError(f"checksum mismatch for {name}")
                break
            except (OSError, urllib.error.URLError, ValueError) as err:
                errors.append(f"{mirror}: {err}")
                archive.unlink(missing_ok=True)
        else:
            raise DataUnavailable(
                f"Could not download MNIST ({name}); this machine seems to be offline.\n"
                f"Either connect to the internet and reload, or copy the four MNIST files "
                f"({', '.join(n.removesuffix('.gz') for n, _ in resources)}) into {raw} "
                f"(or point the EXPLORER_DATA_DIR environment variable at a folder that has "
                f"MNIST/raw inside).\nTried: " + "; ".join(errors)
            )
        with gzip.open(archive, "rb") as src, open(raw / name.removesuffix(".gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)
        archive.unlink(missing_ok=True)
    progress(1.0, "MNIST is ready")
    return raw


@dataclass(frozen=True)
class MnistTensors:
    """All of MNIST in memory, ready for training by slicing.

    `*_x` are float32 images shaped (N, 1, 28, 28), normalised with the
    training set's mean and std; `*_images` the raw uint8 (N, 28, 28) for
    display; `*_y` int64 labels (N,).
    """

    train_x: object
    train_y: object
    test_x: object
    test_y: object
    train_images: object
    test_images: object


def normalise(images) -> torch.Tensor:
    """Images (..., 28, 28) -> float32 (N, 1, 28, 28), normalised like the training data.

    uint8 images are read as 0..255, float ones as ink in [0, 1]: MNIST's files, a canvas's
    preprocessed field and augmented training batches all go through this one function.
    """
    t = torch.as_tensor(images)
    t = t.float() / 255.0 if t.dtype == torch.uint8 else t.to(torch.float32)
    return ((t - MNIST_MEAN) / MNIST_STD).reshape(-1, 1, 28, 28)


def load_mnist(root: Path | None = None, progress: Progress | None = None) -> MnistTensors:
    """Both MNIST splits as tensors (downloading what is missing first).

    Call once per process (the app wraps it in `st.cache_resource`): about
    200 MB of float32, shared read-only by every session.
    """
    root = Path(root or data_dir())
    if missing_mnist_files(root):
        download_mnist(root, progress)
    from torchvision.datasets import MNIST

    train = MNIST(str(root), train=True, download=False)
    test = MNIST(str(root), train=False, download=False)
    return MnistTensors(
        train_x=normalise(train.data),
        train_y=train.targets.long(),
        test_x=normalise(test.data),
        test_y=test.targets.long(),
        train_images=train.data,
        test_images=test.data,
    )
