"""Every primitive, one table: forward vs NumPy, float64 gradcheck, and values and grads vs PyTorch.

A row is (op, fn, inputs): `fn` runs on our Tensors and, unless a row gives its own, on NumPy
arrays and torch tensors too. Every registered op must have a row, or name the file testing it.
"""
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, gradcheck
from tinygrad_bn import functional as F
from tinygrad_bn.engine.ops import OPS

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)
TESTED_ELSEWHERE = {            # ops whose tests live in their own file, and that file
    "conv2d": "tests/test_conv.py",
    "max_pool2d": "tests/test_conv.py",
    "avg_pool2d": "tests/test_conv.py",
    "conv_transpose2d": "tests/test_conv.py",
    "batch_norm": "tests/test_batchnorm.py",
}


def th():
    """The torch module; only the cross-check test calls torch rows, after its fixture skipped or not."""
    import torch
    return torch


def th_float64():
    """torch.float64, or None before torch is needed (rows are built without importing torch)."""
    try:
        return th().float64
    except ImportError:
        return None


@dataclass
class Row:
    op: str
    id: str
    fn: object               # Tensors -> Tensor
    inputs: list             # float64 arrays, each becomes a Tensor with requires_grad=True
    np_fn: object = None     # arrays -> array; defaults to fn
    torch_fn: object = None  # torch tensors -> tensor; defaults to fn
    smooth: bool = True      # False at kinks and ties: central differences cannot check those

    def __str__(self):
        return f"{self.op}-{self.id}"


def N(*shape):
    """Standard normal values."""
    return RNG.standard_normal(shape)


def P(*shape):
    """Values in [0.5, 2]: inside the domain of log, sqrt, reciprocal and divisors."""
    return RNG.uniform(0.5, 2.0, shape)


def A(values):
    """Literal values, for ties and kinks."""
    return np.array(values, dtype=np.float64)


def M(method, *args, **kwargs):
    """x.method(*args, **kwargs): the same call on a Tensor and a torch tensor."""
    return lambda x: getattr(x, method)(*args, **kwargs)


ROWS = []


def row(op, id, fn, *inputs, np_fn=None, torch_fn=None, smooth=True):
    ROWS.append(Row(op, id, fn, list(inputs), np_fn or fn, torch_fn or fn, smooth))


# --- elementwise, binary: broadcasting, 0-d, 1-d and 4-d ------------------------------------------
BINARY_SHAPES = {"same": [(3, 4), (3, 4)], "row": [(3, 4), (4,)], "col-row": [(3, 1), (1, 4)],
                 "0d": [(), (3,)], "4d": [(2, 1, 3, 2), (4, 1, 2)], "scalars": [(), ()]}
for op, fn in {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
               "mul": lambda a, b: a * b}.items():
    for id, (sa, sb) in BINARY_SHAPES.items():
        row(op, id, fn, N(*sa), N(*sb))
for id, (sa, sb) in BINARY_SHAPES.items():
    row("div", id, lambda a, b: a / b, N(*sa), P(*sb))
row("add", "x+x", lambda a: a + a, N(3))
row("mul", "x*x", lambda a: a * a, N(2, 3))
row("sub", "1-x", lambda a: 1 - a, N(3))
row("div", "2/x", lambda a: 2 / a, P(2, 3))
row("add", "x+array", lambda a: a + np.arange(4.0), N(3, 4),
    torch_fn=lambda a: a + th().arange(4.0, dtype=th().float64))
for op, pick in {"maximum": np.maximum, "minimum": np.minimum}.items():
    torch_pick = lambda a, b, op=op: getattr(th(), op)(a, b)
    tg_pick = lambda a, b, op=op: getattr(tg, op)(a, b)
    row(op, "broadcast", tg_pick, N(3, 4), N(4), np_fn=pick, torch_fn=torch_pick)
    row(op, "4d", tg_pick, N(2, 1, 2, 3), N(3, 1, 1), np_fn=pick, torch_fn=torch_pick)
    row(op, "ties", tg_pick, A([1.0, 2.0, -1.0, 0.0]), A([1.0, 0.5, -1.0, 0.0]),
        np_fn=pick, torch_fn=torch_pick, smooth=False)
    row(op, "method", M(op, 0.25), N(5), np_fn=lambda x, pick=pick: pick(x, 0.25),
        torch_fn=lambda x, op=op: getattr(th(), op)(x, th().tensor(0.25, dtype=th().float64)))

# --- elementwise, unary ------------------------------------------------------------------------
UNARY = {  # op: (NumPy reference, torch method, domain)
    "neg": (np.negative, "neg", N), "square": (np.square, "square", N),
    "sqrt": (np.sqrt, "sqrt", P), "reciprocal": (np.reciprocal, "reciprocal", P),
    "exp": (np.exp, "exp", N), "log": (np.log, "log", P), "relu": (lambda x: np.maximum(x, 0), "relu", N),
    "tanh": (np.tanh, "tanh", N), "sigmoid": (lambda x: np.exp(-np.logaddexp(0, -x)), "sigmoid", N),
    "abs": (np.abs, "abs", N),
}
for op, (ref, method, domain) in UNARY.items():
    tg_method = M("__neg__") if op == "neg" else M(op)
    for id, shape in {"0d": (), "1d": (5,), "4d": (2, 3, 1, 2)}.items():
        row(op, id, tg_method, domain(*shape), np_fn=ref, torch_fn=M(method))
