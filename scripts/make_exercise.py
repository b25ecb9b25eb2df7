"""Write examples/bn_exercise.ipynb: backprop through batch norm by hand, one blank per node's
gradient, checked by tg.check_by_hand (edit here, then run this; a test fills the blanks)."""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "bn_exercise.ipynb"
BLANKS = ["dgammax", "dbeta", "dgamma", "dxhat", "divar", "dsqrtvar", "dvar_eps", "dvar", "dsq",
          "dxmu", "dmu", "dx"]
HINTS = {"dxmu": "two paths reach xmu (xhat and sq): add them", "dx": "two paths reach x (xmu and mu)",
         "dbeta": "beta was broadcast over the batch: sum", "dgamma": "like dbeta, over the batch",
         "divar": "ivar (1, D) was broadcast: sum over axis 0, keepdims=True",
         "dsq": "mean over N rows: each row gets dvar / N"}

CELLS = [
    ("md", """# Exercise: backprop through batch norm by hand

Batch norm below runs as ten primitives on a tape, each result named:
`mu, xmu, sq, var, var_eps, sqrtvar, ivar, xhat, gammax, out` (`ivar` is 1/std, makemore's
`bnvar_inv`). The loss is `sum(out * w)`, so `dout = w`. Fill in every gradient in the second
code cell, newest node first, then run the last cell: `tg.check_by_hand` compares each of yours
with the engine's (makemore's `cmp`, cs231n's `rel_error`) and names the wrong ones.

Tips: a gradient has its tensor's shape; a value that feeds two nodes gets the **sum** of both
paths; an input that was broadcast gets its gradient summed over the broadcast axes.
Stuck? The last cells give hints in three stages and step through backward of this very graph."""),
    ("code", """import numpy as np
import tinygrad_bn as tg
from tinygrad_bn import Tensor, functional as F

rng = np.random.default_rng(0)
x = Tensor(rng.standard_normal((8, 3)) * 2 + 1, requires_grad=True, name="x")
gamma = Tensor(rng.uniform(0.5, 1.5, 3), requires_grad=True, name="gamma")
beta = Tensor(rng.standard_normal(3), requires_grad=True, name="beta")
w = Tensor(rng.standard_normal((8, 3)), name="w")
loss = (F.batch_norm(x, gamma, beta) * w).sum().named("loss")
print(tg.engine.graph_of(loss).listing())

value = {t.name: t.data for t in tg.engine.graph_of(loss).tensors if t.name}
mu, xmu, sq, var, var_eps, sqrtvar, ivar, xhat, gammax = (value[k] for k in (
    "mu", "xmu", "sq", "var", "var_eps", "sqrtvar", "ivar", "xhat", "gammax"))
N = x.shape[0]
dout = w.data                              # d loss / d out"""),
    ("md", "## Your backward: replace each `None`"),
    ("code", "\n".join(f"{name:<8} = None   # YOUR CODE" + (f"  ({HINTS[name]})" if name in HINTS else "")
                       for name in BLANKS)),
    ("md", "## Check every gradient at once"),
    ("code", """mine = {"gammax": dgammax, "beta": dbeta, "gamma": dgamma, "xhat": dxhat, "ivar": divar,
        "sqrtvar": dsqrtvar, "var_eps": dvar_eps, "var": dvar, "sq": dsq, "xmu": dxmu,
        "mu": dmu, "x": dx}
report = tg.check_by_hand(loss, mine)
print(report)"""),
    ("md", """## Hints, in three stages
The table names the first wrong gradient in backward order: fix that one first, since the
gradients after it are computed from it. Level 1 is the op's rule, level 2 the same rule in
this graph's names, level 3 the numbers your gradient should come out as."""),
    ("code", """name = report.first_wrong or (report.blanks or [None])[0]
if name:
    print(report.hint(name, level=1))      # then level=2, then level=3"""),
    ("md", """## Every backward step of this graph
Next/Previous (or the arrow keys) step through the engine's backward of the loss above, with
each rule filled in with these names and every fan-in sum."""),
    ("code", """tg.viz.Stepper(loss, forward=False)"""),
]


def build():
    """The notebook, with stable cell ids so regenerating it changes nothing."""
    nb = new_notebook()
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


if __name__ == "__main__":
    nbformat.write(build(), NOTEBOOK)
    print("wrote", NOTEBOOK)
