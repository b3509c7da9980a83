"""core.mnist.models: architectures, save/load round trips, and refusal of anything untrusted."""

from __future__ import annotations

import io
import pickle

import pytest
import torch

from core.mnist import models
from core.mnist.models import ModelFileError, ModelSpec

SPECS = [ModelSpec("linear"), ModelSpec("mlp", hidden=(32, 16)), ModelSpec("cnn")]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_every_model_maps_images_to_ten_logits(spec):
    out = models.build_model(spec)(torch.zeros(5, 1, 28, 28))
    assert tuple(out.shape) == (5, 10)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_save_load_round_trip_is_exact(spec):
    torch.manual_seed(0)
    model = models.build_model(spec).eval()
    x = torch.randn(8, 1, 28, 28)
    saved = models.load_model(models.save_model(model, spec, {"test_accuracy": 0.5}))
    assert saved.spec == spec and saved.meta == {"test_accuracy": 0.5}
    assert torch.equal(saved.model(x), model(x))


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "transformer"},
        {"kind": "mlp", "hidden": []},
        {"kind": "mlp", "hidden": [10**6]},
        {"kind": "cnn", "channels": [0, 4]},
        {"kind": "linear", "extra": 1},
        "linear",
        None,
    ],
)
def test_bad_architectures_are_refused(bad):
    with pytest.raises(ModelFileError):
        ModelSpec.from_dict(bad)


class Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_with_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save(
        {"format": models.FORMAT, "spec": {"kind": "linear"}, "state_dict": Payload(str(marker))},
        buf,
    )
    with pytest.raises(ModelFileError, match="safely"):
        models.load_model(buf.getvalue())
    assert not marker.exists()
    with pytest.raises(ModelFileError):
        models.load_model(pickle.dumps(Payload(str(marker))))
    assert not marker.exists()


def test_foreign_and_mismatched_files_are_refused():
    with pytest.raises(ModelFileError):
        models.load_model(b"this is not a model at all")
    with pytest.raises(ModelFileError):
        models.load_model(b"")
    buf = io.BytesIO()
    torch.save(models.build_model(SPECS[0]).state_dict(), buf)  # a bare state dict: no format tag
    with pytest.raises(ModelFileError, match="format"):
        models.load_model(buf.getvalue())
    lin = models.build_model(SPECS[0])
    wrong = models.save_model(
        lin, ModelSpec("mlp", hidden=(32,))
    )  # weights of another architecture
    with pytest.raises(ModelFileError, match="do not match"):
        models.load_model(wrong)
    blob = models.save_model(lin, SPECS[0])
    payload = torch.load(io.BytesIO(blob), weights_only=True)
    payload["state_dict"]["linear.weight"] = torch.zeros(10, 100)
    buf = io.BytesIO()
    torch.save(payload, buf)
    with pytest.raises(ModelFileError, match="shape"):
        models.load_model(buf.getvalue())
    payload["state_dict"]["linear.weight"] = torch.full((10, 784), float("nan"))
    buf = io.BytesIO()
    torch.save(payload, buf)
    with pytest.raises(ModelFileError, match="NaN"):
        models.load_model(buf.getvalue())


def test_unknown_pretrained_name_is_refused():
    with pytest.raises(ModelFileError):
        models.load_pretrained("resnet")
