"""Reductions over an axis (int, tuple or None) with keepdims, and their backward broadcasts."""
import math

import numpy as np

from ..blas import BLAS_SUM, sum_over
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
    return g if keepdims or not axes else _unsqueezed(g, axes)


def _unsqueezed(a, axes):
    """a with a size-1 axis inserted at each of the sorted `axes`: np.expand_dims as a reshape,
    which costs a twentieth of it (at BN's sizes such helpers cost more than the arithmetic)."""
    shape = list(a.shape)
    for axis in axes:
        shape.insert(axis, 1)
    return a.reshape(shape)


def _count(shape, axes):
    """How many values the reduction over `axes` of `shape` adds up."""
    return math.prod(shape[a] for a in axes)


def channel_sum(a):
    """sum(a) over every axis but 1 -> (C,): BN's per-channel sum."""
    return sum_over(a, (0,) + tuple(range(2, a.ndim)))


def _spread_to(g, shape, rows):
    """np.broadcast_to(g, shape) for g with size-1 axes (keepdims). For an x stored in C order
    (`rows`), a broadcast over trailing axes is laid out first as one row (C*H*W values for BN's
    (1, C, 1, 1)), so that the engine adding it to a full array (x's two gradients) runs over
    whole rows, not H*W values at a time; for another layout (conv's output, batch last) a row
    would mix two layouts in that add, so the plain strided view is kept."""
    lead = next((i for i, n in enumerate(g.shape) if n != 1), g.ndim)
    tail = shape[lead:]
    if (not rows or g.ndim != len(shape) or lead == g.ndim or g.shape[lead:] == tail
            or math.prod(tail) * 8 > math.prod(shape) or math.prod(shape) < BLAS_SUM):
        return broadcast_view(g, shape)
    return broadcast_view(np.ascontiguousarray(np.broadcast_to(g[(0,) * lead], tail)), shape)


def broadcast_view(a, shape):
    """np.broadcast_to(a, shape), read-only as NumPy's, built straight from strides (stride 0 on
    each stretched axis) for a C-ordered `a`: a tenth of the cost of np.broadcast_to, which sets up
    an iterator to check what the engine's own shapes already guarantee."""
    if not a.flags.c_contiguous or a.size == 0:
        return np.broadcast_to(a, shape)
    lead = len(shape) - a.ndim
    strides = (0,) * lead + tuple(0 if n == 1 else stride
                                  for n, stride in zip(a.shape, a.strides))
    view = np.ndarray(shape, a.dtype, a, 0, strides)
    view.flags.writeable = False
    return view


def _keep(out, axes, keepdims):
    """A sum_over result with the summed axes back as size 1 when keepdims."""
    return _unsqueezed(out, axes) if keepdims else out


class Sum(Op):
    """out = sum(x, axis)."""
    name = "sum"
    rule = "dx = broadcast(g)"

    @staticmethod
    def forward(x, *, needs_input_grad, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "sum")
        out = _keep(sum_over(x, axes), axes, keepdims)
        return out, {"shape": x.shape, "axes": axes, "keepdims": keepdims,
                     "rows": x.flags.c_contiguous}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return _spread_to(_expand(g, saved["axes"], saved["keepdims"]), saved["shape"],
                          saved["rows"])


class Mean(Op):
    """out = sum(x, axis) / N. Builds mu = mean(x) and var = mean(sq)."""
    name = "mean"
    rule = "dx = broadcast(g) / N"

    @staticmethod
    def forward(x, *, needs_input_grad, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "mean")
        if _count(x.shape, axes) == 0:
            raise ValueError(f"mean: the reduced axes {axes} of input {x.shape} are empty, so "
                             "the mean is undefined; check the batch is not empty")
        if x.dtype.char in "fd":            # x.mean's own sum and division, without its Python
            out = _keep(sum_over(x, axes) / _count(x.shape, axes), axes, keepdims)
        else:
            out = x.mean(axis=axes, keepdims=keepdims)      # float16: x.mean sums in float32
        return out, {"shape": x.shape, "axes": axes, "keepdims": keepdims,
                     "rows": x.flags.c_contiguous}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        n = _count(saved["shape"], saved["axes"])
        return _spread_to(_expand(g, saved["axes"], saved["keepdims"]) / n, saved["shape"],
                          saved["rows"])


class _Extreme(Op, abstract=True):
    """Shared forward/backward of max and min: ties share the gradient equally (as torch.amax)."""
    reduce = None

    @classmethod
    def forward(cls, x, *, needs_input_grad, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, cls.name)
        if x.size == 0:
            raise ValueError(f"{cls.name}: input {x.shape} is empty")
        out = cls.reduce(x, axis=axes, keepdims=True)
        hit = x == out
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


class Var(Op):
    """out = sum((x - mean(x))**2, axis) / (N - ddof); ddof=0 (biased) as NumPy."""
    name = "var"
    rule = "dx = broadcast(g) * 2 * (x - mean(x)) / (N - ddof)"

    @staticmethod
    def forward(x, *, needs_input_grad, axis=None, keepdims=False, ddof=0):
        axes = normalize_axis(axis, x.ndim, "var")
        n = _count(x.shape, axes) - ddof
        if n <= 0:
            raise ValueError(f"var: {_count(x.shape, axes)} values over axes {axes} of input "
                             f"{x.shape} with ddof={ddof} leave no degrees of freedom; "
                             "use ddof=0 or reduce over more values")
        xmu = x - x.mean(axis=axes, keepdims=True)
        out = (xmu * xmu).sum(axis=axes, keepdims=keepdims) / n
        return out, {"xmu": xmu, "n": n, "axes": axes, "keepdims": keepdims}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return _expand(g, saved["axes"], saved["keepdims"]) * (2 / saved["n"]) * saved["xmu"]
