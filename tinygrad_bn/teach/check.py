"""check_by_hand: compare a learner's gradients with the engine's, node by node, in one table.

makemore's `cmp` (exact | approximate | maxdiff) and cs231n's `rel_error`, for a whole graph.
"""
from typing import NamedTuple

import numpy as np

from .names import named_graph
from .walk import gradients


class Row(NamedTuple):
    """One compared tensor: its name, bit-for-bit equal, allclose, largest |difference|."""
    name: str
    exact: bool
    close: bool
    max_abs_diff: float


class Report:
    """The rows of a check_by_hand; `.ok` when every gradient is close; `.rel_errors` (name ->
    cs231n's rel_error); str() is the table."""

    def __init__(self, rows, rel_errors):
        self.rows, self.rel_errors = rows, rel_errors
        self.ok = all(r.close for r in rows)

    def __str__(self):
        width = max([len(r.name) for r in self.rows] + [4])
        lines = [f"{'name':<{width}} | exact | close | max_abs_diff | rel_error",
                 f"{'-' * width}-|-------|-------|--------------|----------"]
        lines += [f"{r.name:<{width}} | {str(r.exact):<5} | {str(r.close):<5} | "
                  f"{r.max_abs_diff:12.2e} | {self.rel_errors[r.name]:9.2e}" for r in self.rows]
        verdict = "all close" if self.ok else \
            f"WRONG: {', '.join(r.name for r in self.rows if not r.close)}"
        return "\n".join(lines + [verdict])

    __repr__ = __str__

    def __bool__(self):
        return self.ok


def check_by_hand(loss_or_tape, grads, rtol=1e-5, atol=1e-8):
    """Compare `grads` (tensor name -> your gradient array) with the engine's gradient of each.

    Works before or after backward: the engine's gradients are replayed when the graph is still
    there, else read from .grad. `close` is np.allclose(rtol, atol), as in makemore's cmp; a
    gradient given as None (not written yet) counts as not close.
    """
    g = named_graph(loss_or_tape)
    named = {g.label(t): t for t in g.tensors}
    exact_grads = gradients(g)
    rows, rel_errors = [], {}
    for name, mine in grads.items():
        if name not in named:
            raise KeyError(f"check_by_hand: no tensor named {name!r} in this graph; its names are "
                           f"{', '.join(sorted(n for n, t in named.items() if id(t) in exact_grads))}")
        want = exact_grads.get(id(named[name]))
        if want is None:
            raise ValueError(f"check_by_hand: {name!r} gets no gradient from this loss "
                             "(a constant, or not on the path to the loss); leave it out")
        if mine is None:                      # a blank not filled in yet (the exercise notebook)
            rows.append(Row(name, False, False, float("nan")))
            rel_errors[name] = float("nan")
            continue
        mine = np.asarray(getattr(mine, "data", mine))
        if mine.shape != want.shape:
            raise ValueError(f"check_by_hand: d{name} has shape {mine.shape} but {name} has shape "
                             f"{want.shape}; a gradient has the shape of its tensor (did you "
                             "forget keepdims=True or a sum over the broadcast axis?)")
        rows.append(Row(name, bool(np.array_equal(mine, want)),
                        bool(np.allclose(mine, want, rtol=rtol, atol=atol)),
                        float(np.abs(mine - want).max(initial=0.0))))
        rel_errors[name] = rel_error(mine, want)
    return Report(rows, rel_errors)


def rel_error(a, b):
    """cs231n's relative error: max |a - b| / max(1e-8, |a| + |b|), elementwise."""
    return float((np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))).max(initial=0.0))
