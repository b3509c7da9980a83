"""The three MNIST classifiers, their descriptions, and safe (de)serialisation.

Every model takes a batch of normalised images shaped (N, 1, 28, 28) and
returns logits shaped (N, 10). A `ModelSpec` is the architecture as plain data:
it travels with the weights in a saved file so an upload can be rebuilt and
checked before any weight is trusted.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

FORMAT = "pytorch-linear-explorer/model-v1"
KINDS = ("linear", "mlp", "cnn")
ASSETS = Path(__file__).resolve().parents[2] / "assets" / "models"  # core/mnist/ -> the repository
MAX_HIDDEN_UNITS = 1024
MAX_HIDDEN_LAYERS = 3
MAX_FILE_BYTES = 20 * 1024 * 1024
# An MLP trains long from this many weights on (the CNN always does): 1M weights is about
# 6 GFLOP per 1,000 training images. Long trainings share fewer scheduler slots.
HEAVY_PARAMETERS = 1_000_000


class ModelFileError(ValueError):
    """A model file or description that cannot be used; the message says why."""


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of one classifier: `kind` plus the sizes that kind uses."""

    kind: str = "linear"  # "linear" | "mlp" | "cnn"
    hidden: tuple[int, ...] = ()  # mlp: units per hidden layer
    channels: tuple[int, int] = (16, 32)  # cnn: filters in conv1, conv2
    fc: int = 64  # cnn: units in the hidden fully connected layer

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        self.validate()

    def validate(self) -> None:
        """Raise `ModelFileError` unless the sizes are ones this app will build."""
        if self.kind not in KINDS:
            raise ModelFileError(f"unknown model kind {self.kind!r}; expected one of {KINDS}")
        if self.kind == "mlp":
            if not 1 <= len(self.hidden) <= MAX_HIDDEN_LAYERS:
                raise ModelFileError(f"an MLP needs 1 to {MAX_HIDDEN_LAYERS} hidden layers")
            if any(not 1 <= h <= MAX_HIDDEN_UNITS for h in self.hidden):
                raise ModelFileError(f"hidden layers must have 1 to {MAX_HIDDEN_UNITS} units")
        if self.kind == "cnn":
            if len(self.channels) != 2 or any(not 1 <= c <= 128 for c in self.channels):
                raise ModelFileError("a CNN needs two conv layers of 1 to 128 filters")
            if not 1 <= self.fc <= MAX_HIDDEN_UNITS:
                raise ModelFileError(
                    f"the CNN's dense layer must have 1 to {MAX_HIDDEN_UNITS} units"
                )

    @property
    def heavy(self) -> bool:
        """Whether training this model holds a core for long (`core.scheduler`'s heavy slots)."""
        if self.kind == "cnn":
            return True
        if self.kind == "mlp":
            sizes = (28 * 28, *self.hidden, 10)
            weights = sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))
            return weights >= HEAVY_PARAMETERS
        return False

    def describe(self) -> str:
        """A one-line human description, e.g. 'MLP 784-128-10'."""
        if self.kind == "linear":
            return "Softmax regression 784-10"
        if self.kind == "mlp":
            return "MLP 784-" + "-".join(map(str, self.hidden)) + "-10"
        c1, c2 = self.channels
        return f"CNN conv{c1}-conv{c2}-fc{self.fc}-10"

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: object) -> ModelSpec:
        """Rebuild a spec from untrusted data, refusing anything unexpected before building.

        Every field must have exactly the expected type (whole numbers as `int`, not
        floats, booleans or strings) and lie within this app's bounds, so a file cannot
        ask for an infinite, negative or enormous layer.
        """
        if not isinstance(d, dict):
            raise ModelFileError("the architecture description is not a mapping")
        if not all(isinstance(k, str) for k in d):
            raise ModelFileError("the architecture description has a field that is not named")
        unknown = set(d) - {"kind", "hidden", "channels", "fc"}
        if unknown:
            raise ModelFileError(f"unexpected architecture fields: {sorted(unknown)[:5]}")
        kind = d.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            raise ModelFileError(f"unknown model kind; expected one of {KINDS}")
        hidden = _sizes(d.get("hidden", ()), "hidden", MAX_HIDDEN_LAYERS)
        channels = _sizes(d.get("channels", (16, 32)), "channels", 2)
        fc = d.get("fc", 64)
        if not _whole(fc):
            raise ModelFileError("the architecture's 'fc' must be a whole number")
        return cls(kind=kind, hidden=hidden, channels=channels, fc=fc)