for op in ("relu", "abs"):
    ref, method, _ = UNARY[op]
    row(op, "zeros", M(op), A([-1.0, 0.0, 0.0, 2.0]), np_fn=ref, torch_fn=M(method), smooth=False)
row("sigmoid", "large", M("sigmoid"), A([-800.0, -30.0, 30.0, 800.0]), np_fn=UNARY["sigmoid"][0],
    torch_fn=M("sigmoid"), smooth=False)   # finite where exp(-x) overflows; grads underflow to 0
for exponent, domain in ((3, N), (2.0, N), (0.5, P), (-1.5, P), (1, N), (0, N)):
    row("pow", f"exp{exponent}", lambda x, e=exponent: x ** e, domain(2, 3))
row("pow", "0d", lambda x: x ** 3, N())
row("pow", "0**0", lambda x: x ** 0, A([0.0, 1.0]), smooth=False)
row("pow", "tensor**tensor", lambda a, b: a ** b, P(3, 4), N(3, 4))
row("pow", "broadcast", lambda a, b: a ** b, P(3, 1), N(2, 1, 4))
row("pow", "number**tensor", lambda x: 2.0 ** x, N(2, 3))
row("pow", "0**tensor", lambda x: 0.0 ** x, A([0.0, 1.0, 2.0, 0.5]), smooth=False)
row("pow", "negative**tensor", lambda x: (-2.0) ** x, A([2.0, 3.0, 0.0]), smooth=False)
row("pow", "zero-bases", lambda a, b: a ** b, A([0.0, 0.0, 0.0, 2.0, -2.0, -2.0]),
    A([0.0, 1.0, 2.0, 0.0, 2.0, 3.0]), smooth=False)
row("clip", "both", M("clip", -0.5, 0.5), N(3, 4), np_fn=lambda x: np.clip(x, -0.5, 0.5),
    torch_fn=M("clamp", -0.5, 0.5))
row("clip", "min", M("clip", min=0.1), N(2, 1, 3, 2), np_fn=lambda x: np.clip(x, 0.1, None),
    torch_fn=M("clamp", min=0.1))
row("clip", "max", M("clip", max=0.1), N(5), np_fn=lambda x: np.clip(x, None, 0.1),
    torch_fn=M("clamp", max=0.1))
row("clip", "ends", M("clip", -0.5, 0.5), A([-1.0, -0.5, 0.0, 0.5, 1.0]),
    np_fn=lambda x: np.clip(x, -0.5, 0.5), torch_fn=M("clamp", -0.5, 0.5), smooth=False)
COND = np.array([[True], [False], [True]])
row("cast", "f64", M("astype", np.float64), N(2, 3), torch_fn=M("to", th_float64()),
    np_fn=lambda x: x.astype(np.float64))
row("where", "broadcast", lambda a, b: tg.where(COND, a, b), N(3, 4), N(4),
    np_fn=lambda a, b: np.where(COND, a, b),
    torch_fn=lambda a, b: th().where(th().as_tensor(COND), a, b))
row("where", "scalar", lambda a: tg.where(COND, a, 0.0), N(3, 2),
    np_fn=lambda a: np.where(COND, a, 0.0), torch_fn=lambda a: th().where(th().as_tensor(COND), a, 0.0))


# --- reductions: a shape x axis x keepdims grid ----------------------------------------------------
def torch_reduce(name, axis, keepdims, ddof):
    dims = {} if axis is None else {"dim": axis}
    if name in ("var", "std"):
        return lambda t: getattr(t, name)(**dims, correction=ddof, keepdim=keepdims)
    torch_name = {"max": "amax", "min": "amin"}.get(name, name)
    return lambda t: getattr(th(), torch_name)(t, **(dims or {"dim": tuple(range(t.ndim))}),
                                               keepdim=keepdims)


REDUCE_AXES = {(): [None], (5,): [None, 0, -1], (3, 4): [None, 0, 1, -1, (0, 1)],
               (2, 3, 2, 2): [None, 1, -2, (0, 2), (1, -1), (0, 1, 2, 3)]}
for op in ("sum", "mean", "max", "min", "var", "std"):
    extra = {"ddof": 0} if op in ("var", "std") else {}
    for shape, axes in REDUCE_AXES.items():
        for axis in axes:
            for keepdims in (False, True):
                if op in ("var", "std") and shape == ():
                    continue                 # variance of one value: nothing to differentiate
                kw = dict(axis=axis, keepdims=keepdims, **extra)
                row(op, f"{shape}-axis{axis}-keep{int(keepdims)}", M(op, **kw), N(*shape),
                    np_fn=lambda x, op=op, kw=kw: getattr(np, op)(x, **kw),
                    torch_fn=torch_reduce(op, axis, keepdims, 0))
