"""Memory of BN forward + backward on (4096, 1024) float32, in units of x's size.

Ours: the peak of NumPy allocations during forward + backward (tracemalloc; x, gamma, beta and the
upstream gradient exist before it starts) and what the tape saves for backward (tape.nbytes).
Torch: the bytes its autograd graph saves for backward (saved-tensor hooks), and its peak as the
growth of the peak resident memory (Linux) of a fresh process, fused and composed.
"""
import os
import subprocess
import sys
import tracemalloc

import numpy as np

import tinygrad_bn as tg
from tinygrad_bn import functional as F
from benchmarks.bench_bn import EPS, inputs
from benchmarks.timing import load_torch, row

SHAPE, QUICK_SHAPE = (4096, 1024), (64, 32)


def ours(x, gamma, beta, g, fused):
    """(peak bytes allocated during forward + backward, bytes saved on the tape)."""
    x, gamma, beta = (tg.Tensor(a, requires_grad=True) for a in (x, gamma, beta))
    tracemalloc.start()
    try:
        with tg.Tape() as tape:
            out = F.batch_norm(x, gamma, beta, fused=fused)
        saved = tape.nbytes
        tape.backward(out, g)
        return tracemalloc.get_traced_memory()[1], saved
    finally:
        tracemalloc.stop()


def torch_composed(torch, x, gamma, beta):
    """The textbook graph in torch, the same ten ops as our composed BN."""
    mu = x.mean(0, keepdim=True)
    xmu = x - mu
    var = xmu.square().mean(0, keepdim=True)
    return gamma * (xmu * (var + EPS).sqrt().reciprocal()) + beta


def torch_saved(torch, x, gamma, beta, g, fused):
    """Bytes of distinct storages torch's graph saves for backward."""
    x, gamma, beta = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    storages = {}

    def pack(t):
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        if fused:
            out = torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=EPS)
        else:
            out = torch_composed(torch, x, gamma, beta)
    out.backward(torch.tensor(g))
    return sum(storages.values())


def torch_peak(shape, fused):
    """Peak bytes of torch's forward + backward beyond its inputs, or None where it can't be read."""
    if not os.path.exists("/proc/self/status"):
        return None
    code = f"from benchmarks.bench_memory import _torch_peak_child; _torch_peak_child({shape}, {fused})"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    return int(done.stdout) if done.returncode == 0 and done.stdout.strip() != "None" else None


def _torch_peak_child(shape, fused):
    """In a fresh process: print how far BN forward + backward lifts the peak resident memory."""
    torch = load_torch()

    def run(x, gamma, beta, g):
        x, gamma, beta = (torch.from_numpy(a).requires_grad_() for a in (x, gamma, beta))
        out = (torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=EPS)
               if fused else torch_composed(torch, x, gamma, beta))
        out.backward(torch.from_numpy(g))          # from_numpy: the inputs are not copied
    run(*inputs((8,) + shape[1:], np.float32))     # warm-up on a small batch: kernels load
    rng = np.random.default_rng(0)                 # float32 straight away: no float64 temporary
    x, g = (rng.standard_normal(shape, dtype=np.float32) for _ in range(2))  # to raise the peak
    arrays = x, np.ones(shape[1], np.float32), np.zeros(shape[1], np.float32), g
    before, prior = _status("VmRSS"), _status("VmHWM")
    run(*arrays)
    peak = _status("VmHWM")
    print(peak - before if peak > prior else None)  # an earlier, higher peak would hide this one


def _status(field):
    """Bytes of a /proc/self/status field: VmRSS now, VmHWM the peak (of this process only, unlike
    getrusage's ru_maxrss, which a child inherits from the parent it was forked from)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))


def main(quick=False):
    """Rows in x-sizes: our peak (targets fused <= 3, composed <= 10) and saved bytes; torch's saved."""
    torch, rows = load_torch(), []
    x, gamma, beta, g = arrays = inputs(QUICK_SHAPE if quick else SHAPE, np.float32)
    case = f"BN-1d {'x'.join(map(str, x.shape))}"
    for fused in (True, False):
        kind = "fused" if fused else "composed"
        ours(*inputs(QUICK_SHAPE, np.float32), fused=fused)    # numba loads its kernels first:
        peak, saved = ours(*arrays, fused=fused)                # the peak is the step's alone
        rows.append(row("memory", f"{case} {kind}: peak fwd+bwd", "float32", peak, x.nbytes,
                        "x size", 3.0 if fused else 10.0, unit="B"))
        rows.append(row("memory", f"{case} {kind}: saved for bwd", "float32", saved, x.nbytes,
                        "x size", unit="B"))
        if torch:
            rows.append(row("memory", f"{case} torch {kind}: saved for bwd", "float32",
                            torch_saved(torch, *arrays, fused=fused), x.nbytes, "x size", unit="B"))
            rows.append(row("memory", f"{case} torch {kind}: peak fwd+bwd (RSS)", "float32",
                            torch_peak(x.shape, fused), x.nbytes, "x size", unit="B"))
    return rows
