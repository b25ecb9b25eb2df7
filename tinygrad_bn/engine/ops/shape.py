"""Primitives that move values around without arithmetic: reshape, transpose, broadcast,
indexing, joining and padding. Their backward moves the gradient back the same way."""
import numpy as np

from .base import Op


class Reshape(Op):
    """out = x viewed with a new shape (one -1 allowed)."""
    name = "reshape"
    rule = "dx = g.reshape(x.shape)"

    @staticmethod
    def forward(x, shape):
        try:
            return x.reshape(shape), {"shape": x.shape}
        except ValueError:
            raise ValueError(f"reshape: cannot reshape {x.shape} ({x.size} values) into {shape}; "
                             "the sizes must match (one -1 may stand for the rest)") from None

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g.reshape(saved["shape"])


class Transpose(Op):
    """out = x with axes permuted (reversed when axes is None)."""
    name = "transpose"
    rule = "dx = g.transpose(argsort(axes))"

    @staticmethod
    def forward(x, axes=None):
        axes = tuple(reversed(range(x.ndim))) if axes is None else axes
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} "
                             f"axes of input {x.shape}; give each axis once, e.g. "
                             f"{tuple(reversed(range(x.ndim)))}")
        axes = tuple(a % x.ndim for a in axes)    # argsort in backward needs axes >= 0
        return x.transpose(axes), {"axes": axes}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g.transpose(np.argsort(saved["axes"]))


class BroadcastTo(Op):
    """out = x repeated along new or size-1 axes up to `shape`."""
    name = "broadcast_to"
    rule = "dx = sum g over the broadcast axes (done by the engine)"

    @staticmethod
    def forward(x, shape):
        try:
            return np.broadcast_to(x, shape), {}
        except ValueError:
            raise ValueError(f"broadcast_to: input {x.shape} cannot grow to {shape}; from the right "
                             "each dimension must match or be 1 (reshape first, e.g. "
                             "x.reshape(-1, 1) for a column)") from None

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g                         # the engine's sum_to_shape is exactly this backward


def _check_join(op, xs, axis, same_axis):
    """Join ops need equal shapes (apart from `axis` for concatenate); name them all if not."""
    if not xs:
        raise ValueError(f"{op}: needs at least one tensor; got an empty list")
    shapes = [x.shape for x in xs]
    ndim = xs[0].ndim + (0 if same_axis else 1)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for inputs {shapes}; "
                         f"use an axis in {-ndim}..{ndim - 1}")
    strip = (lambda s: s[:axis % ndim] + s[axis % ndim + 1:]) if same_axis else (lambda s: s)
    if any(len(s) != len(shapes[0]) or strip(s) != strip(shapes[0]) for s in shapes):
        need = f"equal shapes except along axis {axis}" if same_axis else "equal shapes"
        raise ValueError(f"{op}: shapes {', '.join(map(str, shapes))} do not fit; it needs {need} "
                         "(reshape or slice the odd one out)")


def _is_basic(index):
    """True for slices, ints, None and Ellipsis only: then x[index] is a view and dx[index] = g."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (slice, int, np.integer, type(None), type(Ellipsis))) for i in parts)


class GetItem(Op):
    """out = x[index]: basic slices, integer and boolean arrays, as NumPy."""
    name = "getitem"
    rule = "dx = zeros_like(x); dx[index] += g"

    @staticmethod
    def forward(x, index):
        try:
            out = x[index]
        except IndexError as exc:
            raise IndexError(f"getitem: index {index!r} does not fit input {x.shape}: {exc}; "
                             "an axis of size n takes indices -n..n-1") from None
        return out, {"shape": x.shape, "dtype": x.dtype, "index": index}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        dx = np.zeros(saved["shape"], dtype=saved["dtype"])
        if _is_basic(saved["index"]):
            dx[saved["index"]] = g
        else:
            np.add.at(dx, saved["index"], g)       # repeated indices add up (scatter-add)
        return dx


class Concatenate(Op):
    """out = concatenate(xs, axis)."""
    name = "concatenate"
    rule = "dxs = split(g, sizes, axis)"

    @staticmethod
    def forward(*xs, axis=0):
        _check_join("concatenate", xs, axis, same_axis=True)
        out = np.concatenate(xs, axis=axis)
        return out, {"splits": np.cumsum([x.shape[axis] for x in xs])[:-1], "axis": axis}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return tuple(np.split(g, saved["splits"], axis=saved["axis"]))


class Stack(Op):
    """out = stack(xs, axis): a new axis."""
    name = "stack"
    rule = "dxs = unstack(g, axis)"

    @staticmethod
    def forward(*xs, axis=0):
        _check_join("stack", xs, axis, same_axis=False)
        out = np.stack(xs, axis=axis)
        return out, {"n": len(xs), "axis": axis}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return tuple(np.take(g, i, axis=saved["axis"]) for i in range(saved["n"]))


class Pad(Op):
    """out = x padded with a constant; pad_width as in np.pad, ((before, after), ...)."""
    name = "pad"
    rule = "dx = g[before:-after] on every axis"

    @staticmethod
    def forward(x, pad_width, value=0.0):
        if any(b < 0 or a < 0 for b, a in pad_width):
            raise ValueError(f"pad: pad_width {pad_width} for input {x.shape} has a "
                             "negative size; slice instead, e.g. x[1:]")
        out = np.pad(x, pad_width, mode="constant", constant_values=value)
        return out, {"pad_width": pad_width}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g[tuple(slice(b, g.shape[i] - a) for i, (b, a) in enumerate(saved["pad_width"]))]
