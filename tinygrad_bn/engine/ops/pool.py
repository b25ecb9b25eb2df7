"""Pooling primitives on (N, C, H, W) arrays with torch's arguments: max_pool2d and avg_pool2d.

Both loop over the kh*kw kernel offsets, each one strided slice of the padded input covering
every window (see windows.py): max keeps a running maximum and which offset gave it, avg a sum.
"""
from collections import namedtuple

import numpy as np

from .base import Op
from .windows import batch_last, check_4d, crop_hw, offset_slices, pad_hw, pair

PoolArgs = namedtuple("PoolArgs", "kernel stride dilation pads out_hw")


def pool_args(op, shape, kernel_size, stride, padding, dilation, ceil_mode):
    """Check torch's pooling arguments against input `shape` -> PoolArgs.

    pads are ((top, bottom), (left, right)); bottom/right include the extra rows that
    ceil_mode's last, partial window reaches past the padding (they never win a max, count 0).
    """
    check_4d(shape, op)
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () else pair(stride, "stride", op)
    padding, dilation = pair(padding, "padding", op, 0), pair(dilation, "dilation", op)
    pads, out_hw = [], []
    for size, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        if p > span // 2:
            raise ValueError(f"{op}: padding={padding} must be at most half the kernel's span "
                             f"(kernel_size={kernel}, dilation={dilation}), as in torch; use "
                             "a smaller padding or pad the input with F.pad")
        room = size + 2 * p - span
        n_out = (room + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (n_out - 1) * s >= size + p:    # the last window must start inside
            n_out -= 1
        if room < 0 or n_out < 1:
            raise ValueError(f"{op}: kernel {kernel} (dilation {dilation}) does not fit input "
                             f"{tuple(shape)} padded by {padding}; use a smaller kernel or pad")
        pads.append((p, max(p, (n_out - 1) * s + span - size - p)))
        out_hw.append(n_out)
    return PoolArgs(kernel, stride, dilation, tuple(pads), tuple(out_hw))


def offsets(args):
    """(k, (row slice, col slice)) for each kernel offset k = i*kw + j, over all windows."""
    kh, kw = args.kernel
    for k in range(kh * kw):
        yield k, (slice(None), slice(None)) + offset_slices(k // kw, k % kw, args.stride,
                                                            args.dilation, args.out_hw)


def max_windows(x, args):
    """(max of each window, offset k of its first maximum), as torch: ties go to the first, and a
    window holding NaN gives NaN with its last NaN as the argmax."""
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xpad = pad_hw(x, args.pads, fill)
    views = [xpad[where] for _, where in offsets(args)]
    out = views[0].copy(order="K")
    for view in views[1:]:
        np.maximum(out, view, out=out)               # propagates NaN, as torch's max does
    # arg counts the offsets before the first hit: where every earlier one missed, add 1. The
    # last offset needs no test (a window that missed all others has its max there), and there
    # are only boolean ufuncs and byte adds (a bool array viewed as uint8), no masked assignment.
    missed = views[0] != out
    arg = missed.astype(np.min_scalar_type(len(views)))
    for view in views[1:-1]:
        missed &= view != out
        arg += missed.view(np.uint8)
    if x.dtype.kind == "f" and np.isnan(out).any():
        for k, view in enumerate(views):
            np.copyto(arg, k, where=np.isnan(view))
    return out, arg


def window_grads(shape, dtype, args, grad_of_offset):
    """dx (N, C, H, W): each kernel offset k's cells of every window get grad_of_offset(k), added
    up where windows overlap (assigned when they cannot, which skips reading dx back; and when
    the windows tile the padded input exactly, as 2x2 stride-2 pooling does, nothing is zeroed)."""
    (pt, pb), (pl, pr) = args.pads
    n, c, h, w = shape
    padded = (h + pt + pb, w + pl + pr)
    overlap = any(s < d * (k - 1) + 1 for k, s, d in zip(args.kernel, args.stride, args.dilation))
    tiles = all(d == 1 and s == k and o * s == size for k, s, d, o, size in
                zip(args.kernel, args.stride, args.dilation, args.out_hw, padded))
    dxpad = batch_last((n, c) + padded, dtype, None if tiles else 0)
    for k, where in offsets(args):
        if overlap:
            dxpad[where] += grad_of_offset(k)
        else:
            dxpad[where] = grad_of_offset(k)
    return crop_hw(dxpad, args.pads)


def flat_indices(arg, args, width):
    """Offsets of the maxima -> torch's return_indices: flat index into H*W of the unpadded input."""
    (kh, kw), (sh, sw), (dh, dw), ((pt, _), (pl, _)) = (args.kernel, args.stride, args.dilation,
                                                         args.pads)
    rows = np.arange(args.out_hw[0])[:, None] * sh - pt + (arg // kw) * dh
    cols = np.arange(args.out_hw[1])[None, :] * sw - pl + (arg % kw) * dw
    return (rows * width + cols).astype(np.int64)


class MaxPool2d(Op):
    """out = max over each window (torch's padding, dilation, ceil_mode); g goes to its first max."""
    name = "max_pool2d"
    rule = "dx = g at the argmax of each window, 0 elsewhere (added where windows overlap)"

    @staticmethod
    def forward(x, *, needs_input_grad, kernel_size, stride=None, padding=0, dilation=1,
                ceil_mode=False):
        args = pool_args("max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
        out, arg = max_windows(x, args)
        return out, {"arg": arg, "shape": x.shape, "args": args}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        arg = saved["arg"]
        return window_grads(saved["shape"], g.dtype, saved["args"], lambda k: g * (arg == k))

    @staticmethod
    def decompose(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        """create_graph: this backward writes in place, so the walk goes through one slice per
        kernel offset, each times the constant mask of the windows whose max it holds."""
        args = pool_args("max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
        arg = max_windows(x.data, args)[1]
        xpad = x.pad(((0, 0), (0, 0)) + args.pads)       # pad cells never hold a max
        out = None
        for k, where in offsets(args):
            part = xpad[where] * (arg == k)
            out = part if out is None else out + part
        return out


def avg_divisor(shape, args, count_include_pad, divisor_override):
    """torch's divisor per output pixel (Ho, Wo): the window clipped to the padded input
    (count_include_pad) or to the input itself; a number when divisor_override is given."""
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0:
            raise ValueError(f"avg_pool2d: divisor_override={divisor_override!r} must be a "
                             "non-zero int, or None")
        return divisor_override
    counts = []
    for size, k, s, n_out, (p, _) in zip(shape[2:], args.kernel, args.stride, args.out_hw,
                                         args.pads):
        start = np.arange(n_out) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return np.outer(*counts)


class AvgPool2d(Op):
    """out = sum over each window / divisor (torch's padding, ceil_mode, count_include_pad)."""
    name = "avg_pool2d"
    rule = "dx = g / divisor on every cell of each window (added where windows overlap)"
    linear = True               # create_graph: its backward is recorded as one op

    @staticmethod
    def forward(x, *, needs_input_grad, kernel_size, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        args = pool_args("avg_pool2d", x.shape, kernel_size, stride, padding, 1, ceil_mode)
        divisor = np.asarray(avg_divisor(x.shape, args, count_include_pad, divisor_override),
                             dtype=x.dtype)
        xpad = pad_hw(x, args.pads)
        total = sum(xpad[where] for _, where in offsets(args))
        return total / divisor, {"divisor": divisor, "shape": x.shape, "args": args}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        share = g / saved["divisor"]
        return window_grads(saved["shape"], g.dtype, saved["args"], lambda k: share)
