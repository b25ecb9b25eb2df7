"""The fused batch_norm primitive: BN on batch statistics as ONE record, closed-form backward.

It must agree with the ten-record composed graph (functional.batch_norm, fused=False) to rounding.
Written for few passes over x, since at BN's sizes NumPy's time is passes over memory: per-channel
sums go through BLAS (ones @ x), per-channel sums of products and products with a per-channel
vector are one einsum pass each (no temporary the size of x), and every full-size array is
written in place once it exists.
"""
import numpy as np

from ..blas import small_product
from .base import Op


def _channel_sum(a):
    """sum(a) over every axis but 1 -> (C,), as matrix-vector products (BLAS, no temporary)."""
    n, c = a.shape[:2]
    with small_product(a.size):
        rows = np.ones(n, a.dtype) @ a.reshape(n, -1)      # (C * L,): the batch axis summed
        return rows if a.ndim == 2 else rows.reshape(c, -1) @ np.ones(rows.size // c, a.dtype)


def _channel_dot(a, b):
    """sum(a * b) over every axis but 1 -> (C,): one einsum pass, no temporary the size of a."""
    if a.ndim == 2:
        return np.einsum("nc,nc->c", a, b)
    return np.einsum("ncl,ncl->c", _channels(a), _channels(b))


def _channel_scale(a, v):
    """a * v with v (C,) per channel, into a new array: one einsum pass (for a row vector it
    beats the broadcasting multiply, which walks x one row at a time)."""
    if a.ndim == 2:
        return np.einsum("nc,c->nc", a, v)
    return np.einsum("ncl,c->ncl", _channels(a), v).reshape(a.shape)


def _channels(a):
    """a (N, C, ...) as a 3-D view (N, C, L): every BN layout reduces over axes 0 and 2."""
    return a.reshape(a.shape[0], a.shape[1], -1)


class BatchNorm(Op):
    """out = gamma * (x - mean(x)) / sqrt(var(x) + eps) + beta, statistics per channel (axis 1).

    Forward, 4 passes over x-sized arrays: mean (BLAS), xmu = x - mean, var = sum(xmu * xmu) / N,
    out = xmu * (gamma * ivar) then += beta. Backward, 6: sum(g) (BLAS), sum(g * xmu), then dx
    built in place in 4: xmu * k, + dbeta / N, g - that, * gamma * ivar.
    Saves xmu (not xhat = xmu * ivar: one pass fewer), the batch (biased) var, eps, gamma and the
    batch mean: the running statistics take mean and var from here.
    """
    name = "batch_norm"
    rule = ("dx = ivar/N * (N*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat)) ; "
            "dgamma = sum(g*xhat) ; dbeta = sum(g)")

    @staticmethod
    def forward(x, gamma=None, beta=None, axes=(0,), eps=1e-5):
        if axes != (0,) + tuple(range(2, x.ndim)):
            raise ValueError(f"batch_norm: axes={axes} for input {x.shape}; the fused primitive "
                             "normalizes per channel (axis 1) over every other axis, "
                             f"axes={(0,) + tuple(range(2, x.ndim))}")
        n = x.size // x.shape[1]
        mean = _channel_sum(x) / n
        xmu = np.subtract(x, _per_channel(mean, x.ndim))
        var = _channel_dot(xmu, xmu) / n
        ivar = _ivar(var, eps)
        saved = {"xmu": xmu, "var": var, "eps": eps, "axes": axes, "mean": mean}
        if gamma is None:                                      # affine=False: out is xhat
            return _channel_scale(xmu, ivar), saved
        saved["gamma"] = gamma
        out = _channel_scale(xmu, gamma * ivar)                # gamma * xhat in one pass
        out += _per_channel(beta, x.ndim)
        return out, saved

    @staticmethod
    def backward(g, saved, needs_input_grad):
        xmu, gamma = saved["xmu"], saved.get("gamma")
        ivar, n = _ivar(saved["var"], saved["eps"]), g.size // g.shape[1]
        dbeta = _channel_sum(g)                                # = sum(dxhat) / gamma
        dgamma = _channel_dot(g, xmu)
        dgamma *= ivar                                         # = sum(g*xhat) = sum(dxhat*xhat) / gamma
        if not needs_input_grad[0]:
            return None if gamma is None else (None, dgamma, dbeta)
        # dx = gamma*ivar * (g - (dbeta + xhat*dgamma)/N): the rule with dxhat = g*gamma, in place.
        dx = _channel_scale(xmu, dgamma * ivar / n)            # xhat * dgamma / N
        dx += _per_channel(dbeta / n, g.ndim)
        np.subtract(g, dx, out=dx)
        dx *= _per_channel(ivar if gamma is None else gamma * ivar, g.ndim)
        if gamma is None:
            return dx
        return dx, dgamma, dbeta


def _per_channel(v, ndim):
    """A (C,) vector shaped (1, C, 1, ...) to broadcast against an ndim-dimensional BN input."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _ivar(var, eps):
    """ivar = 1 / sqrt(var + eps) per channel (eps inside the sqrt: var = 0 stays finite)."""
    return 1.0 / np.sqrt(var + eps)
