"""Plain-NumPy Batch Normalization, staged and simplified backward: the oracles for the tests.

Imports nothing from the engine, so a bug there cannot hide here. Name map, ours -> the
lectures (cs231n staged notes use ours; makemore part 4 "chunkates" BN under other names):
    mu       mean over the batch              makemore: bnmeani
    xmu      x - mu                           bndiff
    sq       xmu ** 2                         bndiff2
    var      mean(sq), biased (1/N)           bnvar   (makemore uses 1/(n-1), Bessel)
    var_eps  var + eps                        (inside bnvar_inv)
    sqrtvar  sqrt(var_eps), the std           (inside bnvar_inv)
    ivar     1 / sqrtvar: 1/std, NOT 1/var    bnvar_inv
    xhat     xmu * ivar                       bnraw
    gammax   gamma * xhat                     (bngain * bnraw)
    out      gammax + beta                    hpreact
"""
import numpy as np

NAMES = ("mu", "xmu", "sq", "var", "var_eps", "sqrtvar", "ivar", "xhat", "gammax", "out")


def reduce_axes(ndim):
    """The axes BN averages over: 0 for (N, D), (0, 2, 3) per channel for (N, C, H, W)."""
    if ndim not in (2, 4):
        raise ValueError(f"batch norm: x must be (N, D) or (N, C, H, W), got {ndim}-D; "
                         "reshape it to one of those")
    return (0,) if ndim == 2 else (0, 2, 3)


def per_feature(v, ndim):
    """Shape a (D,) or (C,) parameter so it broadcasts against x: (1, D) or (1, C, 1, 1)."""
    return np.reshape(v, (1, -1) if ndim == 2 else (1, -1, 1, 1))


def staged_forward(x, gamma, beta, eps=1e-5):
    """The ten-node textbook forward; returns (out, cache) with every intermediate by name.

    The cache also holds x, gamma (shaped to broadcast) and the count n per feature.
    """
    axes = reduce_axes(x.ndim)
    gamma, beta = per_feature(gamma, x.ndim), per_feature(beta, x.ndim)
    mu = x.mean(axis=axes, keepdims=True)
    xmu = x - mu
    sq = xmu ** 2
    var = sq.mean(axis=axes, keepdims=True)
    var_eps = var + eps                  # eps inside the sqrt: a constant channel gives 0, not nan
    sqrtvar = np.sqrt(var_eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    gammax = gamma * xhat
    out = gammax + beta
    cache = dict(mu=mu, xmu=xmu, sq=sq, var=var, var_eps=var_eps, sqrtvar=sqrtvar, ivar=ivar,
                 xhat=xhat, gammax=gammax, out=out, x=x, gamma=gamma, n=x.size // mu.size)
    return out, cache


def staged_backward(dout, cache):
    """Walk the ten nodes in reverse, one d<name> line each, `+=` where a value fans out.

    Returns every gradient by name (dout included); dgamma and dbeta have gamma's (D,) shape.
    """
    c, axes, n = cache, reduce_axes(dout.ndim), cache["n"]
    dgammax = dout                                      # out = gammax + beta
    dbeta = dout.sum(axis=axes)
    dgamma = (dgammax * c["xhat"]).sum(axis=axes)      # gammax = gamma * xhat
    dxhat = dgammax * c["gamma"]
    divar = (dxhat * c["xmu"]).sum(axis=axes, keepdims=True)      # xhat = xmu * ivar
    dxmu = dxhat * c["ivar"]                            # ... xmu's first use
    dsqrtvar = -divar / c["sqrtvar"] ** 2               # ivar = 1 / sqrtvar
    dvar_eps = dsqrtvar / (2 * c["sqrtvar"])            # sqrtvar = sqrt(var_eps)
    dvar = dvar_eps                                     # var_eps = var + eps
    dsq = np.ones_like(c["sq"]) * dvar / n              # var = mean(sq)
    dxmu += 2 * c["xmu"] * dsq                          # sq = xmu ** 2: xmu's second use
    dx = dxmu.copy()                                    # xmu = x - mu (copy: dxmu is returned)
    dmu = -dxmu.sum(axis=axes, keepdims=True)
    dx += np.ones_like(dx) * dmu / n                    # mu = mean(x): x's second use
    return dict(dout=dout, dgammax=dgammax, dbeta=dbeta, dgamma=dgamma, dxhat=dxhat,
                divar=divar, dsqrtvar=dsqrtvar, dvar_eps=dvar_eps, dvar=dvar, dsq=dsq,
                dxmu=dxmu, dmu=dmu, dx=dx)


def simplified_backward(dout, cache):
    """The closed form dx = ivar/N * (N*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat)).

    What a fused kernel computes: it needs only xhat, ivar and gamma from the forward.
    """
    c, axes, n = cache, reduce_axes(dout.ndim), cache["n"]
    dxhat = dout * c["gamma"]
    dx = c["ivar"] / n * (n * dxhat - dxhat.sum(axis=axes, keepdims=True)
                          - c["xhat"] * (dxhat * c["xhat"]).sum(axis=axes, keepdims=True))
    dgamma = (dout * c["xhat"]).sum(axis=axes)
    dbeta = dout.sum(axis=axes)
    return dict(dx=dx, dgamma=dgamma, dbeta=dbeta)


def central_difference(f, a, dout, h=1e-6):
    """Numerical d(sum(f(a) * dout))/da by central differences; f takes a float64 array.

    Independent of every analytic rule, so it can judge a formula (the study notes' included).
    """
    a = np.array(a, dtype=np.float64)
    grad = np.zeros_like(a)
    flat, gflat = a.reshape(-1), grad.reshape(-1)
    for j in range(flat.size):
        orig = flat[j]
        flat[j] = orig + h
        plus = np.sum(f(a) * dout)
        flat[j] = orig - h
        minus = np.sum(f(a) * dout)
        flat[j] = orig
        gflat[j] = (plus - minus) / (2 * h)
    return grad
