"""Batch norm forward + backward: composed (ten records), fused (one record), torch, plain NumPy.

Training mode with batch statistics and gamma/beta, no running statistics: the op itself.
"fused" runs the compiled kernel where numba is installed; "fused, NumPy reference" the op of
engine/ops/batchnorm.py alone (tg.kernels.use("numpy")), beside it.
"""
import numpy as np

import tinygrad_bn as tg
from tinygrad_bn import functional as F
from benchmarks.timing import check_close, load_torch, median_times, on_backend, row

SHAPES = [(256, 1024), (4096, 256), (64, 32, 16, 16)]
QUICK_SHAPES = [(16, 8), (4, 3, 5, 5)]
EPS = 1e-5
TOLERANCE = {"float32": (1e-3, 1e-4), "float64": (1e-9, 1e-11)}   # rtol, atol of the checks


def inputs(shape, dtype, seed=0):
    """x, gamma, beta, upstream gradient g: the same arrays for every contender."""
    rng = np.random.default_rng(seed)
    c = shape[1]
    return (rng.standard_normal(shape).astype(dtype), (1 + 0.1 * rng.standard_normal(c)).astype(dtype),
            (0.1 * rng.standard_normal(c)).astype(dtype), rng.standard_normal(shape).astype(dtype))


def ours(x, gamma, beta, g, fused):
    x, gamma, beta = (tg.Tensor(a, requires_grad=True) for a in (x, gamma, beta))

    def step():
        x.grad = gamma.grad = beta.grad = None
        out = F.batch_norm(x, gamma, beta, fused=fused)
        out.backward(g)
        return out.data, x.grad, gamma.grad, beta.grad
    return step


def torch_step(torch, x, gamma, beta, g):
    x, gamma, beta = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    g = torch.tensor(g)

    def step():
        x.grad = gamma.grad = beta.grad = None
        out = torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=EPS)
        out.backward(g)
        return out.detach().numpy(), x.grad.numpy(), gamma.grad.numpy(), beta.grad.numpy()
    return step


def numpy_step(x, gamma, beta, g):
    """BN by hand in plain NumPy, as fast as we know how: the bound an engine can approach.

    The per-channel sums of products (var, dgamma) are one einsum pass each, with no temporary.
    """
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    dot = "ij,ij->j" if x.ndim == 2 else "nchw,nchw->c"
    shape = (1, -1) + (1,) * (x.ndim - 2)
    gamma, beta, n = gamma.reshape(shape), beta.reshape(shape), x.size // x.shape[1]

    def step():
        xhat = x - x.mean(axis=axes, keepdims=True)
        ivar = 1.0 / np.sqrt(np.einsum(dot, xhat, xhat).reshape(shape) / n + EPS)
        xhat *= ivar
        out = np.multiply(xhat, gamma)
        out += beta
        dbeta = g.sum(axis=axes, keepdims=True)
        dgamma = np.einsum(dot, g, xhat).reshape(shape)
        dx = np.multiply(xhat, dgamma / n)
        dx += dbeta / n
        np.subtract(g, dx, out=dx)
        dx *= gamma * ivar
        return out, dx, dgamma.reshape(-1), dbeta.reshape(-1)
    return step


def numpy_floor_step(x, gamma, beta, g):
    """BN in the fewest NumPy passes we found, as the fused primitive makes them: NumPy's floor.

    out and dx are each written once (x - mean) and then updated in place, as rows (N, C*H*W)
    against per-channel values repeated H*W times; against torch it shows what no engine on NumPy
    can beat (docs/performance.md).
    """
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    dot = "ij,ij->j" if x.ndim == 2 else "nchw,nchw->c"
    n, spread = x.size // x.shape[1], x.size // x.shape[0] // x.shape[1]

    def row(v):
        """(C,) or (1, C, 1, 1) per-channel values as one row of x's 2-D view."""
        return np.repeat(v.reshape(-1), spread)

    def step():
        mean = row(x.mean(axis=axes))
        out = x.reshape(x.shape[0], -1) - mean
        ivar = 1.0 / np.sqrt(np.einsum(dot, out.reshape(x.shape), out.reshape(x.shape)) / n + EPS)
        out *= row(gamma * ivar)
        out += row(beta)
        dbeta = g.sum(axis=axes)
        dx = x.reshape(x.shape[0], -1) - mean
        dgamma = np.einsum(dot, g, dx.reshape(x.shape)) * ivar
        dx *= row(dgamma * ivar / n)
        dx += row(dbeta / n)
        np.subtract(g.reshape(x.shape[0], -1), dx, out=dx)
        dx *= row(gamma * ivar)
        return out.reshape(x.shape), dx.reshape(x.shape), dgamma, dbeta
    return step


def main(quick=False):
    """Rows per shape and dtype: fused/torch (<= 1), composed/fused (<= 3), fused/NumPy (<= 1.15),
    NumPy's floor against torch (no target: what fused/torch could reach at best), and the fused
    op with the NumPy reference alone, against torch and as the kernel's speed-up over it."""
    torch, rows = load_torch(), []
    for shape in QUICK_SHAPES if quick else SHAPES:
        case = f"BN-{len(shape) // 2}d {'x'.join(map(str, shape))}"
        for dtype in (np.float32, np.float64):
            arrays = inputs(shape, dtype)
            fns = {"fused": ours(*arrays, fused=True), "composed": ours(*arrays, fused=False),
                   "numpy": numpy_step(*arrays), "floor": numpy_floor_step(*arrays),
                   "reference": on_backend("numpy", ours(*arrays, fused=True))}
            if torch:
                fns["torch"] = torch_step(torch, *arrays)
            name = np.dtype(dtype).name
            for contender in list(fns)[1:]:
                check_close(f"{case} {name}: fused vs {contender}", fns["fused"](), fns[contender](),
                            *TOLERANCE[name])
            t = median_times(fns, quick)
            headline = shape == SHAPES[0] and name == "float32"
            rows.append(row("bn fwd+bwd", f"{case} fused", name, t["fused"], t.get("torch"), "torch",
                            1.0, headline="BN-1d fused" if headline else None))
            rows.append(row("bn fwd+bwd", f"{case} composed", name, t["composed"], t["fused"],
                            "ours fused", 3.0, headline="BN-1d composed / fused" if headline else None))
            rows.append(row("bn fwd+bwd", f"{case} fused", name, t["fused"], t["numpy"],
                            "plain NumPy", 1.15))
            rows.append(row("bn fwd+bwd", f"{case} NumPy floor", name, t["floor"], t.get("torch"),
                            "torch"))
            rows.append(row("bn fwd+bwd", f"{case} fused, NumPy reference", name, t["reference"],
                            t.get("torch"), "torch"))
            rows.append(row("bn fwd+bwd", f"{case} fused", name, t["fused"], t["reference"],
                            "NumPy reference"))
    return rows