row("sum", "0d-axis0", M("sum", axis=0), N(), np_fn=np.sum, torch_fn=M("sum", dim=0))
row("var", "ddof1", M("var", axis=0, ddof=1), N(4, 3), np_fn=lambda x: np.var(x, axis=0, ddof=1),
    torch_fn=torch_reduce("var", 0, False, 1))
for op in ("max", "min"):
    ties = A([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]) * (1 if op == "max" else -1)
    for axis in (None, 1, 0):
        row(op, f"ties-axis{axis}", M(op, axis=axis), ties,
            np_fn=lambda x, op=op, axis=axis: getattr(np, op)(x, axis=axis),
            torch_fn=torch_reduce(op, axis, False, 0), smooth=False)

# --- shape ---------------------------------------------------------------------------------------
row("reshape", "2d", M("reshape", 4, 3), N(3, 4))
row("reshape", "minus1", M("reshape", -1), N(2, 3, 1, 2))
row("reshape", "0d", M("reshape", 1, 1), N())
row("reshape", "4d", M("reshape", 2, 2, 3, 1), N(4, 3))
row("transpose", "T", lambda x: x.T, N(3, 4))
row("transpose", "perm", M("transpose", 2, 0, 3, 1), N(2, 3, 1, 4),
    torch_fn=M("permute", 2, 0, 3, 1))
row("transpose", "negative", M("transpose", -1, 0, -2), N(2, 3, 4), torch_fn=M("permute", -1, 0, -2))
row("transpose", "1d", M("transpose"), N(5), torch_fn=M("permute", 0))
row("broadcast_to", "row", M("broadcast_to", (3, 4)), N(4),
    np_fn=lambda x: np.broadcast_to(x, (3, 4)))
row("broadcast_to", "4d", M("broadcast_to", (2, 3, 4, 5)), N(3, 1, 5),
    np_fn=lambda x: np.broadcast_to(x, (2, 3, 4, 5)))
row("broadcast_to", "0d", M("broadcast_to", (2, 3)), N(), np_fn=lambda x: np.broadcast_to(x, (2, 3)))
INDEX = np.array([0, 2, 0, 0])
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
row("getitem", "int", lambda x: x[1], N(3, 4))
row("getitem", "slices", lambda x: x[1:, ::2], N(3, 4))
row("getitem", "4d-ellipsis", lambda x: x[..., 1:, 0], N(2, 3, 4, 2))
row("getitem", "newaxis", lambda x: x[None, :, 1], N(3, 4))
row("getitem", "0d-of-1d", lambda x: x[-1], N(5))
row("getitem", "int-array-repeats", lambda x: x[INDEX], N(3, 4))   # scatter-add: row 0 gets 3 g's
row("getitem", "int-array-and-slice", lambda x: x[INDEX, 1:], N(3, 4))
row("getitem", "two-int-arrays", lambda x: x[INDEX, INDEX], N(3, 4))
row("getitem", "list", lambda x: x[[1, 1, 0]], N(3, 2))
row("getitem", "bool-mask", lambda x: x[MASK], N(3, 4))
row("getitem", "bool-rows", lambda x: x[MASK[:, 0]], N(3, 4))
row("concatenate", "axis0", lambda a, b: tg.concatenate([a, b]), N(2, 3), N(4, 3),
    np_fn=lambda a, b: np.concatenate([a, b]), torch_fn=lambda a, b: th().cat([a, b]))
row("concatenate", "axis-1-three", lambda a, b, c: tg.concatenate([a, b, c], axis=-1),
    N(2, 1, 3, 1), N(2, 1, 3, 2), N(2, 1, 3, 3),
    np_fn=lambda *xs: np.concatenate(xs, axis=-1), torch_fn=lambda *xs: th().cat(xs, dim=-1))
row("concatenate", "same-input", lambda a: tg.concatenate([a, a], axis=0), N(3),
    np_fn=lambda a: np.concatenate([a, a]), torch_fn=lambda a: th().cat([a, a]))
row("stack", "axis0", lambda a, b: tg.stack([a, b]), N(3), N(3),
    np_fn=lambda a, b: np.stack([a, b]), torch_fn=lambda a, b: th().stack([a, b]))
row("stack", "axis-1-4d", lambda a, b, c: tg.stack([a, b, c], axis=-1),
    N(2, 1, 3, 2), N(2, 1, 3, 2), N(2, 1, 3, 2),
    np_fn=lambda *xs: np.stack(xs, axis=-1), torch_fn=lambda *xs: th().stack(xs, dim=-1))
row("stack", "0d", lambda a, b: tg.stack([a, b]), N(), N(),
    np_fn=lambda a, b: np.stack([a, b]), torch_fn=lambda a, b: th().stack([a, b]))
row("pad", "2d", M("pad", ((1, 0), (2, 1))), N(3, 4),
    np_fn=lambda x: np.pad(x, ((1, 0), (2, 1))),
    torch_fn=lambda x: th().nn.functional.pad(x, (2, 1, 1, 0)))
