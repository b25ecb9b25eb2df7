"""The fused batch_norm primitive: BN on batch statistics as ONE record, closed-form backward.

It must agree with the ten-record composed graph (functional.batch_norm, fused=False) to rounding.
"""
import numpy as np

from .base import Op


def _per_channel_dot(a, b, axes):
    """sum(a * b) over `axes`, keepdims: one einsum pass, no temporary the size of a."""
    letters = "abcdefgh"[:a.ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    dot = np.einsum(f"{letters},{letters}->{kept}", a, b)
    return dot.reshape([1 if i in axes else n for i, n in enumerate(a.shape)])


class BatchNorm(Op):
    """out = gamma * (x - mean(x)) / sqrt(var(x) + eps) + beta, statistics per channel over `axes`.

    Saves only xhat, ivar and gamma; `dxhat = g * gamma` in the rule.
    """
    name = "batch_norm"
    rule = ("dx = ivar/N * (N*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat)) ; "
            "dgamma = sum(g*xhat) ; dbeta = sum(g)")

    @staticmethod
    def forward(x, gamma=None, beta=None, axes=(0,), eps=1e-5):
        n = x.size // x.shape[1]
        xhat = np.subtract(x, x.mean(axis=axes, keepdims=True))   # xmu; becomes xhat in place
        ivar = 1.0 / np.sqrt(_per_channel_dot(xhat, xhat, axes) / n + eps)   # var without sq
        xhat *= ivar
        saved = {"xhat": xhat, "ivar": ivar, "axes": axes}
        if gamma is None:                             # affine=False: out is xhat (a copy, so the
            return xhat.copy(), saved                 # saved, read-only xhat is not handed out)
        saved["gamma"] = gamma = gamma.reshape(ivar.shape)
        out = np.multiply(xhat, gamma)
        out += beta.reshape(ivar.shape)
        return out, saved

    @staticmethod
    def backward(g, saved, needs_input_grad):
        xhat, ivar, axes = saved["xhat"], saved["ivar"], saved["axes"]
        n = g.size // ivar.size
        dbeta = g.sum(axis=axes, keepdims=True)      # = sum(dxhat) / gamma
        dgamma = _per_channel_dot(g, xhat, axes)      # = sum(dxhat*xhat) / gamma
        # dx = gamma*ivar * (g - (dbeta + xhat*dgamma)/N): the rule with dxhat = g*gamma, in place.
        dx = np.multiply(xhat, dgamma / n)
        dx += dbeta / n
        np.subtract(g, dx, out=dx)
        gamma = saved.get("gamma")
        dx *= ivar if gamma is None else gamma * ivar
        if gamma is None:
            return dx
        return dx, dgamma.reshape(-1), dbeta.reshape(-1)
