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


def equation_latex(model: PlaygroundNet, class_names: tuple[str, ...] = ()) -> list[str]:
    """The model with its current weights, as LaTeX lines (the last line gives p)."""
    names = [FEATURE_LATEX[f] for f in feature_names(model.features)]
    out = model.output
    hidden = model.hidden_layer
    lines = []
    if hidden is not None:
        act = type(model.net[1]).__name__.lower()
        h, f = hidden.weight.shape
        lines.append(rf"\varphi = [{', '.join(names)}]")
        lines.append(
            rf"h = \operatorname{{{act}}}(W_1 \varphi + b_1),\quad "
            rf"W_1 \in \mathbb{{R}}^{{{h}\times{f}}}"
        )
        names = [f"h_{{{j + 1}}}" for j in range(h)]
    w, b = out.weight.detach(), out.bias.detach()
    if len(names) > 8:  # too many terms to read: show the structure and the size
        lines.append(rf"z = v^\top h + c,\quad \lVert v \rVert = {w.norm():.2f}")
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
