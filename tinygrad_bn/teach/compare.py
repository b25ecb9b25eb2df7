"""compare_bn: composed batch norm (ten records) against the fused primitive (one), in one table.

Same inputs, same upstream gradient: how far apart are the results, what does each keep for
backward, and how long does each take.
"""
import statistics
import time

import numpy as np

from .. import functional as F
from ..engine import Tape, Tensor

GRADS = ("out", "dx", "dgamma", "dbeta")


class BNComparison:
    """Figures of one compare_bn run; str() is the table (markdown, so docs can paste it)."""

    def __init__(self, shape, dtype, repeats, runs):
        self.shape, self.dtype, self.repeats = shape, np.dtype(dtype), repeats
        composed, fused = runs["composed"], runs["fused"]
        self.records = {k: r["records"] for k, r in runs.items()}
        self.nbytes = {k: r["nbytes"] for k, r in runs.items()}
        self.forward_s = {k: statistics.median(r["forward"]) for k, r in runs.items()}
        self.backward_s = {k: statistics.median(r["backward"]) for k, r in runs.items()}
        self.diffs = {}
        for name in GRADS:           # max |fused - composed|, and that over max |composed|
            a, b = fused[name], composed[name]
            err = float(np.abs(a - b).max())
            self.diffs[name] = (err, err / max(float(np.abs(b).max()), np.finfo(b.dtype).tiny))

    def __str__(self):
        head = (f"compare_bn: x {self.shape} {self.dtype.name}, time = median of {self.repeats} "
                "repeats; rel diff = max|fused - composed| / max|composed|\n\n"
                "| quantity | composed | fused | fused/composed | max abs diff | max rel diff |\n"
                "|---|---:|---:|---:|---:|---:|")
        rows = [_row("records", self.records, "{:d}"), _row("bytes saved", self.nbytes, "{:,d}"),
                _row("forward", self.forward_s, _us), _row("backward", self.backward_s, _us)]
        rows += [f"| {name} | | | | {a:.2e} | {r:.2e} |" for name, (a, r) in self.diffs.items()]
        return head + "\n" + "\n".join(rows)

    __repr__ = __str__


def _us(seconds):
    return f"{seconds * 1e6:,.1f} us"


def _row(name, pair, fmt):
    show = fmt.format if isinstance(fmt, str) else fmt
    ratio = pair["fused"] / pair["composed"]
    return f"| {name} | {show(pair['composed'])} | {show(pair['fused'])} | {ratio:.2f} | | |"


def _run(x, gamma, beta, g, fused, repeats):
    """Forward and backward `repeats` times; figures and the results of the last run."""
    fig = {"forward": [], "backward": []}
    for _ in range(repeats):
        for t in (x, gamma, beta):
            t.grad = None
        with Tape() as tape:
            start = time.perf_counter()
            out = F.batch_norm(x, gamma, beta, fused=fused)
            fig["forward"].append(time.perf_counter() - start)
        fig["records"], fig["nbytes"] = len(tape), tape.nbytes
        start = time.perf_counter()
        out.backward(g)
        fig["backward"].append(time.perf_counter() - start)
    fig.update(out=out.data, dx=x.grad, dgamma=gamma.grad, dbeta=beta.grad)
    return fig


def compare_bn(shape=(64, 32), dtype=np.float64, seed=0, repeats=20):
    """Run composed and fused BN on the same seeded batch; returns a BNComparison (print it)."""
    if len(shape) not in (2, 4):
        raise ValueError(f"compare_bn: shape {shape} must be (N, D) or (N, C, H, W)")
    if 0 in shape:
        what = "an empty batch (N = 0)" if shape[0] == 0 else "a size of 0"
        raise ValueError(f"compare_bn: shape {tuple(shape)} has {what}: batch norm gives an empty "
                         "output, so there are no statistics, gradients or differences to "
                         "compare; use every size >= 1 and N >= 2, e.g. shape=(64, 32)")
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True, name="x")
    gamma = Tensor(rng.uniform(0.5, 2.0, c).astype(dtype), requires_grad=True, name="gamma")
    beta = Tensor(rng.standard_normal(c).astype(dtype), requires_grad=True, name="beta")
    g = rng.standard_normal(shape).astype(dtype)
    runs = {name: _run(x, gamma, beta, g, name == "fused", repeats)
            for name in ("composed", "fused")}
    return BNComparison(tuple(shape), dtype, repeats, runs)
