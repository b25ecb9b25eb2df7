"""max_pool2d through numba: the same primitive as engine/ops/pool.py, one pass each way.

The reference takes a strided slice per kernel offset and compares them (about 3 passes per
offset); the loop here reads each window once and scatters the gradient in one pass.
"""
import numpy as np

from ..engine.ops.pool import MaxPool2d, pool_args
from ..engine.ops.windows import batch_last
from .loops import compiled, readonly


class MaxPool2dKernel(MaxPool2d):
    """max_pool2d with its argmax in one compiled pass; inputs not stored batch-last (as conv2d,
    batch_norm and relu leave them) run the reference."""

    @staticmethod
    def forward(x, *, needs_input_grad, kernel_size, stride=None, padding=0, dilation=1,
                ceil_mode=False):
        pool = compiled("pool_loops")
        if x.ndim != 4 or x.size == 0 or not last(x).flags.c_contiguous or pool is None:
            return MaxPool2d.forward(x, needs_input_grad=needs_input_grad,
                                     kernel_size=kernel_size, stride=stride, padding=padding,
                                     dilation=dilation, ceil_mode=ceil_mode)
        args = pool_args("max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
        shape = x.shape[:2] + args.out_hw
        out = batch_last(shape, x.dtype, None)
        arg = batch_last(shape, np.min_scalar_type(args.kernel[0] * args.kernel[1]), None)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        first = np.empty(x.shape[0], np.int64 if x.dtype.itemsize > 4 else np.int32)
        pool.max_windows(readonly(last(x)), x.dtype.type(fill), args.kernel, args.stride,
                         args.dilation, top_left(args), last(out), last(arg), first)
        return out, {"arg": arg, "shape": x.shape, "args": args}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        arg, args, pool = last(saved["arg"]), saved["args"], compiled("pool_loops")
        if not arg.flags.c_contiguous or pool is None:
            return MaxPool2d.backward(g, saved, needs_input_grad)
        dx = batch_last(saved["shape"], g.dtype, 0)
        pool.window_grads(readonly(np.ascontiguousarray(last(g))),
                          readonly(arg), args.kernel, args.stride, args.dilation,
                          top_left(args), last(dx))
        return dx


def top_left(args):
    """(top, left) padding: where window (0, 0) starts, above and left of the input."""
    return args.pads[0][0], args.pads[1][0]


def last(a):
    """(N, C, H, W) -> the (C, H, W, N) view: C-ordered for an array stored batch-last."""
    return a.transpose(1, 2, 3, 0)
