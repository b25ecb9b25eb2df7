"""The fused batch_norm primitive: BN on batch statistics as ONE record, closed-form backward.

It must agree with the ten-record composed graph (functional.batch_norm, fused=False) to rounding.
Written for few passes over x, since at BN's sizes NumPy's time is passes over memory: per-channel
sums go through BLAS (ones @ x, blas.blas_sum), per-channel sums of products are one einsum pass
each (no temporary the size of x), and each full-size array is made once and then updated in place.
"""
import math

import numpy as np

from .base import Op
from .reduce import channel_sum


def _channel_dot(a, b):
    """sum(a * b) over every axis but 1 -> (C,): one einsum pass, no temporary the size of a."""
    if a.ndim == 2:
        return np.einsum("nc,nc->c", a, b)
    return np.einsum("ncl,ncl->c", _channels(a), _channels(b))


def _channels(a):
    """a (N, C, ...) as a 3-D view (N, C, L): every BN layout reduces over axes 0 and 2."""
    return a.reshape(a.shape[0], a.shape[1], -1)


class BatchNorm(Op):
    """out = gamma * (x - mean(x)) / sqrt(var(x) + eps) + beta, statistics per channel (axis 1).

    Forward, 5 passes over x-sized arrays: mean (BLAS), out = x - mean (xmu, in out's array),
    var = sum(out * out) / N, out *= gamma * ivar, out += beta. Backward, 7: sum(g) (BLAS),
    dx = x - mean (xmu again, in dx's array), sum(g * dx), then in place dx *= dgamma * ivar / N,
    += dbeta / N, g - dx, *= gamma * ivar. Writing a new array costs about two in-place passes,
    so making xmu again in backward costs what storing it would, and the only full-size array
    saved is x itself (alive anyway): the op adds out and dx to memory, nothing more. Also saves
    the batch (biased) var, eps, gamma and the batch mean (the running statistics take them).
    Elementwise passes see x (N, C, H, W) as rows (N, C * H * W) against per-channel values
    repeated H * W times: one long inner loop per row instead of one per (n, c) pair.
    """
    name = "batch_norm"
    rule = ("dx = ivar/N * (N*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat)) ; "
            "dgamma = sum(g*xhat) ; dbeta = sum(g)")

    @staticmethod
    def forward(x, gamma=None, beta=None, *, needs_input_grad, axes=(0,), eps=1e-5):
        if axes != (0,) + tuple(range(2, x.ndim)):
            raise ValueError(f"batch_norm: axes={axes} for input {x.shape}; the fused primitive "
                             "normalizes per channel (axis 1) over every other axis, "
                             f"axes={(0,) + tuple(range(2, x.ndim))}")
        n = x.size // x.shape[1]
        mean = channel_sum(x) / n
        out = np.empty_like(x)                                 # x's memory layout (conv: batch last)
        rows = _rows(out, out)
        np.subtract(_rows(x, out), _spread(mean, out), out=rows)     # xmu, in the output's array
        var = _channel_dot(out, out) / n
        saved = {"x": x, "var": var, "eps": eps, "axes": axes, "mean": mean}
        scale = _ivar(var, eps)                                # out = xhat = xmu * ivar, or
        if gamma is not None:                                  # gamma * xhat = xmu * (gamma * ivar)
            saved["gamma"] = gamma
            scale *= gamma
        rows *= _spread(scale, out)
        if beta is not None:
            rows += _spread(beta, out)
        return out, saved

    @staticmethod
    def backward(g, saved, needs_input_grad):
        gamma = saved.get("gamma")
        ivar, n = _ivar(saved["var"], saved["eps"]), g.size // g.shape[1]
        dbeta = channel_sum(g)                                 # = sum(dxhat) / gamma
        dx = np.empty_like(g)
        rows = _rows(dx, dx)
        np.subtract(_rows(saved["x"], dx), _spread(saved["mean"], dx), out=rows)    # xmu again
        dgamma = _channel_dot(g, dx)
        dgamma *= ivar                                         # sum(g*xhat) = sum(dxhat*xhat)/gamma
        if not needs_input_grad[0]:
            return None if gamma is None else (None, dgamma, dbeta)
        # dx = gamma*ivar * (g - (dbeta + xhat*dgamma)/N): the rule with dxhat = g*gamma, in place.
        rows *= _spread(dgamma * ivar / n, dx)                  # xhat * dgamma / N
        rows += _spread(dbeta / n, dx)
        np.subtract(_rows(g, dx), rows, out=rows)
        rows *= _spread(ivar if gamma is None else gamma * ivar, dx)
        if gamma is None:
            return dx
        return dx, dgamma, dbeta


def _rows(a, out):
    """a (N, C, ...) as 2-D (N, C * L) when `out`, the array being written, is C-ordered: against a
    per-channel row NumPy's inner loop then runs over whole rows, not L values at a time (2x at
    L = 256). Other layouts (conv's output keeps its batch axis last) stay as they are."""
    if a.ndim == 2 or not out.flags.c_contiguous:
        return a
    return a.reshape(a.shape[0], math.prod(a.shape[1:]))


def _spread(v, out):
    """v (C,) shaped to broadcast against _rows(..., out): each channel's value repeated over its
    L = H * W * ... columns for a C-ordered `out`, else (1, C, 1, ...)."""
    if out.ndim == 2:
        return v
    if out.flags.c_contiguous:
        return np.repeat(v, math.prod(out.shape[2:]))
    return v.reshape((1, -1) + (1,) * (out.ndim - 2))


def _ivar(var, eps):
    """ivar = 1 / sqrt(var + eps) per channel (eps inside the sqrt: var = 0 stays finite)."""
    return 1.0 / np.sqrt(var + eps)
