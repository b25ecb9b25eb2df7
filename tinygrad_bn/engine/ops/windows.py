"""Window geometry shared by convolution and pooling on (N, C, H, W) arrays, as PyTorch lays them out.

A window of output pixel (h, w) covers input rows h*sh + i*dh (i < kh) of the padded input, and
likewise for columns. Every kernel offset (i, j) is one strided slice of the padded input over all
samples, channels and output pixels, so a loop over the kh*kw offsets does any window job with
vectorised NumPy: nothing loops per pixel or sample.

Arrays made here keep the shape (N, C, H, W) but are stored batch-last, as (C, H, W, N) in memory
(`batch_last`): every window slice then runs over N contiguous values instead of W (4 to 8 on a
small image), which makes im2col, col2im and pooling several times faster. Any layout is accepted.
"""
import numpy as np


def pair(value, what, op, low=1):
    """An int or a pair of ints -> (vertical, horizontal); raises a clear error otherwise."""
    pair_ = (value, value) if isinstance(value, (int, np.integer)) else tuple(np.ravel(value))
    if len(pair_) != 2 or any(not isinstance(v, (int, np.integer)) or v < low for v in pair_):
        raise ValueError(f"{op}: {what}={value!r} must be an int >= {low} or a pair of them, "
                         f"e.g. {what}=2 or {what}=(2, 1)")
    return int(pair_[0]), int(pair_[1])


def padding_pairs(padding, op, kernel=None, dilation=(1, 1), stride=(1, 1)):
    """padding -> ((top, bottom), (left, right)).

    Accepts an int, a pair (ph, pw), torch F.pad's order (left, right, top, bottom), the pairs
    ((top, bottom), (left, right)) themselves, and, given a kernel, torch's 'valid' and 'same'
    ('same' puts the odd pixel of an even total at the bottom/right, as torch).
    """
    if isinstance(padding, str) and kernel is not None and padding in ("valid", "same"):
        if padding == "valid":
            return (0, 0), (0, 0)
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' needs stride=1, got stride={stride} (as in "
                             "torch); give the padding as numbers for a strided conv")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    flat = () if isinstance(padding, str) else tuple(np.ravel(padding))
    if (flat and all(isinstance(v, (int, np.integer)) and v >= 0 for v in flat)
            and len(flat) in (1, 2, 4)):
        if len(flat) == 4 and np.ndim(padding) == 1:       # torch F.pad order: left, right, top, bottom
            flat = (flat[2], flat[3], flat[0], flat[1])
        elif len(flat) < 4:
            flat = tuple(v for v in pair(padding, "padding", op, 0) for _ in range(2))
        return (int(flat[0]), int(flat[1])), (int(flat[2]), int(flat[3]))
    strings = " or 'same'/'valid'" if kernel is not None else ""
    raise ValueError(f"{op}: padding={padding!r} must be ints >= 0: an int, a pair (ph, pw), "
                     f"(left, right, top, bottom) as torch F.pad{strings}, e.g. padding=1")


def out_size(size, kernel, stride, dilation, op, what="input"):
    """Windows that fit along one axis of `size` (padded) pixels; raises if none does."""
    span = dilation * (kernel - 1) + 1
    if size < span:
        raise ValueError(f"{op}: kernel {kernel} (dilation {dilation}, spanning {span}) is larger "
                         f"than the (padded) {what} size {size}; use a smaller kernel or pad")
    return (size - span) // stride + 1


def offset_slices(i, j, stride, dilation, out_hw):
    """The strided slices of the padded input that kernel offset (i, j) sees, for every window."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    return (slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


def batch_last(shape, dtype, fill=0):
    """A new (N, C, H, W) array filled with `fill` (left unset for None: the caller writes every
    value), stored as (C, H, W, N) (see the module note), owning its memory (not a view)."""
    n, c, h, w = shape
    layout = np.empty((c, h, w, n), dtype=dtype).transpose(3, 0, 1, 2)
    out = np.empty_like(layout)       # owns its memory, so the engine keeps it as a gradient
    if fill is not None:
        out.fill(fill)
    return out


def pad_hw(x, pads, fill=0):
    """x (N, C, H, W) with pads ((top, bottom), (left, right)) of `fill` (x itself when none)."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = batch_last((n, c, h + pt + pb, w + pl + pr), x.dtype, fill)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def crop_hw(x, pads):
    """Inverse of pad_hw: the interior of x without its pads (a view)."""
    (pt, pb), (pl, pr) = pads
    return x[:, :, pt:x.shape[2] - pb, pl:x.shape[3] - pr]


def check_4d(shape, op, what="input"):
    """Shape (N, C, H, W) or a clear error naming the shape and the fix."""
    if len(shape) != 4:
        raise ValueError(f"{op}: {what} has shape {tuple(shape)}; expected (N, C, H, W), e.g. "
                         "x.reshape(1, C, H, W) for one sample or x.reshape(N, 1, H, W) for one "
                         "channel")