row("pad", "4d-value", M("pad", ((0, 0), (0, 0), (1, 1), (2, 0)), value=1.5), N(2, 1, 3, 2),
    np_fn=lambda x: np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 0)), constant_values=1.5),
    torch_fn=lambda x: th().nn.functional.pad(x, (2, 0, 1, 1), value=1.5))
row("pad", "1d-int", M("pad", 2), N(3), np_fn=lambda x: np.pad(x, 2),
    torch_fn=lambda x: th().nn.functional.pad(x, (2, 2)))
row("pad", "crop", M("pad", ((-1, 2), (1, -2))), N(3, 4),
    np_fn=lambda x: np.pad(x[1:, :2], ((0, 2), (1, 0))),
    torch_fn=lambda x: th().nn.functional.pad(x, (1, -2, -1, 2)))
for mode, np_mode in {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.items():
    row("pad", mode, M("pad", ((0, 0), (2, 1), (1, 3)), mode), N(2, 3, 4),
        np_fn=lambda x, np_mode=np_mode: np.pad(x, ((0, 0), (2, 1), (1, 3)), np_mode),
        torch_fn=lambda x, mode=mode: th().nn.functional.pad(x[None], (1, 3, 2, 1), mode)[0])
row("pad", "reflect-crop", M("pad", ((0, 0), (-1, 2), (2, -1)), "reflect"), N(2, 4, 4),
    np_fn=lambda x: np.pad(x[:, 1:, :3], ((0, 0), (0, 2), (2, 0)), "reflect"),
    torch_fn=lambda x: th().nn.functional.pad(x[None], (2, -1, -1, 2), "reflect")[0])

# --- matmul: NumPy's 1-D, 2-D and batched rules -------------------------------------------------
MATMUL_SHAPES = {"1d@1d": [(4,), (4,)], "1d@2d": [(4,), (4, 3)], "2d@1d": [(3, 4), (4,)],
                 "2d@2d": [(3, 4), (4, 2)], "batched": [(2, 3, 4), (2, 4, 5)],
                 "broadcast-batch": [(2, 1, 3, 4), (5, 4, 2)], "1d@batched": [(4,), (3, 4, 2)],
                 "batched@1d": [(2, 3, 4), (4,)], "batched@2d": [(2, 3, 4), (4, 2)]}
for id, (sa, sb) in MATMUL_SHAPES.items():
    row("matmul", id, lambda a, b: a @ b, N(*sa), N(*sb))

LINEAR_SHAPES = {"2d": (5, 3), "1d": (3,), "batched": (2, 4, 3), "empty-batch": (0, 3)}
for id, shape in LINEAR_SHAPES.items():
    row("linear", id, lambda x, w, b: F.linear(x, w, b), N(*shape), N(4, 3), N(4),
        np_fn=lambda x, w, b: x @ w.T + b, torch_fn=lambda x, w, b: th().nn.functional.linear(x, w, b))
row("linear", "no-bias", lambda x, w: F.linear(x, w), N(5, 3), N(4, 3),
    np_fn=lambda x, w: x @ w.T, torch_fn=lambda x, w: th().nn.functional.linear(x, w))


# --- cross_entropy: class-index targets, three reductions ----------------------------------------
CLASSES = np.array([2, 0, 3, 3, 1])


def np_cross_entropy(x, reduction):
    """-log softmax(x)[n, CLASSES[n]], reduced; the NumPy reference of the primitive."""
    z = x - x.max(axis=1, keepdims=True)
    losses = np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(CLASSES)), CLASSES]
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


for reduction in ("mean", "sum", "none"):
    row("cross_entropy", reduction, lambda x, r=reduction: F.cross_entropy(x, CLASSES, reduction=r),
        N(5, 4) * 3, np_fn=lambda x, r=reduction: np_cross_entropy(x, r),
        torch_fn=lambda x, r=reduction: th().nn.functional.cross_entropy(
            x, th().as_tensor(CLASSES), reduction=r))

# --- PyTorch's extra primitives: special functions, rounding, prod, cumsum, cast, einsum --------
_ERF = np.vectorize(math.erf)        # NumPy has no erf; torch's row is the independent check
EXTRA_UNARY = {  # op: (NumPy reference, domain, smooth)
    "erf": (_ERF, N, True), "expm1": (np.expm1, N, True), "log1p": (np.log1p, P, True),
    "sin": (np.sin, N, True), "cos": (np.cos, N, True), "floor": (np.floor, N, True),
    "ceil": (np.ceil, N, True), "round": (np.round, N, True), "trunc": (np.trunc, N, True),
    "sign": (np.sign, N, True),
}
for op, (ref, domain, smooth) in EXTRA_UNARY.items():
    for id, shape in {"0d": (), "1d": (5,), "4d": (2, 3, 1, 2)}.items():
        row(op, id, M(op), domain(*shape) * (3 if op in ("floor", "ceil", "round", "trunc") else 1),
            np_fn=ref)
row("round", "halves-to-even", M("round"), A([0.5, 1.5, 2.5, -0.5, -1.5]), np_fn=np.round,
    smooth=False)