def _whole(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _sizes(value: object, field_name: str, most: int) -> tuple[int, ...]:
    """A short list of whole numbers from untrusted data (bounds are checked by `validate`)."""
    if not isinstance(value, (list, tuple)) or len(value) > most:
        raise ModelFileError(
            f"the architecture's {field_name!r} must be a list of at most {most} whole numbers"
        )
    if not all(_whole(v) for v in value):
        raise ModelFileError(f"the architecture's {field_name!r} must hold whole numbers only")
    return tuple(value)


class SoftmaxRegression(nn.Module):
    """The chapter's model: 784 pixels -> one linear layer -> 10 logits."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(28 * 28, 10)

    def forward(self, x):  # x: (N, 1, 28, 28)
        return self.linear(x.flatten(1))  # (N, 10)


class MLP(nn.Module):
    """784 -> hidden layers with ReLU -> 10 logits."""

    def __init__(self, hidden: tuple[int, ...]):
        super().__init__()
        sizes = (28 * 28, *hidden)
        layers: list[nn.Module] = []
        for a, b in zip(sizes, sizes[1:], strict=False):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], 10))
        self.net = nn.Sequential(*layers)

    def forward(self, x):  # x: (N, 1, 28, 28)
        return self.net(x.flatten(1))  # (N, 10)


class SmallCNN(nn.Module):
    """Two 3x3 conv + max-pool blocks, then a small dense head: cheap on 2 CPU cores."""

    def __init__(self, channels: tuple[int, int] = (16, 32), fc: int = 64):
        super().__init__()
        c1, c2 = channels
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)  # (N, c1, 28, 28) -> pool -> 14x14
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)  # (N, c2, 14, 14) -> pool -> 7x7
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(c2 * 7 * 7, fc)
        self.fc2 = nn.Linear(fc, 10)
        self.dropout = nn.Dropout(0.25)

    def forward(self, x):  # x: (N, 1, 28, 28)
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = self.dropout(torch.relu(self.fc1(x.flatten(1))))
        return self.fc2(x)  # (N, 10)


def build_model(spec: ModelSpec) -> nn.Module:
    """A freshly initialised model of architecture `spec`."""
    if spec.kind == "linear":
        return SoftmaxRegression()
    if spec.kind == "mlp":
        return MLP(spec.hidden)
    return SmallCNN(spec.channels, spec.fc)


@dataclass
class SavedModel:
    """A model together with its architecture and free-form metadata."""

    model: nn.Module
    spec: ModelSpec
    meta: dict = field(default_factory=dict)


def save_model(model: nn.Module, spec: ModelSpec, meta: dict | None = None) -> bytes:
    """Serialise weights + architecture (+ metadata of plain values) to bytes."""
    payload = {
        "format": FORMAT,
        "spec": spec.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    return buf.getvalue()


def load_model(data: bytes) -> SavedModel:
    """Rebuild a model from untrusted bytes, or raise `ModelFileError` saying why.

    Uses `torch.load(weights_only=True)`, which refuses pickled code, then checks the
    format tag and the architecture (`ModelSpec.from_dict`) before building anything, and
    every weight's name, layout (dense), type (floating point), shape and values (finite)
    before loading it. Metadata keeps plain values only (`clean_meta`).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise ModelFileError("the upload is not a file")
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        payload = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as err:  # noqa: BLE001 - any failure means "not our file"
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise ModelFileError(f"not a model file this app can read safely ({reason})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError("not a model saved by this explorer (missing format tag)")
    spec = ModelSpec.from_dict(payload.get("spec"))
    state = payload.get("state_dict")
    if not isinstance(state, dict) or not state:
        raise ModelFileError("the file holds no usable weights")
    if not all(isinstance(k, str) for k in state):
        raise ModelFileError("the file's weights are not named")
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError("the file holds no usable weights")
    model = build_model(spec)
    expected = model.state_dict()
    if set(state) != set(expected):
        raise ModelFileError(
            f"the weights do not match a {spec.describe()} "
            f"(missing {sorted(set(expected) - set(state))[:3]}, "
            f"extra {sorted(set(state) - set(expected))[:3]})"
        )
    for name, tensor in state.items():
        _check_weight(name, tensor, tuple(expected[name].shape))
    model.load_state_dict(state)
    model.eval()
    return SavedModel(model, spec, clean_meta(payload.get("meta")))


def _check_weight(name: str, tensor: torch.Tensor, shape: tuple[int, ...]) -> None:
    """Refuse a weight that is not a dense, finite, floating-point tensor of `shape`."""
    if tensor.layout != torch.strided or tensor.is_quantized or tensor.is_nested:
        raise ModelFileError(f"weight {name!r} is not a dense tensor ({tensor.layout})")
    if tensor.device.type != "cpu" or tensor.is_meta:
        raise ModelFileError(f"weight {name!r} holds no data")
    if tensor.dtype not in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        raise ModelFileError(f"weight {name!r} is {tensor.dtype}, not floating point")
    if tuple(tensor.shape) != shape:
        raise ModelFileError(f"weight {name!r} has shape {tuple(tensor.shape)}, expected {shape}")
    if not torch.isfinite(tensor).all():
        raise ModelFileError(f"weight {name!r} contains NaN or infinity")


MAX_META_ITEMS = 200
MAX_META_TEXT = 1000


def clean_meta(meta: object, depth: int = 0) -> dict:
    """The plain values of an untrusted metadata mapping: str keys; numbers, text, lists, dicts.

    Anything else (tensors, huge text, deep nesting) is dropped: metadata is descriptive
    only, and an upload must not make the server hold or show more than that.
    """
    if not isinstance(meta, dict) or depth > 3:
        return {}
    clean: dict = {}
    for key, value in list(meta.items())[:MAX_META_ITEMS]:
        if isinstance(key, str) and len(key) <= 100:
            kept = _plain(value, depth)
            if kept is not _DROP:
                clean[key] = kept
    return clean


_DROP = object()


def _plain(value: object, depth: int):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else _DROP
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_META_TEXT else _DROP
    if isinstance(value, (list, tuple)) and depth < 3:
        items = [_plain(v, depth + 1) for v in list(value)[:MAX_META_ITEMS]]
        return [v for v in items if v is not _DROP]
    if isinstance(value, dict):
        return clean_meta(value, depth + 1)
    return _DROP


def pretrained_path(name: str) -> Path:
    return ASSETS / f"{name}.pt"


def load_pretrained_saved(name: str) -> SavedModel:
    """The shipped model `name` ("linear", "mlp", "cnn") with its metadata."""
    if name not in KINDS:
        raise ModelFileError(f"no shipped model called {name!r}; choose one of {KINDS}")
    path = pretrained_path(name)
    if not path.exists():
        raise ModelFileError(f"{path} is missing: run `uv run python -m scripts.train_pretrained`")
    return load_model(path.read_bytes())


def load_pretrained(name: str) -> nn.Module:
    """The shipped, trained model `name` ("linear", "mlp" or "cnn") in eval mode."""
    return load_pretrained_saved(name).model
