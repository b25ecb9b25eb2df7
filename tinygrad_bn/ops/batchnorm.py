"""The fused batch_norm primitive: BN on batch statistics as ONE record, closed-form backward.

It must agree with the ten-record composed graph (functional.batch_norm, fused=False) to rounding.
"""
import numpy as np

from .base import Op


class BatchNorm(Op):
    """out = gamma * (x - mean(x)) / sqrt(var(x) + eps) + beta, statistics per channel over `axes`.

    Saves only xhat, ivar and gamma; `dxhat = g * gamma` in the rule.
    """
    name = "batch_norm"
    rule = ("dx = ivar/N * (N*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat)) ; "
            "dgamma = sum(g*xhat) ; dbeta = sum(g)")

    @staticmethod
    def forward(x, gamma=None, beta=None, axes=(0,), eps=1e-5):
        mu = x.mean(axis=axes, keepdims=True)
        xhat = np.subtract(x, mu)                     # xmu for now; becomes xhat in place below
        buf = np.square(xhat)                         # sq; the buffer is reused for out
        ivar = 1.0 / np.sqrt(buf.mean(axis=axes, keepdims=True) + eps)
        xhat *= ivar
        saved = {"xhat": xhat, "ivar": ivar, "axes": axes}
        if gamma is None:                             # affine=False: out is xhat (a copy, so the
            np.copyto(buf, xhat)                      # saved, read-only xhat is not handed out)
            return buf, saved
        saved["gamma"] = gamma = gamma.reshape(mu.shape)
        out = np.multiply(xhat, gamma, out=buf)
        out += beta.reshape(mu.shape)
        return out, saved

    @staticmethod
    def backward(g, saved):
        xhat, ivar, axes = saved["xhat"], saved["ivar"], saved["axes"]
        n = g.size // ivar.size
        dbeta = g.sum(axis=axes, keepdims=True)      # = sum(dxhat) / gamma
        dx = np.multiply(g, xhat)
        dgamma = dx.sum(axis=axes, keepdims=True)    # = sum(dxhat*xhat) / gamma
        # dx = gamma*ivar * (g - (dbeta + xhat*dgamma)/N): the rule with dxhat = g*gamma, in place.
        np.multiply(xhat, dgamma / n, out=dx)
        dx += dbeta / n
        np.subtract(g, dx, out=dx)
        gamma = saved.get("gamma")
        dx *= ivar if gamma is None else gamma * ivar
        if gamma is None:
            return dx
        return dx, dgamma.reshape(-1), dbeta.reshape(-1)
