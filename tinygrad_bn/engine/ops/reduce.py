"""Reductions over an axis (int, tuple or None) with keepdims, and their backward broadcasts."""
import math

import numpy as np

from .base import Op


def normalize_axis(axis, ndim, op):
    """axis -> sorted tuple of non-negative axes; raises a clear error when out of range."""
    axes = tuple(range(ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    if ndim == 0 and set(axes) <= {0, -1}:
        return ()                                  # a 0-d input: axis 0 or -1 is itself, as torch
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for an input with {ndim} dims; "
                             f"use an axis in {-ndim}..{ndim - 1}, or axis=None for all")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis} names the same axis twice for an input with "
                         f"{ndim} dims; list each axis once")
    return tuple(sorted(out))


def _expand(g, axes, keepdims):
    """Give a reduced gradient back its reduced axes (size 1) so it broadcasts over x."""
    return g if keepdims else np.expand_dims(g, axes)


def _count(shape, axes):
    """How many values the reduction over `axes` of `shape` adds up."""
    return math.prod(shape[a] for a in axes)


def _sum(x, axes, keepdims):
    """x.sum over axes; float16 and float32 add up in float64 and round once, as torch's
    accumulators do: a float32 running sum of 20000 values near 3e4 loses their spread."""
    if x.dtype.char in "ef":
        return x.sum(axis=axes, keepdims=keepdims, dtype=np.float64).astype(x.dtype)
    return x.sum(axis=axes, keepdims=keepdims)


class Sum(Op):
    """out = sum(x, axis)."""
    name = "sum"
    rule = "dx = broadcast(g)"
    linear = True               # create_graph: its backward is recorded as one op

    @staticmethod
    def forward(x, *, needs_input_grad, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "sum")
        return _sum(x, axes, keepdims), {"shape": x.shape, "axes": axes, "keepdims": keepdims}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return np.broadcast_to(_expand(g, saved["axes"], saved["keepdims"]), saved["shape"])


class Mean(Op):
    """out = sum(x, axis) / N. Builds mu = mean(x) and var = mean(sq)."""
    name = "mean"
    rule = "dx = broadcast(g) / N"
    linear = True               # create_graph: its backward is recorded as one op

    @staticmethod
    def forward(x, *, needs_input_grad, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "mean")
        if _count(x.shape, axes) == 0:
            raise ValueError(f"mean: the reduced axes {axes} of input {x.shape} are empty, so "
                             "the mean is undefined; check the batch is not empty")
        out = x.mean(axis=axes, keepdims=keepdims) if x.dtype.char == "d" else (
            _sum(x, axes, keepdims) / _count(x.shape, axes))
        return out, {"shape": x.shape, "axes": axes, "keepdims": keepdims}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        n = _count(saved["shape"], saved["axes"])
        return np.broadcast_to(_expand(g, saved["axes"], saved["keepdims"]) / n, saved["shape"])


class _Extreme(Op, abstract=True):
    """Shared forward/backward of max and min: ties share the gradient equally (as torch.amax);
    nan_wins=True (torch.max(x) over all values) gives it to the NaNs instead of NaN."""
    reduce = None

    @classmethod
    def forward(cls, x, *, needs_input_grad, axis=None, keepdims=False, nan_wins=False):
        axes = normalize_axis(axis, x.ndim, cls.name)
        if x.size == 0:
            raise ValueError(f"{cls.name}: input {x.shape} is empty")
        out = cls.reduce(x, axis=axes, keepdims=True)
        hit = x == out                             # NaN == NaN is False: amax's NaN gradient
        if nan_wins:
            hit |= np.isnan(x) & np.isnan(out)     # torch.max(x): the NaNs share the gradient
        return (out if keepdims else np.squeeze(out, axes)), {
            "hit": hit, "count": hit.sum(axis=axes, keepdims=True, dtype=x.dtype), "axes": axes,
            "keepdims": keepdims}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return _expand(g, saved["axes"], saved["keepdims"]) * saved["hit"] / saved["count"]


class Max(_Extreme):
    """out = max(x, axis); tied maxima share g equally."""
    name = "max"
    rule = "dx = broadcast(g) * (x == out) / count(x == out)"
    reduce = staticmethod(np.max)


class Min(_Extreme):
    """out = min(x, axis); tied minima share g equally."""
    name = "min"
    rule = "dx = broadcast(g) * (x == out) / count(x == out)"
    reduce = staticmethod(np.min)


def _squares(x, axes, ddof, op):
    """(xmu, sum(xmu**2) over axes keepdims, n = N - ddof): the two passes of var and std."""
    n = _count(x.shape, axes) - ddof
    if n <= 0:
        raise ValueError(f"{op}: {_count(x.shape, axes)} values over axes {axes} of input "
                         f"{x.shape} with ddof={ddof} leave no degrees of freedom; "
                         "use ddof=0 or reduce over more values")
    xmu = x - _sum(x, axes, True) / (n + ddof)
    return xmu, _sum(xmu * xmu, axes, True), n


class Std(Op):
    """out = sqrt(sum((x - mean(x))**2, axis) / (N - ddof)); layer norm's (x - mu) / (std + eps)."""
    name = "std"
    warns = True
    rule = "dx = broadcast(g) * (x - mean(x)) / ((N - ddof) * out), 0 where out == 0"

    @staticmethod
    def forward(x, *, needs_input_grad, axis=None, keepdims=False, ddof=0):
        axes = normalize_axis(axis, x.ndim, "std")
        xmu, squares, n = _squares(x, axes, ddof, "std")
        std = np.sqrt(squares / n)
        return (std if keepdims else np.squeeze(std, axes)), {
            "xmu": xmu, "std": std, "n": n, "axes": axes, "keepdims": keepdims}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        std = saved["std"]                          # keepdims: broadcasts over x
        scale = np.divide(1, saved["n"] * std, out=np.zeros_like(std), where=std != 0)
        return _expand(g, saved["axes"], saved["keepdims"]) * scale * saved["xmu"]

    @staticmethod
    def decompose(x, axis=None, keepdims=False, ddof=0):
        """create_graph: xmu and std are derived from x, so the walk goes through var's primitives
        and a sqrt (the second derivative at zero spread is undefined, as in torch)."""
        return Var.decompose(x, axis=axis, keepdims=keepdims, ddof=ddof).sqrt()


class Var(Op):
    """out = sum((x - mean(x))**2, axis) / (N - ddof); ddof=0 (biased) as NumPy."""
    name = "var"
    rule = "dx = broadcast(g) * 2 * (x - mean(x)) / (N - ddof)"

    @staticmethod
    def forward(x, *, needs_input_grad, axis=None, keepdims=False, ddof=0):
        axes = normalize_axis(axis, x.ndim, "var")
        xmu, squares, n = _squares(x, axes, ddof, "var")
        out = (squares if keepdims else np.squeeze(squares, axes)) / n
        return out, {"xmu": xmu, "n": n, "axes": axes, "keepdims": keepdims}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return _expand(g, saved["axes"], saved["keepdims"]) * (2 / saved["n"]) * saved["xmu"]

    @staticmethod
    def decompose(x, axis=None, keepdims=False, ddof=0):
        """create_graph: xmu is derived from x, so the walk goes through mean, sub, mul, sum."""
        axes = normalize_axis(axis, x.ndim, "var")
        xmu = x - x.mean(axis=axes, keepdims=True)
        return (xmu * xmu).sum(axis=axes, keepdims=keepdims) / (_count(x.shape, axes) - ddof)
