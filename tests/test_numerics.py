"""Numerics: gradcheck warns on float32, and BN's accuracy budget on adversarial inputs.

`python tests/test_numerics.py` measures composed and fused BN in float32 and float64 against a
float64 PyTorch oracle and writes the table in docs/numerics.md; test_doc_budget_holds re-measures
and checks every claim in that table.
"""
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, functional as F

try:
    import torch
except ImportError:
    torch = None

DOC = Path(__file__).resolve().parents[1] / "docs" / "numerics.md"
N, C = 64, 3


def test_gradcheck_warns_on_float32():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="gradcheck: float32 inputs are checked as float64"):
        assert tg.gradcheck(lambda a: (a * a).sum(), x)


def cases():
    """name -> x (N, C) float64: the inputs where BN's arithmetic is hardest."""
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((N, C))
    constant = noise.copy()
    constant[:, 1] = 3.0
    return {"normal": noise, "offset 1e4": 1e4 + noise, "tiny variance 1e-8": 1e-4 * noise,
            "offset 1e4 + tiny variance": 1e4 + 1e-4 * noise, "constant channel": constant}


def ours(x, gamma, beta, g, fused):
    """out and dx of our BN (composed or fused) in x's dtype."""
    xt = Tensor(x, requires_grad=True)
    out = F.batch_norm(xt, Tensor(gamma, requires_grad=True), Tensor(beta, requires_grad=True),
                       fused=fused)
    out.backward(g)
    return out.data, xt.grad


def torch_bn(x, gamma, beta, g):
    """out and dx of PyTorch's batch norm (training mode) in x's dtype."""
    tx = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.batch_norm(tx, None, None, torch.tensor(gamma), torch.tensor(beta),
                                         training=True, eps=1e-5)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), tx.grad.numpy()


def rel_err(got, ref):
    """max |got - ref| / max |ref|, or inf when got is not finite."""
    if not np.all(np.isfinite(got)):
        return np.inf
    return float(np.abs(got.astype(np.float64) - ref).max() / max(np.abs(ref).max(), 1e-300))


def budget(x, dtype, eps=1e-5):
    """The claim: error <= 16 * unit roundoff * kappa, kappa = 1 + max |mu| / sqrt(var + eps).

    kappa measures the cancellation in xmu = x - mu: a large offset over a small spread loses
    digits in any order of operations, PyTorch's included.
    """
    kappa = 1 + np.max(np.abs(x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps))
    return 16 * np.finfo(dtype).eps * kappa


def measure():
    """Rows (case, dtype, errors of composed/fused/torch for out and dx, budget)."""
    rng = np.random.default_rng(1)
    gamma, beta, g = 1 + 0.1 * rng.standard_normal(C), 0.1 * rng.standard_normal(C), rng.standard_normal((N, C))
    rows = []
    for name, x in cases().items():
        ref = torch_bn(x, gamma, beta, g)
        for dtype in (np.float32, np.float64):
            args = [a.astype(dtype) for a in (x, gamma, beta, g)]
            errs = {}
            for impl, fn in (("composed", lambda *a: ours(*a, fused=False)),
                             ("fused", lambda *a: ours(*a, fused=True)), ("torch", torch_bn)):
                got = fn(*args)
                errs[impl] = tuple(rel_err(a, r) for a, r in zip(got, ref))
            rows.append((name, np.dtype(dtype).name, errs, budget(x, dtype)))
    return rows


def table(rows):
    lines = ["| input | dtype | composed out | composed dx | fused out | fused dx | torch out | "
             "torch dx | budget |", "|---|---|---|---|---|---|---|---|---|"]
    for name, dtype, errs, limit in rows:
        cells = [f"{e:.1e}" for impl in ("composed", "fused", "torch") for e in errs[impl]]
        lines.append(f"| {name} | {dtype} | " + " | ".join(cells) + f" | {limit:.1e} |")
    return "\n".join(lines)


def render():
    return (DOC.read_text().split("<!-- table -->")[0] + "<!-- table -->\n" + table(measure())
            + "\n<!-- end table -->" + DOC.read_text().split("<!-- end table -->")[1])


def doc_rows():
    """(input, dtype, budget) for each row of the doc's table."""
    body = DOC.read_text().split("<!-- table -->")[1].split("<!-- end table -->")[0]
    return [(cells[0], cells[1], float(cells[-1]))
            for cells in (re.split(r"\s*\|\s*", line.strip("| ")) for line in body.strip().splitlines()[2:])]


@pytest.mark.skipif(torch is None, reason="PyTorch not installed: the oracle for the budget")
def test_doc_budget_holds():
    """Composed and fused BN stay finite (PyTorch is finite on all these inputs) and within the
    documented budget on every input."""
    claims = {(name, dtype): limit for name, dtype, limit in doc_rows()}
    rows = measure()
    assert set(claims) == {(name, dtype) for name, dtype, _, _ in rows}
    for name, dtype, errs, _ in rows:
        assert all(np.isfinite(errs["torch"]))
        for impl in ("composed", "fused"):
            assert all(np.isfinite(errs[impl])), f"{impl} BN not finite on {name} {dtype}"
            assert max(errs[impl]) <= claims[name, dtype], (name, dtype, impl, errs)


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        DOC.write_text(render())
    print(f"wrote {DOC}", file=sys.stderr)
