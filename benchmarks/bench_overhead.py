"""Per-op overhead: a chain of 1000 ops alternating `* 1.001` and `+ 0.01` on 16 numbers, forward
and backward, timed per op.

At this size the arithmetic is nearly free, so the time is the engine's own cost per op: lifting
the number, running the primitive, recording it, and in backward calling its rule and adding up.
"""
import numpy as np

import tinygrad_bn as tg
from benchmarks.timing import check_close, load_torch, median_times, row

N, OPS = 16, 1000
SCALE, SHIFT = 1.001, 0.01


def _chain(y):
    """The forward of the benchmark on a tensor of any library: OPS alternating muls and adds."""
    for _ in range(OPS // 2):
        y = y * SCALE
        y = y + SHIFT
    return y


def ours(dtype):
    """fwd+bwd of the chain in tinygrad_bn; returns (output, x.grad) for the check."""
    x = tg.Tensor(np.linspace(-1, 1, N, dtype=dtype), requires_grad=True)
    g = np.ones(N, dtype=dtype)

    def step():
        x.grad = None
        y = _chain(x)
        y.backward(g)
        return y.data, x.grad
    return step


def ours_jit(dtype):
    """The same step through tg.jit: after two recorded calls, the chain replays as a program."""
    x = tg.Tensor(np.linspace(-1, 1, N, dtype=dtype), requires_grad=True)
    g = np.ones(N, dtype=dtype)

    @tg.jit
    def chain(x):
        y = _chain(x)
        y.backward(g)
        return y

    def step():
        x.grad = None
        return chain(x).data, x.grad
    return step


def torch_step(torch, dtype):
    x = torch.linspace(-1, 1, N, dtype=dtype, requires_grad=True)
    g = torch.ones(N, dtype=dtype)

    def step():
        x.grad = None
        y = _chain(x)
        y.backward(g)
        return y.detach().numpy(), x.grad.numpy()
    return step


def numpy_step(dtype):
    """The same arithmetic by hand: the forward ops, then one multiply per mul for the gradient."""
    x, g = np.linspace(-1, 1, N, dtype=dtype), np.ones(N, dtype=dtype)

    def step():
        y = _chain(x)
        dx = g
        for _ in range(OPS // 2):
            dx = dx * SCALE
        return y, dx
    return step


def main(quick=False):
    """Rows per dtype: our time per op against torch's (target <= 0.7x, tg.jit <= 0.35x), against
    NumPy by hand."""
    torch, rows = load_torch(), []
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        fns = {"ours": ours(dtype), "numpy": numpy_step(dtype), "jit": ours_jit(dtype)}
        if torch:
            fns["torch"] = torch_step(torch, getattr(torch, name))
        for _ in range(2):                  # tg.jit's two recorded calls: the check sees a replay
            fns["jit"]()
        for other in list(fns)[1:]:
            check_close(f"op overhead {name}: ours vs {other}", fns["ours"](), fns[other](), 1e-5)
        t = median_times(fns, quick)
        case = f"chain of {OPS} mul/add fwd+bwd, {N} elems, per op"
        rows.append(row("op overhead", case, name, t["ours"] / OPS, t.get("torch", 0) / OPS,
                        "torch", 0.7, headline="per-op fwd+bwd" if name == "float32" else None))
        rows.append(row("op overhead", case, name, t["ours"] / OPS, t["numpy"] / OPS,
                        "NumPy by hand", 4.0))
        rows.append(row("op overhead", f"{case}, tg.jit", name, t["jit"] / OPS,
                        t.get("torch", 0) / OPS, "torch", 0.35,
                        headline="per-op fwd+bwd, tg.jit" if name == "float32" else None))
    return rows
