"""conv2d's backward with col2im through numba; the rest is the reference (engine/ops/conv.py)
with its products under the BLAS policy (fast/blas.py).

The reference scatters the input gradient into a zeroed, padded dx and crops it: a view, which
the engine then copies once more. The loop here writes the unpadded dx in one pass, batch-last
(as max_pool2d's kernel and relu read it) and owning its memory, so the engine keeps it.
The forward is the reference's: same saved keys (cols, w, xpad_shape, args).
"""
from ..engine.ops.conv import channels_first, conv_dcols
from ..engine.ops.windows import batch_last
from .blas import POLICY_KERNELS, small_product
from .loops import compiled, readonly
from .pool import last

Reference = POLICY_KERNELS["conv2d"]     # the reference maths under the BLAS policy


class Conv2dKernel(Reference):
    """conv2d whose input gradient comes from a compiled col2im (without numba, the reference)."""

    @staticmethod
    def backward(g, saved, needs_input_grad):
        cols, w, args, loops = saved["cols"], saved["w"], saved["args"], compiled("conv_loops")
        if loops is None or not needs_input_grad[0]:
            return Reference.backward(g, saved, needs_input_grad)
        n, c, hp, wp = saved["xpad_shape"]
        (pt, pb), (pl, pr) = args.padding
        g_cf = channels_first(g, args.groups)
        with small_product(w.size * cols.shape[-1]):
            dcols = conv_dcols(g_cf, w, args.groups)
            dw = (g_cf @ cols.transpose(0, 2, 1)).reshape(w.shape) if needs_input_grad[1] \
                else None
        dx = batch_last((n, c, hp - pt - pb, wp - pl - pr), g.dtype, 0)
        loops.col2im(readonly(dcols.reshape((c,) + w.shape[2:] + g.shape[2:] + (n,))),
                     (pt, pl), args.stride, args.dilation, last(dx))
        return dx, dw