row("sign", "zeros", M("sign"), A([-2.0, 0.0, 3.0]), np_fn=np.sign, smooth=False)
row("expm1", "tiny", M("expm1"), A([1e-10, -1e-12, 3e-9]), np_fn=np.expm1)
row("log1p", "tiny", M("log1p"), A([1e-10, -1e-12, 3e-9]), np_fn=np.log1p)
FLOOR_DIV = lambda a, b: th().div(a, b, rounding_mode="floor")     # torch's // has no gradient
for id, (sa, sb) in BINARY_SHAPES.items():
    row("floordiv", id, lambda a, b: a // b, N(*sa) * 4, P(*sb), np_fn=np.floor_divide,
        torch_fn=FLOOR_DIV)
row("floordiv", "python-like", lambda a, b: a // b, A([1.0, -1.0, 7.0, -7.0]),
    A([0.35, 0.35, 2.0, -2.0]), np_fn=np.floor_divide, torch_fn=FLOOR_DIV, smooth=False)
row("floordiv", "rfloordiv", lambda a: 7.0 // a, P(2, 3), np_fn=lambda a: np.floor_divide(7.0, a),
    torch_fn=lambda a: th().div(th().full_like(a, 7.0, dtype=th().result_type(a, 7.0)), a,
                                rounding_mode="floor"))
row("floordiv", "div-floor", lambda a, b: a.div(b, rounding_mode="floor"), N(3, 4) * 4, P(4),
    np_fn=np.floor_divide, torch_fn=FLOOR_DIV)
for id, (sa, sb) in BINARY_SHAPES.items():
    row("remainder", id, lambda a, b: a % b, N(*sa) * 4, P(*sb), np_fn=np.remainder,
        torch_fn=lambda a, b: a % b)
row("remainder", "signs", lambda a, b: a % b, A([-3.2, 3.5, 7.1, -7.3]), A([2.0, -2.0, 1.5, -1.5]),
    np_fn=np.remainder, torch_fn=lambda a, b: a % b)
row("remainder", "rmod", lambda a: 7.0 % a, P(2, 3), np_fn=lambda a: np.remainder(7.0, a),
    torch_fn=lambda a: th().full_like(a, 7.0, dtype=th().result_type(a, 7.0)) % a)   # 7.0 % a
                                                              # has no derivative in torch


def torch_prod(axis, keepdims):
    """torch.prod takes one dim: reduce the axes one at a time, the last first."""
    def fn(t):
        axes = range(t.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
        for a in sorted((a % max(t.ndim, 1) for a in axes), reverse=True):
            t = t.prod(dim=a, keepdim=keepdims) if t.ndim else t.prod()
        return t
    return fn


for shape, axes in REDUCE_AXES.items():
    for axis in axes:
        for keepdims in (False, True):
            row("prod", f"{shape}-axis{axis}-keep{int(keepdims)}", M("prod", axis, keepdims),
                N(*shape), np_fn=lambda x, a=axis, k=keepdims: np.prod(x, axis=a, keepdims=k),
                torch_fn=torch_prod(axis, keepdims))
ZEROS = A([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 2.0], [1.0, 2.0, -3.0, 0.5]])
for axis in (None, 0, 1):
    row("prod", f"zeros-axis{axis}", M("prod", axis), ZEROS,
        np_fn=lambda x, a=axis: np.prod(x, axis=a), torch_fn=torch_prod(axis, False))
row("prod", "dim-keepdim", M("prod", dim=1, keepdim=True), N(3, 4),
    np_fn=lambda x: np.prod(x, axis=1, keepdims=True), torch_fn=M("prod", dim=1, keepdim=True))
for shape, axis in (((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 1, 4), 3), ((), 0)):
    row("cumsum", f"{shape}-axis{axis}", M("cumsum", axis), N(*shape),
        np_fn=lambda x, a=axis: np.cumsum(x, axis=a).reshape(x.shape),
        torch_fn=M("cumsum", dim=axis))
row("cumsum", "flattened", M("cumsum"), N(2, 3), np_fn=np.cumsum,
    torch_fn=lambda t: t.reshape(-1).cumsum(0))
row("cast", "clone", M("clone"), N(3, 4), np_fn=np.copy)
row("cast", "float32-and-back", lambda x: x.float().double(), N(3, 4),
    np_fn=lambda x: x.astype(np.float32).astype(np.float64), smooth=False)  # rounding: no FD
row("cast", "to-dtype", lambda x: x.to(np.float32).to("float64"), N(5),
    np_fn=lambda x: x.astype(np.float32).astype(np.float64),
    torch_fn=lambda t: t.to(th().float32).to(th().float64), smooth=False)
