"""Write examples/tutorial.ipynb from the cells below, executed, with its outputs saved (edit here,
then run this; a test executes it again and checks the cells match)."""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", """# Backprop through Batch Normalization, by hand and with the tape

We push a 4x3 batch through batch norm, derive every gradient by hand (the staged, 'chunked'
way of the cs231n/makemore lectures), then let the tape do it and check the two agree node by
node. Names: `mu, xmu, sq, var, var_eps, sqrtvar, ivar, xhat, gammax, out`; `d<name>` is the
gradient of the loss with respect to `<name>`. Note `ivar` is 1/std (the lecture's `bnvar_inv`)."""),
    ("code", """import numpy as np
import tinygrad_bn as tg
from tinygrad_bn import Tensor, Tape, functional as F, viz

rng = np.random.default_rng(0)
x_np = rng.standard_normal((4, 3)) * 2 + 1
gamma_np = np.array([1.5, 0.5, -1.0])
beta_np = np.array([0.1, -0.2, 0.3])
dout = rng.standard_normal((4, 3))          # the gradient arriving from above: loss = sum(out * dout)
eps = 1e-5
N = x_np.shape[0]"""),
    ("md", "## 1. Forward, one node per line"),
    ("code", """mu = x_np.mean(axis=0, keepdims=True)
xmu = x_np - mu
sq = xmu ** 2
var = sq.mean(axis=0, keepdims=True)          # biased: divide by N
var_eps = var + eps
sqrtvar = np.sqrt(var_eps)
ivar = 1 / sqrtvar
xhat = xmu * ivar
gammax = gamma_np * xhat
out = gammax + beta_np
out"""),
    ("md", """## 2. Backward by hand, in reverse
Each line is the rule of one node. Where a value feeds two nodes (`xmu` feeds `sq` and `xhat`;
`x` feeds `xmu` and `mu`) the contributions **add** (`+=`)."""),
    ("code", """dbeta = dout.sum(axis=0)
dgammax = dout
dgamma = (dgammax * xhat).sum(axis=0)
dxhat = dgammax * gamma_np
divar = (dxhat * xmu).sum(axis=0, keepdims=True)
dxmu = dxhat * ivar                            # first path into xmu
dsqrtvar = -divar / sqrtvar ** 2
dvar_eps = dsqrtvar / (2 * sqrtvar)
dvar = dvar_eps
dsq = np.ones_like(sq) * dvar / N
dxmu += 2 * xmu * dsq                          # second path into xmu: add, never multiply
dx = dxmu.copy()                               # first path into x
dmu = -dxmu.sum(axis=0, keepdims=True)
dx += dmu / N                                  # second path into x, through mu
dx"""),
    ("md", "The simplified formula gives the same `dx` in one line:"),
    ("code", """dx_simple = ivar / N * (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
np.abs(dx_simple - dx).max()"""),
    ("md", "## 3. The same with the tape"),
    ("code", """x = Tensor(x_np, requires_grad=True, name="x")
gamma = Tensor(gamma_np, requires_grad=True, name="gamma")
beta = Tensor(beta_np, requires_grad=True, name="beta")
with Tape() as tape:
    y = F.batch_norm(x, gamma, beta, eps=eps)
print(tape)
y.backward(dout)"""),
    ("md", "Every intermediate tensor now carries its gradient, so we compare node by node:"),
    ("code", """by_hand = dict(mu=dmu, xmu=dxmu, sq=dsq, var=dvar, var_eps=dvar_eps, sqrtvar=dsqrtvar,
               ivar=divar, xhat=dxhat, gammax=dgammax, out=dout)
print(f"{'node':>8} | max |tape - hand|")
for r in tape:
    name = r.output.name
    if name in by_hand:
        assert np.allclose(r.output.grad, by_hand[name], rtol=1e-12, atol=1e-14), name
        print(f"{name:>8} | {np.abs(r.output.grad - by_hand[name]).max():.1e}")
for t, hand in ((x, dx), (gamma, dgamma), (beta, dbeta)):
    assert np.allclose(t.grad, hand, rtol=1e-12, atol=1e-14), t.name
    print(f"{t.name:>8} | {np.abs(t.grad - hand).max():.1e}")"""),
    ("md", "## 4. The graph, and backward one step at a time"),
    ("code", """x.grad = gamma.grad = beta.grad = None
with Tape() as tape:                             # the Wengert list backward will read
    y = F.batch_norm(x, gamma, beta, eps=eps)
    loss = (y * dout).sum().named("loss")
graph = tg.engine.graph_of(tape)                 # numbers records r0, r1, ... as str(tape)
for k, step in enumerate(tape.backward_steps(loss, retain_graph=True), 1):
    print(f"step {k:>2}: {graph.rid(step.record):<4} {step.record.op:<10} {step.rule}")
viz.to_dot(loss, show_grads=True, rankdir="TB")"""),
    ("md", """Where a value feeds two nodes, its gradient is the sum of both paths. `explain` writes each
sum out (for an array, an element where every path contributes, named in brackets):"""),
    ("code", """for line in tg.explain(loss).splitlines():
    if "fan-in" in line:
        print(line.strip())"""),
    ("md", """The same walk as a page you click through: forward first (values appear record by record),
then backward, with every rule filled in with these names. It shows inline here and needs no
network; `.save("bn.html")` writes it as one file."""),
    ("code", """viz.Stepper(loss, forward=False)      # forward=True (the default) adds the forward steps"""),
    ("md", """`tg.check_by_hand` compares your gradients with the engine's, node by node, in one table
(makemore's `cmp`); a wrong one is named:"""),
    ("code", """print(tg.check_by_hand(loss, {"xhat": dxhat, "ivar": divar, "xmu": dxmu, "x": dx}))
print(tg.check_by_hand(loss, {"xmu": dxhat * ivar}))     # the square path forgotten"""),
    ("md", "## 5. Fused: one primitive, the same numbers"),
    ("code", """xf = Tensor(x_np, requires_grad=True)
yf = F.batch_norm(xf, Tensor(gamma_np, requires_grad=True), Tensor(beta_np, requires_grad=True),
                  eps=eps, fused=True)
yf.backward(dout)
print(yf.record.op, np.abs(xf.grad - dx).max())
assert tg.gradcheck(lambda x: F.batch_norm(x, gamma, beta), Tensor(x_np, requires_grad=True))"""),
]


def build():
    nb = new_notebook()
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"                  # stable ids: regenerating changes nothing
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def executed():
    """The notebook run top to bottom, outputs kept: readers see the results without running it."""
    from nbclient import NotebookClient
    nb = build()
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":                  # the kernel's own warnings are not results
            cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
    return nb


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "examples" / "tutorial.ipynb"
    nbformat.write(executed(), path)
    print("wrote", path)
