"""Autograd: a safe expression language over named tensors, its computational graph, lessons.

Two small languages, both parsed with `ast` and walked by this package; Python never runs them
(no `eval`, no `exec`, no `getattr` with a name the user wrote).

**Leaves**, one tensor per line, written the way PyTorch writes it::

    x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], dtype=torch.float, requires_grad=True)
    w = torch.randn(3, 2, seed=0, requires_grad=True)
    t = torch.randint(0, 4, (2,), seed=1)

Constructors: `tensor`, `randn`, `rand`, `randint`, `zeros`, `ones` (the `torch.` prefix is
optional); keywords `requires_grad`, `dtype` (float/float32/float64/double/long/int64) and
`seed=`, this page's shorthand for `torch.manual_seed(seed)` on the line before.

**Program**, assignments over those names, one per line; the last line is the output::

    y = x + 2
    z = y * y * 3
    out = z.mean()

Allowed: the operators `+ - * / ** @`, unary minus, parentheses; the functions in `OPS`
(written `exp(x)`, `torch.exp(x)`, `F.softmax(x, dim=1)` where PyTorch has them) and their
method forms (`x.exp()`, `x.sum(dim=0)`, `x.detach()`); `x.T`; indexing with constant integers
and slices. Nothing else: no other attribute, no name beyond the leaves and earlier
assignments, text in quotes only as a loss's `reduction`.

Limits keep one request cheap on a shared server: `MAX_SOURCE_CHARS`, `MAX_AST_NODES`,
`MAX_OPERATIONS`, `MAX_DEPTH`, `MAX_ELEMENTS` per tensor (checked *before* an operation runs),
`MAX_EXPONENT` for constant exponents, `MAX_CONSTANT` for numbers.

Every refusal -- syntax, unknown name, forbidden attribute, shape mismatch, a limit, a NaN or
infinite result -- is one exception type, `ExpressionError`, carrying the line, the column and
the reason.

The language, one idea a module: `source` (limits, positions, `ExpressionError`), `ops` (the
whitelisted operations), `leaves` (the leaf language), `evaluate` (records of what ran),
`compiler` (one program line to calls of whitelisted operations), `program` (a whole program).
Beside it: `graph` (the computational graph and the backward trace), `gradcheck`, `code`
(the PyTorch code a program corresponds to), `lessons` and `scenarios` (the page's examples).
"""
