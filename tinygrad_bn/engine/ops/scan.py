"""Products and running sums: prod over axes and cumsum along one axis."""
import numpy as np

from .base import Op
from .reduce import normalize_axis


def _exclusive_cumprod(x):
    """Product of the entries before each one along the last axis (1 for the first)."""
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    return np.concatenate([ones, np.cumprod(x[..., :-1], axis=-1)], axis=-1)


class Prod(Op):
    """out = prod(x, axis). The gradient is the product of the other entries, exact with zeros."""
    name = "prod"
    rule = "dx = broadcast(g) * prod(x before) * prod(x after)   (no division: zeros are fine)"

    @staticmethod
    def forward(x, *, needs_input_grad, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "prod")
        return x.prod(axis=axes, keepdims=keepdims), {"x": x, "axes": axes, "keepdims": keepdims}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        x, axes = saved["x"], saved["axes"]
        kept = [a for a in range(x.ndim) if a not in axes]
        order = kept + list(axes)                  # reduced axes last, then flattened into one
        flat = x.transpose(order).reshape([x.shape[a] for a in kept] + [-1])
        others = _exclusive_cumprod(flat) * _exclusive_cumprod(flat[..., ::-1])[..., ::-1]
        others = others.reshape([x.shape[a] for a in order]).transpose(np.argsort(order))
        g = g if saved["keepdims"] or not axes else np.expand_dims(g, axes)
        return g * others

    @staticmethod
    def decompose(x, axis=None, keepdims=False):
        """create_graph: the products of the others are derived from x, so the walk goes
        through one mul per reduced value instead (the reduced axes flattened last)."""
        axes = normalize_axis(axis, x.ndim, "prod")
        kept = [a for a in range(x.ndim) if a not in axes]
        flat = x.transpose(tuple(kept + list(axes))).reshape(*[x.shape[a] for a in kept], -1)
        out = flat[..., 0] if flat.shape[-1] else flat.sum(axis=-1) * 0 + 1
        for k in range(1, flat.shape[-1]):
            out = out * flat[..., k]
        return out.reshape(*[1 if a in axes else n for a, n in enumerate(x.shape)]) if (
            keepdims) else out


class Cumsum(Op):
    """out[..., i, ...] = sum of x[..., :i+1, ...] along `axis`."""
    name = "cumsum"
    rule = "dx = reverse cumsum of g along axis"
    linear = True               # create_graph: its backward is recorded as one op

    @staticmethod
    def forward(x, *, needs_input_grad, axis):
        axis = normalize_axis(axis, x.ndim, "cumsum")
        out = np.cumsum(x, axis=axis[0]) if axis else np.cumsum(x).reshape(())
        return out, {"axis": axis}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        if not saved["axis"]:
            return g
        a = saved["axis"][0]
        return np.flip(np.cumsum(np.flip(g, a), axis=a), a)