EINSUM = {"matmul": ("ij,jk->ik", [(3, 4), (4, 2)]), "implicit": ("ij,jk", [(3, 4), (4, 2)]),
          "batched-broadcast": ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
          "outer": ("i,j->ij", [(3,), (4,)]), "trace": ("ii->", [(3, 3)]),
          "diagonal": ("ii->i", [(4, 4)]), "sum-away": ("ij->i", [(3, 4)]),
          "transpose": ("ij->ji", [(3, 4)]), "three": ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
          "repeated-and-summed": ("iij->j", [(3, 3, 2)]), "dot": ("i,i->", [(5,), (5,)]),
          "bilinear": ("bi,ij,bj->b", [(4, 3), (3, 3), (4, 3)]), "spaces": ("ij, j -> i", [(3, 4), (4,)]),
          "capitals-and-ellipsis": ("...Ab,bC->...CA", [(2, 3, 4), (4, 5)]),
          "implicit-capitals": ("Ba,ab", [(2, 3), (3, 4)])}
for id, (eq, shapes) in EINSUM.items():
    row("einsum", id, lambda *xs, eq=eq: tg.einsum(eq, *xs), *(N(*s) for s in shapes),
        np_fn=lambda *xs, eq=eq: np.einsum(eq.replace(" ", ""), *xs),
        torch_fn=lambda *xs, eq=eq: th().einsum(eq, *xs))
row("einsum", "list-of-operands", lambda a, b: tg.einsum("ij,j->i", [a, b]), N(3, 4), N(4),
    np_fn=lambda a, b: np.einsum("ij,j->i", a, b), torch_fn=lambda a, b: th().einsum("ij,j->i", [a, b]))


# --- the tests -----------------------------------------------------------------------------------
def leaves(r):
    return [Tensor(a.copy(), requires_grad=True) for a in r.inputs]


def upstream(shape):
    return np.random.default_rng(1).standard_normal(shape)


@pytest.mark.parametrize("r", ROWS, ids=str)
def test_forward_matches_numpy(r):
    out = r.fn(*leaves(r))
    expected = np.asarray(r.np_fn(*r.inputs))
    assert out.op == r.op, f"row {r} is meant to run {r.op} but its result came from {out.op}"
    assert out.shape == expected.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("r", [r for r in ROWS if r.smooth], ids=str)
def test_gradcheck(r):
    assert gradcheck(r.fn, *leaves(r), seed=2)


@pytest.mark.parametrize("r", ROWS, ids=str)
def test_matches_torch(r, torch):
    xs = leaves(r)
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in r.inputs]
    t_out = r.torch_fn(*ts)      # first: our forward locks the arrays it saves, such as COND
    out = r.fn(*xs)
    v = upstream(out.shape)
    out.backward(v)
    t_out.backward(torch.as_tensor(v))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-13)
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-13,
                                   err_msg=f"{r}: gradient of input {i}")


def as_int(a):
    """Row inputs as int64 values (x3, rounded): the int column."""
    return np.rint(a * 3).astype(np.int64)


def refuses(fn, *args):
    """The error fn(*args) raises, or None."""
    try:
        fn(*args)
    except (RuntimeError, TypeError, ValueError) as exc:
        return exc
    return None


@pytest.mark.parametrize("r", ROWS, ids=str)
def test_int_inputs_match_torch_or_numpy(r, torch):
    """Int inputs: same dtype and values as torch (default float64) or, where torch refuses
    ints, as NumPy (mean and var of ints are floats, as np.mean). Refusing is allowed only where
    torch or NumPy refuses too (an int tensor to a negative int power)."""
    xs = [as_int(a) for a in r.inputs]
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs = [None]
        torch_error = refuses(lambda: theirs.__setitem__(0, r.torch_fn(*map(torch.tensor, xs))))
    finally:
        torch.set_default_dtype(previous)
    try:
        out = r.fn(*[Tensor(a) for a in xs])
    except (TypeError, ValueError) as exc:
        assert torch_error or refuses(r.np_fn, *xs), f"{r}: refused ints ({exc}), torch and NumPy don't"
        return
    expected = np.asarray(r.np_fn(*xs)) if torch_error else theirs[0].numpy()
    assert out.dtype == expected.dtype, f"{r}: int inputs gave {out.dtype}, expected {expected.dtype}"
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:add. mixing float32")    # x+array adds a float64 array
@pytest.mark.parametrize("r", ROWS, ids=str)
def test_float32_inputs_keep_float32_and_match_torch(r, torch):
    """float32 inputs: forward in torch's dtype (float32 unless a row mixes in float64), each
    gradient float32, values as torch's float32 run."""
    xs = [Tensor(a.astype(np.float32), requires_grad=True) for a in r.inputs]
    ts = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in r.inputs]
    t_out = r.torch_fn(*ts)
    out = r.fn(*xs)
    assert out.dtype == t_out.detach().numpy().dtype, f"{r}: forward dtype {out.dtype}"
    v = upstream(out.shape).astype(out.dtype)
    out.backward(v)
    t_out.backward(torch.as_tensor(v))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=2e-5, atol=1e-6)
    for i, (x, t) in enumerate(zip(xs, ts)):
        assert x.grad.dtype == np.float32, f"{r}: gradient of input {i} is {x.grad.dtype}"
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=2e-5, atol=1e-6,
                                   err_msg=f"{r}: gradient of input {i}")


