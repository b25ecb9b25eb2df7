"""Convolution and pooling primitives on (N, C, H, W) arrays, as PyTorch lays them out.

Every window is a strided view (`_windows`, no copy); the forward is then one einsum over it.
The backward scatters window gradients back with `_col2im`: a loop over the kh*kw kernel
offsets, each one vectorised strided add over all samples, channels and pixels.
Route measured (one BLAS thread, 3x3 kernels): einsum(optimize=True) vs tensordot vs im2col
matmul, in ms. N=64, 16->32 channels, 8x8, float64: forward 2.1 / 9.7 / 3.5, dw 2.2 / 3.2 / 8.4,
dcols 2.1 / 1.6 / 1.3; N=128, 8->16, 16x16, float32: 7.8 / 16 / 16, 8.6 / 14 / 13, 1.8 / 3.3 / 5.5.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .base import Op


def pair(value, what, op, low=1):
    """An int or a pair of ints -> (vertical, horizontal); raises a clear error otherwise."""
    pair_ = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair_) != 2 or any(not isinstance(v, (int, np.integer)) or v < low for v in pair_):
        raise ValueError(f"{op}: {what}={value!r} must be an int >= {low} or a pair of them, "
                         f"e.g. {what}=2 or {what}=(2, 1)")
    return int(pair_[0]), int(pair_[1])


def _windows(x, kernel, stride, op):
    """(N, C, H, W) -> (N, C, Ho, Wo, kh, kw) view: window (i, j) starts at (i*sh, j*sw)."""
    (kh, kw), (sh, sw) = kernel, stride
    if x.ndim != 4:
        raise ValueError(f"{op}: input has shape {x.shape}; expected (N, C, H, W), e.g. "
                         "x.reshape(N, 1, H, W) for one channel")
    if x.shape[2] < kh or x.shape[3] < kw:
        raise ValueError(f"{op}: kernel {kh}x{kw} is larger than the (padded) input "
                         f"{x.shape[2]}x{x.shape[3]} of {x.shape}; use a smaller kernel or pad")
    return sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]


def _col2im(dcols, shape, stride):
    """Adjoint of _windows: add each window's gradient (N, C, Ho, Wo, kh, kw) back into `shape`.

    Overlapping windows add up. One strided add per kernel offset, none per pixel or sample.
    """
    (sh, sw), (ho, wo) = stride, dcols.shape[2:4]
    dx = np.zeros(shape, dtype=dcols.dtype)
    for i in range(dcols.shape[4]):
        for j in range(dcols.shape[5]):
            dx[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += dcols[..., i, j]
    return dx


class Conv2d(Op):
    """out[n,o] = sum_c,i,j xpad[n,c, h*s+i, w*s+j] * w[o,c,i,j] (cross-correlation, as torch)."""
    name = "conv2d"
    rule = "dx = col2im(g . w) ; dw = g . windows(xpad)"

    @staticmethod
    def forward(x, w, stride=1, padding=0):
        stride, (ph, pw) = pair(stride, "stride", "conv2d"), pair(padding, "padding", "conv2d", 0)
        if w.ndim != 4 or x.ndim != 4 or x.shape[1] != w.shape[1]:
            raise ValueError(f"conv2d: input {x.shape} and weight {w.shape} do not fit; expected "
                             "x (N, Cin, H, W) and w (Cout, Cin, kh, kw) with the same Cin")
        xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        cols = _windows(xpad, w.shape[2:], stride, "conv2d")
        out = np.einsum("nchwij,ocij->nohw", cols, w, optimize=True)
        return out, {"xpad": xpad, "w": w, "stride": stride, "padding": (ph, pw)}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        xpad, w, stride, (ph, pw) = saved["xpad"], saved["w"], saved["stride"], saved["padding"]
        dcols = np.einsum("nohw,ocij->nchwij", g, w, optimize=True)
        dxpad = _col2im(dcols, xpad.shape, stride)
        cols = _windows(xpad, w.shape[2:], stride, "conv2d")
        dw = np.einsum("nohw,nchwij->ocij", g, cols, optimize=True)
        return dxpad[:, :, ph:xpad.shape[2] - ph, pw:xpad.shape[3] - pw], dw


def _pool_args(kernel_size, stride, op):
    kernel = pair(kernel_size, "kernel_size", op)
    return kernel, kernel if stride is None else pair(stride, "stride", op)


class MaxPool2d(Op):
    """out = max over each kh x kw window; g goes to the first maximum of a window (as torch)."""
    name = "max_pool2d"
    rule = "dx = col2im(g at argmax of each window, 0 elsewhere)"

    @staticmethod
    def forward(x, kernel_size, stride=None):
        kernel, stride = _pool_args(kernel_size, stride, "max_pool2d")
        cols = _windows(x, kernel, stride, "max_pool2d")
        flat = cols.reshape(*cols.shape[:4], -1)         # a copy: (N, C, Ho, Wo, kh*kw)
        arg = flat.argmax(axis=-1)[..., None]            # first maximum, as torch routes ties
        out = np.take_along_axis(flat, arg, axis=-1)[..., 0]
        return out, {"arg": arg, "shape": x.shape, "kernel": kernel, "stride": stride}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        arg, (kh, kw) = saved["arg"], saved["kernel"]
        dcols = np.zeros(arg.shape[:4] + (kh * kw,), dtype=g.dtype)
        np.put_along_axis(dcols, arg, g[..., None], axis=-1)
        return _col2im(dcols.reshape(*arg.shape[:4], kh, kw), saved["shape"], saved["stride"])


class AvgPool2d(Op):
    """out = mean over each kh x kw window."""
    name = "avg_pool2d"
    rule = "dx = col2im(g / (kh*kw) on every cell of each window)"

    @staticmethod
    def forward(x, kernel_size, stride=None):
        kernel, stride = _pool_args(kernel_size, stride, "avg_pool2d")
        out = _windows(x, kernel, stride, "avg_pool2d").mean(axis=(4, 5))
        return out, {"shape": x.shape, "kernel": kernel, "stride": stride}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        (kh, kw) = saved["kernel"]
        dcols = np.broadcast_to((g / (kh * kw))[..., None, None], g.shape + (kh, kw))
        return _col2im(dcols, saved["shape"], saved["stride"])
