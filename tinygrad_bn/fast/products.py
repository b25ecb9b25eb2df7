"""mul through numba: the same primitive as engine/ops/elementwise.py, fewer passes.

The reference mul's backward builds g * a at full size for a broadcast input (gamma, ivar) and
the engine then sums it to the input's shape; here that input's gradient comes back summed, in
one pass with no x-sized temporary. square's g * 2 * x is one pass instead of two.
"""
import math

import numpy as np

from ..engine.ops.elementwise import Mul
from .loops import compiled, readonly

FLOATS = (np.float32, np.float64)


class MulKernel(Mul):
    """mul whose backward sums a broadcast input's gradient g * other in the same pass; other
    shapes and layouts run the reference."""

    @staticmethod
    def backward(g, saved, needs_input_grad):
        a, b, loops = saved["a"], saved["b"], compiled("product_loops")
        if loops is None or a is None or b is None or g.dtype.type not in FLOATS:
            return Mul.backward(g, saved, needs_input_grad)
        need_a, need_b = needs_input_grad
        if b.shape != g.shape and a.shape == g.shape and (view := channels_of(g.shape, b.shape)):
            return (g * b if need_a else None), (dots(loops, g, a, b, view) if need_b else None)
        if a.shape != g.shape and b.shape == g.shape and (view := channels_of(g.shape, a.shape)):
            return (dots(loops, g, b, a, view) if need_a else None), (g * a if need_b else None)
        return Mul.backward(g, saved, needs_input_grad)


def dots(loops, g, full, small, view):
    """sum(g * full) down to small's shape, in small's dtype (same as the full product summed)."""
    if not (g.flags.c_contiguous and full.flags.c_contiguous) or full.dtype != g.dtype:
        return (g * full).sum(axis=view[3]).reshape(small.shape)
    sums = loops.channel_dots(readonly(g.reshape(view[:3])), readonly(full.reshape(view[:3])))
    return sums.astype(g.dtype).reshape(small.shape)


def channels_of(big, small):
    """(P, C, Q, axes) when `small` broadcast to `big` spans one block of big's axes (as gamma
    (C,), ivar (1, C) or (1, C, 1, 1) do): big viewed as (P, C, Q), summed over P and Q; else
    None."""
    small = (1,) * (len(big) - len(small)) + tuple(small)
    kept = [i for i, n in enumerate(small) if n != 1]
    if not kept or kept != list(range(kept[0], kept[-1] + 1)) or any(
            small[i] != big[i] for i in kept) or math.prod(big) == 0:
        return None
    lo, hi = kept[0], kept[-1] + 1
    axes = tuple(i for i in range(len(big)) if not lo <= i < hi)
    return math.prod(big[:lo]), math.prod(big[lo:hi]), math.prod(big[hi:]), axes

