"""numba loop of the composed chain's products: a product summed per channel in one pass
(mul's gradient for a broadcast input).

Arrays come as C-ordered (P, C, Q) views; the sums add in float64.
Imported on first use only: importing numba takes about half a second.
"""
import numpy as np
from numba import njit

FASTMATH = {"reassoc", "contract"}      # lets LLVM vectorize the sums; no approximate maths


@njit(cache=True, fastmath=FASTMATH)
def channel_dots(g, a):
    """sum(g * a) over P and Q of (P, C, Q) views, per channel, in float64: no x-sized product."""
    p, c, q = g.shape
    out = np.zeros(c)
    if q == 1:                                  # (N, C): the inner loop runs over channels
        for i in range(p):
            for j in range(c):
                out[j] += np.float64(g[i, j, 0]) * a[i, j, 0]
    else:
        for i in range(p):
            for j in range(c):
                s = 0.0
                for l in range(q):
                    s += np.float64(g[i, j, l]) * a[i, j, l]
                out[j] += s
    return out

