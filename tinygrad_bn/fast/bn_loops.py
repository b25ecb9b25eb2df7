"""numba loops of the fused batch_norm: two passes over x forward, two over (x, g) backward.

Arrays come as C-ordered 3-D views (P, C, Q), statistics per channel over P and Q (see
fast/batchnorm.py). Sums are float64; for (N, C) (Q = 1) each block of BLOCK rows is summed
in x's dtype first (float32 vectorizes at twice the width). Elementwise passes run in x's dtype.
Imported on first use only: importing numba takes about half a second.
"""
import numpy as np
from numba import njit

FASTMATH = {"reassoc", "contract"}      # lets LLVM vectorize the sums; no approximate maths
BLOCK = 64                              # rows per partial sum in x's dtype, for (N, C)


@njit(cache=True, fastmath=FASTMATH)
def channel_stats(x):
    """(mean, biased var) per channel in one pass: sums of d = x - shift with shift = x[0, c, 0],
    a sample of the channel, so sum(d*d) - sum(d)**2/n does not cancel the way raw sums can."""
    p, c, q = x.shape
    shift = x[0, :, 0].copy()
    s1, s2 = np.zeros(c), np.zeros(c)
    if q == 1:                                  # (N, C): the inner loop runs over channels
        a, b = np.empty(c, x.dtype), np.empty(c, x.dtype)
        for i0 in range(0, p, BLOCK):
            a[:] = 0
            b[:] = 0
            for i in range(i0, min(i0 + BLOCK, p)):
                for j in range(c):
                    d = x[i, j, 0] - shift[j]
                    a[j] += d
                    b[j] += d * d
            s1 += a
            s2 += b
    else:
        for i in range(p):
            for j in range(c):
                k, a, b = np.float64(shift[j]), 0.0, 0.0       # float64 d: faster here
                for l in range(q):
                    d = x[i, j, l] - k
                    a += d
                    b += d * d
                s1[j] += a
                s2[j] += b
    n = p * q
    mean = shift + s1 / n
    var = np.maximum((s2 - s1 * s1 / n) / n, 0.0)
    return mean, var


@njit(cache=True, fastmath=FASTMATH)
def scale_shift(x, mean, scale, beta, out):
    """out = (x - mean) * scale + beta per channel: the normalised, affine output in one pass."""
    p, c, q = x.shape
    for i in range(p):
        if q == 1:
            for j in range(c):
                out[i, j, 0] = (x[i, j, 0] - mean[j]) * scale[j] + beta[j]
        else:
            for j in range(c):
                m, s, b = mean[j], scale[j], beta[j]
                for l in range(q):
                    out[i, j, l] = (x[i, j, l] - m) * s + b


@njit(cache=True, fastmath=FASTMATH)
def grad_sums(g, x, mean):
    """(sum(g), sum(g * (x - mean))) per channel in one pass: dbeta and dgamma / ivar."""
    p, c, q = x.shape
    s1, s2 = np.zeros(c), np.zeros(c)
    if q == 1:
        a, b = np.empty(c, x.dtype), np.empty(c, x.dtype)
        for i0 in range(0, p, BLOCK):
            a[:] = 0
            b[:] = 0
            for i in range(i0, min(i0 + BLOCK, p)):
                for j in range(c):
                    a[j] += g[i, j, 0]
                    b[j] += g[i, j, 0] * (x[i, j, 0] - mean[j])
            s1 += a
            s2 += b
    else:
        for i in range(p):
            for j in range(c):
                m, a, b = mean[j], 0.0, 0.0
                for l in range(q):
                    a += g[i, j, l]
                    b += g[i, j, l] * (x[i, j, l] - m)
                s1[j] += a
                s2[j] += b
    return s1, s2


@njit(cache=True, fastmath=FASTMATH)
def input_grad(g, x, mean, scale, shift, slope, dx):
    """dx = scale * (g - shift - (x - mean) * slope) per channel in one pass, with
    scale = gamma*ivar, shift = dbeta/N, slope = ivar*dgamma/N: the op's rule, rearranged."""
    p, c, q = x.shape
    for i in range(p):
        if q == 1:
            for j in range(c):
                dx[i, j, 0] = scale[j] * (g[i, j, 0] - shift[j] - (x[i, j, 0] - mean[j]) * slope[j])
        else:
            for j in range(c):
                m, s, h, k = mean[j], scale[j], shift[j], slope[j]
                for l in range(q):
                    dx[i, j, l] = s * (g[i, j, l] - h - (x[i, j, l] - m) * k)
