"""Backward through batch norm one record at a time, on a 4x3 batch.

For each of the ten nodes (newest first): its name, its rule, the gradient arriving at its
output, and what it sends to each input. Ends with a gradcheck.
Run: python examples/bn_step_by_step.py
"""
import numpy as np

from tinygrad_bn import Tape, Tensor, gradcheck
from tinygrad_bn import functional as F
from tinygrad_bn.engine import graph_of


def show(a):
    """An array in a few indented lines, 4 decimals."""
    text = np.array2string(np.asarray(a), precision=4, suppress_small=True, separator=", ")
    return "      " + text.replace("\n", "\n      ")


def print_step(k, step, graph):
    """Backward step k: the record (r0.. as print(tape) numbers it), its rule, the upstream
    gradient, the gradient per input and, where a second path arrives, the sum so far."""
    r = step.record
    print(f"\nstep {k}: {graph.rid(r)} {r.output.name} = {r.op}({', '.join(t.name for t in r.inputs)})"
          f"      rule: {step.rule}")
    print(f"   upstream d{r.output.name}:\n{show(step.grad_output)}")
    for t, g, axes, total, arrival in zip(r.inputs, step.grad_inputs, step.reduced_axes,
                                          step.grad_totals, step.arrivals):
        if g is not None:
            summed = f" (summed over axes {axes}: {t.name} was broadcast)" if axes else ""
            print(f"   -> d{t.name}{summed}:\n{show(g)}")
            got, paths = arrival
            if got > 1:
                print(f"   d{t.name} so far, path {got} of {paths} added (fan-in: add, never multiply):"
                      f"\n{show(total)}")


def main(seed=0):
    """Build BN on a seeded 4x3 batch, walk its backward step by step, then gradcheck it."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True, name="x")
    gamma = Tensor(rng.uniform(0.5, 2.0, 3), requires_grad=True, name="gamma")
    beta = Tensor(rng.standard_normal(3), requires_grad=True, name="beta")
    dout = rng.standard_normal((4, 3))        # the upstream gradient, as if loss = sum(out * dout)
    with Tape() as tape:
        out = F.batch_norm(x, gamma, beta)
    print("forward, in execution order:")
    print(tape)
    print("\nbackward, one record at a time (fan-out gradients add up: xmu feeds sq and xhat):")
    graph = graph_of(tape)
    for k, step in enumerate(tape.backward_steps(out, grad=dout), 1):
        print_step(k, step, graph)
    print(f"\ndx:\n{show(x.grad)}\ncolumn sums of dx (0: shifting a column does not change BN):"
          f"\n{show(x.grad.sum(axis=0))}")
    ok = gradcheck(lambda x, gamma, beta: F.batch_norm(x, gamma, beta), x, gamma, beta)
    print("\ngradcheck(x, gamma, beta) against central differences: "
          + ("passed" if ok else "FAILED"))
    return 0


if __name__ == "__main__":
    main()
