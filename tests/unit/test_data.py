"""core.mnist.data: the data directory, downloads with progress, the offline message,
in-memory MNIST.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from core.mnist import data

NAMES = [n for n, _ in data.MNIST_RESOURCES]


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EXPLORER_DATA_DIR", str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv("EXPLORER_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.data_dir() == tmp_path / "cache" / "pytorch-linear-explorer"


@pytest.fixture
def mirror(tmp_path):
    """A loopback HTTP server holding tiny gzipped stand-ins for the four MNIST archives."""
    served = tmp_path / "served"
    served.mkdir()
    resources = []
    for i, name in enumerate(NAMES):
        blob = gzip.compress(bytes([i]) * 50_000)
        (served / name).write_bytes(blob)
        resources.append((name, hashlib.md5(blob).hexdigest()))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(served), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/", resources
    server.shutdown()


def test_download_reports_progress_and_unpacks(tmp_path, mirror):
    url, resources = mirror
    seen = []
    raw = data.download_mnist(
        tmp_path / "d", lambda f, m: seen.append((f, m)), mirrors=[url], resources=resources
    )
    assert sorted(p.name for p in raw.iterdir()) == sorted(n.removesuffix(".gz") for n in NAMES)
    assert (raw / "t10k-images-idx3-ubyte").read_bytes() == bytes([2]) * 50_000
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("Downloading train-images" in m for _, m in seen)
    assert data.missing_mnist_files(tmp_path / "d") == []


def test_a_corrupt_download_is_refused(tmp_path, mirror):
    url, resources = mirror
    bad = [(n, "0" * 32) for n, _ in resources]
    with pytest.raises(data.DataUnavailable):
        data.download_mnist(tmp_path / "d", mirrors=[url], resources=bad)
    assert not any((tmp_path / "d" / "MNIST" / "raw").glob("*.gz"))


def test_offline_says_what_to_do(tmp_path):
    dead = "http://127.0.0.1:9/"  # discard port: connection refused at once
    with pytest.raises(data.DataUnavailable) as err:
        data.download_mnist(tmp_path, mirrors=[dead], timeout=2)
    msg = str(err.value)
    assert "offline" in msg and "EXPLORER_DATA_DIR" in msg
    assert str(tmp_path / "MNIST" / "raw") in msg


@pytest.mark.slow
def test_load_mnist_gives_normalised_tensors():
    m = data.load_mnist()
    assert tuple(m.train_x.shape) == (60000, 1, 28, 28) and tuple(m.test_x.shape) == (
        10000,
        1,
        28,
        28,
    )
    assert m.train_y.dtype.is_floating_point is False and int(m.train_y.max()) == 9
    assert abs(float(m.train_x.mean())) < 1e-3 and abs(float(m.train_x.std()) - 1) < 1e-3
    assert m.test_y[:4].tolist() == [7, 2, 1, 0]
    assert Path(data.mnist_raw_dir()).is_dir()
