"""numba loop of conv2d's backward: col2im straight into the unpadded input gradient.

Arrays come batch-last, as (C, H, W, N) views of (N, C, H, W) (engine/ops/windows.py), and dcols
as (C, kh, kw, Ho, Wo, N), the reference's im2col layout: the innermost loop runs over the batch.
A window cell in the padding takes no gradient, so no padded dx is made and cropped.
Imported on first use only (fast/loops.py).
"""
from numba import njit


@njit(cache=True)
def col2im(dcols, top_left, stride, dilation, dx):
    """dx[c, row, col, n] += dcols[c, i, j, ho, wo, n] for every window cell inside x (dx zeroed
    before): im2col's adjoint, overlapping windows adding up."""
    c_n, h, w, n = dx.shape
    _, kh, kw, ho_n, wo_n, _ = dcols.shape
    (pt, pl), (sh, sw), (dh, dw) = top_left, stride, dilation
    for c in range(c_n):
        for i in range(kh):
            for j in range(kw):
                for ho in range(ho_n):
                    row = ho * sh - pt + i * dh
                    if 0 <= row < h:
                        for wo in range(wo_n):
                            col = wo * sw - pl + j * dw
                            if 0 <= col < w:
                                for b in range(n):
                                    dx[c, row, col, b] += dcols[c, i, j, ho, wo, b]
