"""The fused batch_norm through numba: the same primitive as engine/ops/batchnorm.py, 4 passes.

The reference makes 12 passes over x-sized arrays (NumPy has one loop per call); the loops in
fast/bn_loops.py make 2 forward and 2 backward. Same record, same rule, same saved keys.
"""
import numpy as np

from ..engine.ops.batchnorm import BatchNorm
from .loops import compiled, per_channel, readonly


class BatchNormKernel(BatchNorm):
    """The fused batch_norm primitive in four compiled passes; other layouts run the reference."""

    @staticmethod
    def forward(x, gamma=None, beta=None, *, needs_input_grad, axes=(0,), eps=1e-5):
        x3, bn = channels3(x), compiled("bn_loops")
        if x3 is None or bn is None or x.size == 0 or axes != (0,) + tuple(range(2, x.ndim)):
            return BatchNorm.forward(x, gamma, beta, needs_input_grad=needs_input_grad, axes=axes,
                                     eps=eps)
        mean, var = bn.channel_stats(readonly(x3))
        scale = 1.0 / np.sqrt(var + eps)                      # ivar, eps inside the sqrt
        if gamma is not None:
            scale *= gamma
        shift = np.zeros_like(mean) if beta is None else beta
        out = np.empty_like(x)                                # x's memory layout
        bn.scale_shift(readonly(x3), *per_channel(x.dtype, mean, scale, shift), channels3(out))
        saved = {"x": x, "var": var.astype(x.dtype), "eps": eps, "axes": axes,
                 "mean": mean.astype(x.dtype)}
        if gamma is not None:
            saved["gamma"] = gamma
        return out, saved

    @staticmethod
    def backward(g, saved, needs_input_grad):
        x, gamma, bn = saved["x"], saved.get("gamma"), compiled("bn_loops")
        x3 = channels3(x)
        if x3 is None or bn is None:
            return BatchNorm.backward(g, saved, needs_input_grad)
        g3 = channels3(g)
        if g3 is None or g3.shape != x3.shape:                # g in another layout: copy once
            g3 = channels3(like(x, g))
        n, mean = x.size // x.shape[1], readonly(saved["mean"])
        ivar = 1.0 / np.sqrt(saved["var"].astype(np.float64) + saved["eps"])
        dbeta, dgamma = bn.grad_sums(readonly(g3), readonly(x3), mean)
        dgamma *= ivar                                        # sum(g*xhat)
        dx = None
        if needs_input_grad[0]:
            dx = np.empty_like(x)
            scale = ivar if gamma is None else gamma * ivar
            coefficients = per_channel(x.dtype, scale, dbeta / n, ivar * dgamma / n)
            bn.input_grad(readonly(g3), readonly(x3), mean, *coefficients, channels3(dx))
        if gamma is None:
            return dx
        return dx, dgamma.astype(x.dtype), dbeta.astype(x.dtype)


def channels3(a):
    """a (N, C, ...) as a C-ordered 3-D view (P, C, Q) with statistics over P and Q, or None:
    (N, C, H*W) for a C-ordered a, (1, C, H*W*N) for a batch-last one (conv2d's output)."""
    if a.flags.c_contiguous:
        return a.reshape(a.shape[0], a.shape[1], -1)
    last = np.moveaxis(a, 0, -1)
    if last.flags.c_contiguous:
        return last.reshape(1, a.shape[1], -1)
    return None


def like(x, a):
    """A copy of a in x's memory layout."""
    out = np.empty_like(x, dtype=a.dtype)
    out[...] = a
    return out