@pytest.mark.parametrize("r", [r for r in ROWS if len(r.inputs) > 1], ids=str)
def test_backward_skips_inputs_that_need_no_gradient(r):
    """With one input needing a gradient, the op returns None for every other input (it did not
    compute them) and the same gradient as when all are needed."""
    out = r.fn(*leaves(r))
    impl, saved, inputs = out.record.impl, out.record.saved, out.record.inputs
    g = upstream(out.shape)
    n = len(inputs)
    full = impl.backward(g, saved, tuple(t.requires_grad for t in inputs))
    for i in (i for i, t in enumerate(inputs) if t.requires_grad):    # not where's cond
        mask = tuple(j == i for j in range(n))
        grads = impl.backward(g, saved, mask)
        assert [gi is None for gi in grads] == [not m for m in mask], f"{r}: mask {mask}"
        np.testing.assert_array_equal(grads[i], full[i])


def test_a_frozen_input_gets_no_gradient_work_end_to_end():
    """x @ w with only w trainable: matmul's backward is asked for dw alone and skips dx."""
    seen = []
    matmul = OPS["matmul"]
    original = matmul.backward

    def spy(g, saved, needs_input_grad):
        grads = original(g, saved, needs_input_grad)
        seen.append((needs_input_grad, tuple(gi is None for gi in grads)))
        return grads

    x, w = Tensor(N(4, 3)), Tensor(N(3, 2), requires_grad=True)
    matmul.backward = staticmethod(spy)
    try:
        (x @ w).sum().backward()
    finally:
        matmul.backward = staticmethod(original)
    assert seen == [((False, True), (True, False))]
    assert x.grad is None and w.grad.shape == (3, 2)


def test_every_registered_op_has_a_row_or_a_test_file():
    """A new primitive without tests fails here: add rows above, or name its test file."""
    covered = {r.op for r in ROWS}
    missing = sorted(set(OPS) - covered - set(TESTED_ELSEWHERE))
    assert not missing, f"primitives with no row in tests/test_ops.py: {missing}"
    for op, path in TESTED_ELSEWHERE.items():
        if op in OPS:
            assert (ROOT / path).exists(), f"{op} is said to be tested in {path}, which is missing"
            assert op in (ROOT / path).read_text(), f"{path} never mentions {op}"
    assert not covered - set(OPS), f"rows for unregistered ops: {sorted(covered - set(OPS))}"


def test_ties_share_the_gradient_as_documented():
    """max/min: tied extremes share g equally; maximum/minimum: half each; relu/abs: 0 at 0."""
    x = Tensor([3.0, 1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert list(x.grad) == [1 / 3, 0.0, 1 / 3, 1 / 3]
    a, b = Tensor([2.0, 1.0], requires_grad=True), Tensor([2.0, 0.0], requires_grad=True)
    tg.maximum(a, b).sum().backward()
    assert list(a.grad) == [0.5, 1.0] and list(b.grad) == [0.5, 0.0]
    z = Tensor([0.0], requires_grad=True)
    (z.relu() + z.abs()).sum().backward()
    assert list(z.grad) == [0.0]


def test_registry_rejects_nameless_and_duplicate_primitives():
    before = dict(OPS)
    with pytest.raises(TypeError, match="needs a `name`"):
        class Nameless(tg.engine.Op):
            pass
    with pytest.raises(ValueError, match="'add' is already taken by Add"):
        class MyAdd(tg.engine.Op):
            name = "add"
    assert OPS == before


def test_a_primitive_must_define_forward_and_backward():
    class Unfinished(tg.engine.Op):
        name = "test_unfinished"
    try:
        with pytest.raises(NotImplementedError):
            tg.engine.apply(Unfinished, Tensor([1.0]))
        with pytest.raises(NotImplementedError):
            Unfinished.backward(np.ones(1), {}, (True,))
    finally:
        del OPS["test_unfinished"]


@pytest.mark.parametrize("call, match", [
    (lambda: Tensor([1.0]).clip(), "clip: input .1,. got neither min nor max"),
    (lambda: Tensor(np.zeros((0, 2))).max(), r"max: input \(0, 2\) is empty"),
    (lambda: tg.concatenate([]), "concatenate: needs at least one tensor"),
    (lambda: tg.stack([Tensor([1.0])], axis=2), "stack: axis 2 is out of range"),
], ids=["clip-no-bounds", "max-empty", "concatenate-empty", "stack-axis"])
def test_bad_arguments_raise_naming_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_pow_with_a_tensor_exponent_at_zero_and_negative_bases(torch):
    """0 ** [0, 1] = [1, 0] and (-2) ** [2, 3] = [4, -8], with torch's gradients (0 where the
    base is 0 and the exponent >= 0; nan for a negative base, whose log is undefined)."""
    for base, exps, values in ((0.0, [0.0, 1.0], [1.0, 0.0]), (-2.0, [2.0, 3.0], [4.0, -8.0])):
        e, te = Tensor(exps, requires_grad=True), torch.tensor(exps, requires_grad=True)
        out, t_out = base ** e, base ** te
        assert list(out.data) == values and out.op == "pow"
        out.sum().backward()
        t_out.sum().backward()
        np.testing.assert_array_equal(e.grad, te.grad.numpy())
    a, b = Tensor([0.0, 2.0], requires_grad=True), Tensor([0.0, 3.0], requires_grad=True)
    (a ** b).sum().backward()
    assert list(a.grad) == [0.0, 12.0] and b.grad[0] == 0.0 and b.grad[1] == pytest.approx(8 * np.log(2))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int64, bool])
