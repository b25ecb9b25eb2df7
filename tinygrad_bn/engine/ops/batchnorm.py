"""The fused batch_norm primitive: BN on batch statistics as ONE record, closed-form backward.

It must agree with the ten-record composed graph (functional.batch_norm, fused=False) to rounding.
"""
import numpy as np

from .base import Op


class BatchNorm(Op):
    """out = gamma * (x - mean(x)) / sqrt(var(x) + eps) + beta, statistics per channel (axis 1).

    Saves x, the batch mean and (biased) var per channel, eps and gamma: backward makes xhat
    again from x (alive anyway) instead of keeping a second full-size array, and the running
    statistics read mean and var. Full-size results are updated in place (never g), so the op
    adds out and dx to memory and at most one temporary.
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
        shape = _per_channel(x)
        wide = np.float64 if x.dtype.char in "ef" else x.dtype    # float64 sums, as reduce's
        mean = x.mean(axis=axes, dtype=wide).astype(x.dtype, copy=False)
        out = x - mean.reshape(shape)                          # xmu, in the output's array
        var = (out * out).mean(axis=axes, dtype=wide).astype(x.dtype, copy=False)
        saved = {"x": x, "var": var, "eps": eps, "axes": axes, "mean": mean}
        scale = _ivar(var, eps)                                # out = xhat = xmu * ivar, or
        if gamma is not None:                                  # gamma * xhat = xmu * (gamma * ivar)
            saved["gamma"] = gamma
            scale = scale * gamma
        out *= scale.reshape(shape)
        if beta is not None:
            out += beta.reshape(shape)
        return out, saved

    @staticmethod
    def backward(g, saved, needs_input_grad):
        x, axes, gamma = saved["x"], saved["axes"], saved.get("gamma")
        shape, n = _per_channel(x), x.size // x.shape[1]
        ivar = _ivar(saved["var"], saved["eps"])
        xhat = x - saved["mean"].reshape(shape)
        xhat *= ivar.reshape(shape)
        dbeta = g.sum(axis=axes)                               # = sum(dxhat) / gamma
        dgamma = (g * xhat).sum(axis=axes)                     # = sum(dxhat * xhat) / gamma
        if not needs_input_grad[0]:
            return None if gamma is None else (None, dgamma, dbeta)
        # dx = gamma*ivar * (g - (dbeta + xhat*dgamma)/N): the rule with dxhat = g*gamma.
        xhat *= (dgamma / n).reshape(shape)
        xhat += (dbeta / n).reshape(shape)
        dx = g - xhat
        dx *= (ivar if gamma is None else gamma * ivar).reshape(shape)
        if gamma is None:
            return dx
        return dx, dgamma, dbeta

    @staticmethod
    def decompose(x, gamma=None, beta=None, axes=(0,), eps=1e-5):
        """create_graph: this backward works in place, so the walk goes through the textbook
        graph instead, the ten primitives of functional.batch_norm(fused=False): mean, sub,
        square, mean, add, sqrt, reciprocal, mul, mul, add (PyTorch writes a separate
        batchnorm_double_backward; here its maths comes from the ten rules)."""
        if gamma is not None and x.ndim > 2:    # (C,) against (N, C, H, W), first as composed
            gamma, beta = (t.reshape(1, -1, *(1,) * (x.ndim - 2)) for t in (gamma, beta))
        mu = x.mean(axis=axes, keepdims=True)
        xmu = x - mu
        var = xmu.square().mean(axis=axes, keepdims=True)
        xhat = xmu * (var + eps).sqrt().reciprocal()
        if gamma is None:
            return xhat
        return gamma * xhat + beta


def _per_channel(x):
    """The shape (1, C, 1, ...) of per-channel values broadcast against x (N, C, ...)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _ivar(var, eps):
    """ivar = 1 / sqrt(var + eps) per channel (eps inside the sqrt: var = 0 stays finite)."""
    return 1.0 / np.sqrt(var + eps)
