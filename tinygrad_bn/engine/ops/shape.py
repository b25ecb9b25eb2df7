"""Primitives that move values around without arithmetic: reshape, transpose, broadcast,
indexing, joining and padding. Their backward moves the gradient back the same way."""
import numpy as np

from .base import Op


class Reshape(Op):
    """out = x viewed with a new shape (one -1 allowed)."""
    name = "reshape"
    rule = "dx = g.reshape(x.shape)"
    linear = True               # create_graph: its backward is recorded as one op

    @staticmethod
    def forward(x, *, needs_input_grad, shape):
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
    linear = True               # create_graph: its backward is recorded as one op

    @staticmethod
    def forward(x, *, needs_input_grad, axes=None):
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
    def forward(x, *, needs_input_grad, shape):
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


def ints_first(index):
    """An index as the steps PyTorch takes: (first, rest) where ints meet integer or boolean
    arrays, else (index,). PyTorch selects with the ints first, then indexes with the arrays:
    x[1, :, [0, 2]] is x[1][:, [0, 2]], shape (5, 2) for x (4, 5, 6). NumPy counts the ints as
    arrays too, and arrays standing apart move their axes to the front: (2, 5)."""
    parts = index if isinstance(index, tuple) else (index,)
    is_int = [isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))
              for i in parts]
    if not any(is_int) or _is_basic(index):
        return (index,)
    first, rest = [], []
    for i, integer in zip(parts, is_int):
        if integer:
            first.append(i)                         # selects its axis away
        elif i is None or i is Ellipsis:
            first += [i] if i is Ellipsis else []   # None adds an axis: in the second step
            rest.append(i)
        else:                                       # a slice, an int array or a bool mask
            mask = not isinstance(i, slice) and np.asarray(i).dtype == bool
            first += [slice(None)] * (np.ndim(i) if mask else 1)
            rest.append(i)
    return tuple(first), tuple(rest)


class GetItem(Op):
    """out = x[index]: basic slices, integer and boolean arrays, as NumPy and torch.

    Where ints meet arrays the two differ, and the ints select first, as PyTorch (ints_first)."""
    name = "getitem"
    rule = "dx = zeros_like(x); dx[index] += g"
    linear = True               # create_graph: its backward is recorded as one op

    @staticmethod
    def forward(x, *, needs_input_grad, index):
        try:
            out = x
            for step in ints_first(index):
                out = out[step]
        except IndexError as exc:
            raise IndexError(f"getitem: index {index!r} does not fit input {x.shape}: {exc}; "
                             "an axis of size n takes indices -n..n-1") from None
        return out, {"shape": x.shape, "dtype": x.dtype, "index": index}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        dx = np.zeros(saved["shape"], dtype=saved["dtype"])
        *first, index = ints_first(saved["index"])
        view = dx[first[0]] if first else dx       # the ints' selection: a view into dx
        if _is_basic(index):
            view[index] = g
        else:
            np.add.at(view, index, g)              # repeated indices add up (scatter-add)
        return dx


class Concatenate(Op):
    """out = concatenate(xs, axis)."""
    name = "concatenate"
    rule = "dxs = split(g, sizes, axis)"

    @staticmethod
    def forward(*xs, needs_input_grad, axis=0):
        _check_join("concatenate", xs, axis, same_axis=True)
        out = np.concatenate(xs, axis=axis)
        return out, {"splits": np.cumsum([x.shape[axis] for x in xs])[:-1], "axis": axis}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        parts = np.split(g, saved["splits"], axis=saved["axis"])
        return tuple(p if need else None for p, need in zip(parts, needs_input_grad))


class Stack(Op):
    """out = stack(xs, axis): a new axis."""
    name = "stack"
    rule = "dxs = unstack(g, axis)"

    @staticmethod
    def forward(*xs, needs_input_grad, axis=0):
        _check_join("stack", xs, axis, same_axis=False)
        out = np.stack(xs, axis=axis)
        return out, {"n": len(xs), "axis": axis}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return tuple(np.take(g, i, axis=saved["axis"]) if need else None
                     for i, need in enumerate(needs_input_grad))


PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "edge": "edge",
             "circular": "wrap", "wrap": "wrap"}     # torch's names and NumPy's -> np.pad's


class Pad(Op):
    """out = x padded by pad_width ((before, after) per axis, as np.pad); negative widths crop.

    mode (torch's names, NumPy's also work): 'constant' (value), 'reflect' (mirror, edge not
    repeated), 'replicate' (repeat the edge; NumPy 'edge'), 'circular' (wrap around; 'wrap').
    A side with a negative width is cropped before the other sides are padded, as torch does.
    """
    name = "pad"
    rule = "dx = g's interior, plus each padded cell's g added back onto the cell it copied"
    linear = True               # create_graph: its backward is recorded as one op
    linear_part = {"value": 0.0}       # the fill value is a constant, not part of the map

    @staticmethod
    def forward(x, *, needs_input_grad, pad_width, mode="constant", value=0.0):
        crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, pad_width))
        grow = tuple((max(b, 0), max(a, 0)) for b, a in pad_width)
        mode = _check_pad(x.shape, pad_width, mode, crop, grow)
        kwargs = {"constant_values": value} if mode == "constant" else {}
        out = np.pad(x[crop], grow, mode=mode, **kwargs)
        return out, {"shape": x.shape, "crop": crop, "grow": grow, "mode": mode}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        for axis, (before, after) in enumerate(saved["grow"]):
            if before or after:
                g = _fold_pad(g, axis, before, after, saved["mode"])
        if g.shape == saved["shape"]:
            return g
        dx = np.zeros(saved["shape"], dtype=g.dtype)      # cropped cells get no gradient
        dx[saved["crop"]] = g
        return dx


def _fold_pad(g, axis, before, after, mode):
    """Adjoint of np.pad along one axis: each padded cell's gradient goes to the cell it copied."""
    g = np.moveaxis(g, axis, 0)
    n = g.shape[0] - before - after
    dx, head, tail = g[before:before + n], g[:before], g[before + n:]
    if mode != "constant":
        dx = dx.copy()
    if mode == "edge":
        dx[0] += head.sum(axis=0)
        dx[-1] += tail.sum(axis=0)
    elif mode == "reflect":
        dx[1:before + 1] += head[::-1]
        dx[n - 1 - after:n - 1] += tail[::-1]
    elif mode == "wrap":
        dx[n - before:] += head
        dx[:after] += tail
    return np.moveaxis(dx, 0, axis)


def _check_pad(shape, pad_width, mode, crop, grow):
    """Widths fit the input and the mode -> np.pad's name of the mode; clear errors otherwise."""
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode={mode!r}; use 'constant', 'reflect', 'replicate' or "
                         "'circular'")
    if len(pad_width) != len(shape):
        raise ValueError(f"pad: pad_width {pad_width} has {len(pad_width)} pairs for input "
                         f"{shape}; give one (before, after) pair per axis")
    for axis, (n, cut, (before, after)) in enumerate(zip(shape, crop, grow)):
        kept = cut.stop - cut.start
        limit = {"reflect": kept - 1, "wrap": kept, "edge": kept and np.inf}.get(PAD_MODES[mode],
                                                                              np.inf)
        if kept < 0 or max(before, after) > limit:
            raise ValueError(f"pad: pad_width {pad_width} does not fit axis {axis} (size {n}) "
                             f"of input {shape} in mode {mode!r}: crops must leave >= 0 values "
                             "and reflect pads < size, circular pads <= size, replicate needs "
                             "a value to copy; pad less or use mode='constant'")
    return PAD_MODES[mode]