@pytest.mark.parametrize("shape, axis", [((128, 256), (0,)), ((7, 5, 3), (0, 2)), ((7, 5, 3), 1),
                                         ((300,), None), ((3, 4), None), ((), None)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean_give_numpys_bits(dtype, shape, axis, keepdims):
    """The primitives reduce with np.add.reduce (NumPy's sum and mean without their Python layer):
    the same values, dtype and shape as x.sum / x.mean, bit for bit, where BLAS does not sum;
    float16 and float32 add up in float64 and round once (as torch's accumulators)."""
    x = (np.random.default_rng(0).standard_normal(shape) * 3).astype(dtype)
    wide = np.dtype(dtype).char in "ef"
    total = OPS["sum"].forward(x, needs_input_grad=(False,), axis=axis, keepdims=keepdims)[0]
    expected = (x.sum(axis=axis, keepdims=keepdims, dtype=np.float64).astype(dtype) if wide
                else x.sum(axis=axis, keepdims=keepdims))
    assert np.asarray(total).dtype == expected.dtype and np.shape(total) == np.shape(expected)
    assert np.array_equal(total, expected)
    if np.dtype(dtype).kind == "f":
        mean = OPS["mean"].forward(x, needs_input_grad=(False,), axis=axis, keepdims=keepdims)[0]
        expected = x.mean(axis=axis, keepdims=keepdims)
        if wide:                                  # the float64 sum, rounded, then divided
            expected = np.asarray(total / (x.size // np.size(total)), dtype=dtype)
        assert np.asarray(mean).dtype == expected.dtype and np.array_equal(mean, expected)


# --- second order (create_graph=True): every row's gradient, differentiated once more ----------
ZERO_DERIVATIVE = {"floor", "ceil", "round", "trunc", "floordiv", "sign"}   # dx = 0 wherever defined


def second_order(fn, xs, grad_fn, v, w):
    """d/dxs of sum(grad(fn(xs), xs, v) * w): the double backward, with any autograd's grad_fn."""
    out = fn(*xs)
    grads = grad_fn(out, xs, v, create_graph=True, allow_unused=True)
    pairs = [(g, wi) for g, wi in zip(grads, w) if g is not None and g.requires_grad]
    if not pairs:
        return [None] * len(xs)
    return grad_fn([g for g, _ in pairs], xs, [wi for _, wi in pairs], allow_unused=True)


@pytest.mark.parametrize("r", [r for r in ROWS if r.smooth and r.op not in ZERO_DERIVATIVE],
                         ids=str)
def test_gradgradcheck(r):
    assert tg.gradgradcheck(r.fn, *leaves(r), seed=2)


@pytest.mark.parametrize("r", [r for r in ROWS if r.smooth or r.op != "pow"], ids=str)
def test_double_backward_matches_torch(r, torch):
    """Our second derivatives equal torch's (float64, rtol 1e-8), ties and kinks included. Where
    torch gives nan or inf only the finite values are compared. pow's rows at base 0 are left
    out on purpose: torch masks da = 0 where b == 0, so its d(da)/db there is 0, while ours is
    the true a ** -1 (2 ** 0 gives 0.5), the value central differences give."""
    xs, ts = leaves(r), [torch.tensor(a, requires_grad=True) for a in r.inputs]
    t_out = r.torch_fn(*ts)
    v = upstream(t_out.shape)
    w = [np.random.default_rng(3).standard_normal(a.shape) for a in r.inputs]
    ours = second_order(r.fn, xs, tg.grad, v, w)
    theirs = second_order(r.torch_fn, ts, torch.autograd.grad, torch.as_tensor(v),
                          [torch.as_tensor(wi) for wi in w])
    with np.errstate(invalid="ignore"):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            a = np.zeros(r.inputs[i].shape) if a is None else a.data
            b = np.zeros(r.inputs[i].shape) if b is None else (b + 0).detach().numpy()   # + 0:
            finite = np.isfinite(b)                                    # torch's ZeroTensor
            np.testing.assert_allclose(a[finite], b[finite], rtol=1e-8, atol=1e-10,
                                       err_msg=f"{r}: second derivative of input {i}")


@pytest.mark.parametrize("r", [r for r in ROWS if r.op in ZERO_DERIVATIVE], ids=str)
def test_zero_derivative_ops_have_constant_gradients(r):
    """floor, ceil, round, trunc, floordiv, sign: the gradient is a constant 0, so under
    create_graph it needs no graph and its own derivative is 0 (their rule says dx = 0)."""
    xs = leaves(r)
    grads = tg.grad(r.fn(*xs), xs, upstream(r.fn(*xs).shape), create_graph=True)
    assert all(not g.requires_grad and not g.data.any() for g in grads)
    assert "0" in OPS[r.op].rule
