"""Activations as composites of primitives, part of `functional` (F.gelu, ...), as torch defines them.

Every gradient matches PyTorch's, at the kinks too (leaky_relu and elu take the left slope at 0,
hardtanh, relu6, hardsigmoid and hardswish pass nothing at the ends).
`inplace=` is accepted so PyTorch code runs; the result is always a new tensor.
"""
import math

import numpy as np

from .engine import Tensor, minimum, where


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _dim(op, dim, axis):
    """dim= (PyTorch) or axis= (NumPy); -1 when neither is given."""
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: got dim={dim} and axis={axis}; they are the same argument, pass one")
    return -1 if dim is None and axis is None else (axis if dim is None else dim)


def softmax(x, dim=None, dtype=None, *, axis=None):
    """exp(x) / sum(exp(x)) along dim (default -1): each slice becomes probabilities summing to 1."""
    return _tensor(x).softmax(_dim("softmax", dim, axis), dtype)


def log_softmax(x, dim=None, dtype=None, *, axis=None):
    """x - logsumexp(x) along dim (default -1): log-probabilities without overflow."""
    return _tensor(x).log_softmax(_dim("log_softmax", dim, axis), dtype)


def softmin(x, dim=None, dtype=None, *, axis=None):
    """softmax(-x): probabilities that favour the smallest values."""
    return softmax(-_tensor(x), dim, dtype, axis=axis)


def relu(x, inplace=False):
    """max(x, 0); gradient 0 at 0."""
    return _tensor(x).relu()


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return _tensor(x).sigmoid()


def tanh(x):
    """Hyperbolic tangent."""
    return _tensor(x).tanh()


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise (the gradient at 0 is negative_slope, as torch)."""
    x = _tensor(x)
    return where(x.data > 0, x, x * negative_slope)


def elu(x, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise; exp sees only x <= 0 (no inf * 0 = nan)."""
    x = _tensor(x)
    return where(x.data > 0, x, x.clip(max=0).expm1() * alpha)


def hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped into [min_val, max_val]; gradient 1 strictly inside, 0 at and beyond the ends."""
    x = _tensor(x)
    inside = (x.data > min_val) & (x.data < max_val)
    return where(inside, x, np.clip(x.data, min_val, max_val))


def relu6(x, inplace=False):
    """min(max(x, 0), 6), i.e. hardtanh(x, 0, 6)."""
    return hardtanh(x, 0.0, 6.0)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as torch)."""
    return _tensor(x).softplus(beta, threshold)


def logsigmoid(x):
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), finite for any x."""
    x = _tensor(x)
    return minimum(x, 0.0) - (-x.abs()).exp().log1p()


def silu(x, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    x = _tensor(x)
    return x * x.sigmoid()


def gelu(x, approximate="none"):
    """x * Phi(x), Phi the normal CDF: 0.5 * x * (1 + erf(x / sqrt(2))); approximate='tanh' uses
    0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3))), as torch."""
    x = _tensor(x)
    if approximate == "none":
        return x * 0.5 * ((x * (1 / math.sqrt(2))).erf() + 1)
    if approximate == "tanh":
        inner = (x + x ** 3 * 0.044715) * math.sqrt(2 / math.pi)
        return x * 0.5 * (inner.tanh() + 1)
    raise ValueError(f"gelu: approximate={approximate!r}; use 'none' or 'tanh'")


def hardsigmoid(x, inplace=False):
    """relu6(x + 3) / 6; gradient 1/6 strictly inside (-3, 3), as torch."""
    return hardtanh(_tensor(x) + 3.0, 0.0, 6.0) * (1 / 6)


def hardswish(x, inplace=False):
    """x * hardsigmoid(x) = x * relu6(x + 3) / 6; gradient 0 up to -3, 1 from 3, as torch."""
    x = _tensor(x)
    return x * hardsigmoid(x)


def mish(x, inplace=False):
    """x * tanh(softplus(x))."""
    x = _tensor(x)
    return x * softplus(x).tanh()


def one_hot(tensor, num_classes=-1):
    """Class indices (any shape) -> int64 rows of zeros with a 1 at the index, as F.one_hot.

    num_classes=-1 takes max(index) + 1. A constant: indices have no gradient.
    """
    idx = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices have dtype {idx.dtype} {idx.shape}; expected "
                        "integer class indices, e.g. labels.long()")
    if num_classes == -1 and not idx.size:
        raise ValueError(f"one_hot: can not infer the number of classes from empty indices "
                         f"{idx.shape}; pass num_classes")
    k = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and idx.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative; indices {idx.shape} reach "
                         f"{idx.min()}")
    if (idx.size and idx.max() >= k) or k < 0:
        raise ValueError(f"one_hot: class values must be smaller than num_classes={num_classes}; "
                         f"indices {idx.shape} reach {idx.max() if idx.size else 'nothing'}")
    return Tensor((idx[..., None] == np.arange(k)).astype(np.int64))


__all__ = ["softmax", "log_softmax", "softmin", "relu", "sigmoid", "tanh", "leaky_relu", "elu",
           "hardtanh", "relu6", "softplus", "logsigmoid", "silu", "gelu", "hardsigmoid",
           "hardswish", "mish", "one_hot"]
