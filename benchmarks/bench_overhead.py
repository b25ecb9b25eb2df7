"""Per-op overhead: forward + backward of one elementwise add on 16 numbers, with grad recording.

At this size the arithmetic is free, so the time is the engine's own cost per op.
"""
import numpy as np

import tinygrad_bn as tg
from benchmarks.timing import load_torch, median_times, row

N = 16


def ours(dtype):
    a = tg.Tensor(np.arange(N, dtype=dtype), requires_grad=True)
    b = tg.Tensor(np.ones(N, dtype=dtype), requires_grad=True)
    g = np.ones(N, dtype=dtype)

    def step():
        a.grad = b.grad = None
        (a + b).backward(g)
    return step


def torch_step(torch, dtype):
    a = torch.arange(N, dtype=dtype, requires_grad=True)
    b = torch.ones(N, dtype=dtype, requires_grad=True)
    g = torch.ones(N, dtype=dtype)

    def step():
        a.grad = b.grad = None
        (a + b).backward(g)
    return step


def main(quick=False):
    """Rows: our add fwd+bwd against torch's (target <= 0.5x) and against a raw NumPy add (<= 4x)."""
    torch, rows = load_torch(), []
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        x, y = np.arange(N, dtype=dtype), np.ones(N, dtype=dtype)
        fns = {"ours": ours(dtype), "numpy": lambda: np.add(x, y)}
        if torch:
            fns["torch"] = torch_step(torch, getattr(torch, name))
        t = median_times(fns, quick)
        rows.append(row("op overhead", "add fwd+bwd, 16 elems", name, t["ours"], t.get("torch"),
                        "torch", 0.5))
        rows.append(row("op overhead", "add fwd+bwd, 16 elems", name, t["ours"], t["numpy"],
                        "raw np.add", 4.0))
    return rows
