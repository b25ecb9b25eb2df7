"""conv2d through numba: the reference's im2col / GEMM / col2im (engine/ops/conv.py), minus the
padded copies, with its products under the BLAS policy (fast/blas.py).

The reference pads x, then copies its windows (two passes), and scatters the gradient into a
padded dx that is then cropped (a view, which the engine copies again). The loops here read and
write the unpadded arrays in place: one pass each way, and dx is a batch-last array of its own.
Same saved keys (cols, w, xpad_shape, args), so the reference backward runs on them.
"""
import numpy as np

from ..engine.ops.conv import channels_first, check_channels, conv_args, conv_dcols, conv_out
from ..engine.ops.windows import batch_last, out_size
from .blas import POLICY_KERNELS, small_product
from .loops import compiled, readonly
from .pool import last

Reference = POLICY_KERNELS["conv2d"]     # the reference maths under the BLAS policy


class Conv2dKernel(Reference):
    """conv2d with im2col and col2im compiled; empty or non-float arrays run the reference."""

    @staticmethod
    def forward(x, w, *, needs_input_grad, stride=1, padding=0, dilation=1, groups=1):
        loops = compiled("conv_loops")
        if loops is None or x.ndim != 4 or x.size == 0 or x.dtype.kind != "f":
            return Reference.forward(x, w, needs_input_grad=needs_input_grad, stride=stride,
                                     padding=padding, dilation=dilation, groups=groups)
        args = conv_args("conv2d", w, stride, padding, dilation, groups)
        check_channels("conv2d", x, w, args.groups, 1)
        (n, c, h, wd), (kh, kw) = x.shape, w.shape[2:]
        padded = tuple(size + sum(p) for size, p in zip((h, wd), args.padding))
        out_hw = tuple(out_size(size, k, s, d, "conv2d") for size, k, s, d in
                       zip(padded, (kh, kw), args.stride, args.dilation))
        cols = np.empty((c, kh, kw) + out_hw + (n,), x.dtype)
        loops.im2col(readonly(last(x)), top_left(args), args.stride, args.dilation, cols)
        cols = cols.reshape(args.groups, -1, out_hw[0] * out_hw[1] * n)
        with small_product(w.size * cols.shape[-1]):
            out = conv_out(cols, w, n, out_hw, args.groups)
        return out, {"cols": cols, "w": w, "xpad_shape": (n, c) + padded, "args": args}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        cols, w, args, loops = saved["cols"], saved["w"], saved["args"], compiled("conv_loops")
        if loops is None or not needs_input_grad[0]:
            return Reference.backward(g, saved, needs_input_grad)
        n, c = saved["xpad_shape"][:2]
        (pt, pb), (pl, pr) = args.padding
        shape = (n, c, saved["xpad_shape"][2] - pt - pb, saved["xpad_shape"][3] - pl - pr)
        g_cf = channels_first(g, args.groups)
        with small_product(w.size * cols.shape[-1]):
            dcols = conv_dcols(g_cf, w, args.groups)
            dw = (g_cf @ cols.transpose(0, 2, 1)).reshape(w.shape) if needs_input_grad[1] \
                else None
        dx = batch_last(shape, g.dtype, 0)
        loops.col2im(readonly(dcols.reshape((c,) + w.shape[2:] + g.shape[2:] + (n,))),
                     top_left(args), args.stride, args.dilation, last(dx))
        return dx, dw


def top_left(args):
    """(top, left) padding: where window (0, 0) starts, above and left of the input."""
    return args.padding[0][0], args.padding[1][0]
