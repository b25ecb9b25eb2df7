"""numba loops of max_pool2d: the maxima and their offsets in one sweep, the gradient in one.

Arrays come batch-last, as (C, H, W, N) C-ordered views of (N, C, H, W) (engine/ops/windows.py),
so the innermost loop runs over the batch with no branch in it: LLVM vectorizes it. A cell of
the padding counts as `fill`, the dtype's lowest value, as in the reference (engine/ops/pool.py).
Imported on first use only (see fast/loops.py).
"""
from numba import njit


@njit(cache=True)
def max_windows(x, fill, kernel, stride, dilation, top_left, out, arg, first):
    """out[c, ho, wo, n] = max over the window (NaN wins), arg = offset k = i*kw + j of its first
    maximum, or of its last NaN: the reference's rules, window by window over the batch. `first`
    (n,) holds the offsets while a window runs, in an int as wide as x's dtype (so the select
    vectorizes with the compare; arg itself is uint8, as the reference's)."""
    c, h, w, n = x.shape
    (kh, kw), (sh, sw), (dh, dw), (pt, pl) = kernel, stride, dilation, top_left
    for ch in range(c):
        for ho in range(out.shape[1]):
            for wo in range(out.shape[2]):
                best = out[ch, ho, wo]
                best[:] = fill
                first[:] = 0
                for k in range(kh * kw):
                    row, col = ho * sh - pt + (k // kw) * dh, wo * sw - pl + (k % kw) * dw
                    if 0 <= row < h and 0 <= col < w:
                        offset = first.dtype.type(k)
                        for b in range(n):
                            v = x[ch, row, col, b]
                            wins = (v > best[b]) | (v != v)       # NaN wins: no branch here
                            best[b] = v if wins else best[b]
                            first[b] = offset if wins else first[b]
                arg[ch, ho, wo] = first


@njit(cache=True)
def window_grads(g, arg, kernel, stride, dilation, top_left, dx):
    """dx[c, row, col, n] += g where offset k of a window was its argmax (dx zeroed before)."""
    c, ho_n, wo_n, n = g.shape
    (kh, kw), (sh, sw), (dh, dw), (pt, pl) = kernel, stride, dilation, top_left
    h, w = dx.shape[1], dx.shape[2]
    for ch in range(c):
        for ho in range(ho_n):
            for wo in range(wo_n):
                for k in range(kh * kw):
                    row, col = ho * sh - pt + (k // kw) * dh, wo * sw - pl + (k % kw) * dw
                    if 0 <= row < h and 0 <= col < w:
                        for b in range(n):
                            dx[ch, row, col, b] += g[ch, ho, wo, b] * (arg[ch, ho, wo, b] == k)
