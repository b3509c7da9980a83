"""The model as an equation, in LaTeX for the page."""

from __future__ import annotations

from core.logreg.model import FEATURE_LATEX, PlaygroundNet, feature_names

TERMS_PER_LINE = 3  # fits half the page, even in presenter mode; longer sums wrap (KaTeX "aligned")


def _linear_combination(lead: str, weights, names: list[str], bias: float) -> str:
    """'lead = 1.20\\,x_1 - 0.35\\,x_2 + 0.10', wrapped every TERMS_PER_LINE terms."""
    terms = [(float(w), f"\\,{name}") for w, name in zip(weights, names, strict=True)]
    terms.append((float(bias), ""))
    pieces = [
        f"{'-' if v < 0 else ''}{abs(v):.2f}{n}"
        if i == 0
        else f"{'-' if v < 0 else '+'} {abs(v):.2f}{n}"
        for i, (v, n) in enumerate(terms)
    ]
    per_row = (
        len(pieces) if len(pieces) <= TERMS_PER_LINE + 1 else TERMS_PER_LINE
    )  # no lone bias row
    rows = [" ".join(pieces[i : i + per_row]) for i in range(0, len(pieces), per_row)]
    if len(rows) == 1:
        return f"{lead} = {rows[0]}"
    rest = "".join(rf" \\ &\quad {row}" for row in rows[1:])
    return rf"\begin{{aligned}} {lead} &= {rows[0]}{rest} \end{{aligned}}"


ACTIVATION_LATEX = {
    "tanh": r"\tanh",
    "relu": r"\operatorname{relu}",
    "sigmoid": r"\sigma",
    "linear": "",  # no activation: the layer is its linear map alone
}


def _h(layer: int, n_layers: int) -> str:
    """The name of hidden layer `layer` (from 1): plain h in a one-layer net, h^(l) deeper."""
    return "h" if n_layers == 1 else f"h^{{({layer})}}"


def _hidden_lines(model: PlaygroundNet, names: list[str]) -> tuple[list[str], list[str]]:
    """One line per hidden layer, h = act(W h_prev + b) with W's shape; the last layer's unit
    names. One layer keeps the plain names h, h_j; deeper nets number them h^(l)."""
    layers = model.hidden_layers
    act = ACTIVATION_LATEX[model.activation]
    lines = [rf"\varphi = [{', '.join(names)}]"]
    previous = r"\varphi"
    for i, layer in enumerate(layers, start=1):
        h = _h(i, len(layers))
        n, m = layer.weight.shape
        inner = f"W_{i} {previous} + b_{i}"
        value = rf"{act}({inner})" if act else inner
        lines.append(rf"{h} = {value},\quad W_{i} \in \mathbb{{R}}^{{{n}\times{m}}}")
        previous = h
    units = [f"{previous}_{{{j + 1}}}" for j in range(layers[-1].out_features)]
    return lines, units


def equation_latex(model: PlaygroundNet, class_names: tuple[str, ...] = ()) -> list[str]:
    """The model with its current weights, as LaTeX lines (the last line gives p)."""
    names = [FEATURE_LATEX[f] for f in feature_names(model.features)]
    out = model.output
    lines = []
    depth = len(model.hidden_layers)
    if depth:
        lines, names = _hidden_lines(model, names)
    w, b = out.weight.detach(), out.bias.detach()
    if len(names) > 8:  # too many terms to read: show the structure and the size
        lines.append(rf"z = v^\top {_h(depth, depth)} + c,\quad \lVert v \rVert = {w.norm():.2f}")
    elif model.binary:
        lines.append(_linear_combination("z", w[0], names, float(b[0])))
    else:
        for k in range(w.shape[0]):
            label = class_names[k] if k < len(class_names) else str(k)
            lines.append(_linear_combination(rf"z_{{\text{{{label}}}}}", w[k], names, float(b[k])))
    if model.binary:
        lines.append(r"p(y = 1 \mid x) = \sigma(z) = \dfrac{1}{1 + e^{-z}}")
    else:
        lines.append(r"p(y = k \mid x) = \operatorname{softmax}(z)_k")
    return lines
