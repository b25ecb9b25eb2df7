"""Backward replayed one step at a time for the teaching views, with every fan-in sum kept.

explain, the frames and the stepper all read these Frames, so they show the same sums.
"""
from typing import NamedTuple

from ..engine import backward_steps
from ..engine.graph import graph_of


class FanIn(NamedTuple):
    """A gradient that reaches `name` by several paths: the contributions so far, `(via, grad)`
    with via like "r7 mul", their sum `total`, and arrival k of n (complete when k == n)."""
    name: str
    parts: tuple
    total: object
    k: int
    n: int

    @property
    def complete(self):
        return self.k == self.n


class Frame(NamedTuple):
    """One backward step as the teaching views show it.

    known: id(tensor) -> its gradient summed so far in this backward; arrived: id(tensor) -> (k, n);
    sums: per input of the step, a FanIn when this is its second or later arrival, else None.
    """
    step: object
    known: dict
    arrived: dict
    sums: tuple


def replay(loss, grad=None):
    """Backward of `loss` one step at a time -> [Frame], every .grad left as it was.

    The graph is retained, so the caller can still call loss.backward() afterwards.
    """
    g = graph_of(loss)
    before = [(t, t.grad) for t in g.tensors]
    frames, known, arrived, parts = [], {}, {}, {}
    try:
        for step in backward_steps(loss, grad, retain_graph=True):
            r = step.record
            known = {**known, id(r.output): step.grad_output}
            arrived, sums = dict(arrived), []
            for t, gi, total, ka in zip(r.inputs, step.grad_inputs, step.grad_totals, step.arrivals):
                if gi is None:
                    sums.append(None)
                    continue
                known[id(t)], arrived[id(t)] = total, ka
                parts[id(t)] = parts.get(id(t), ()) + ((f"{g.rid(r)} {r.op}", gi),)
                sums.append(FanIn(g.label(t), parts[id(t)], total, *ka) if ka[0] > 1 else None)
            frames.append(Frame(step, known, arrived, tuple(sums)))
    finally:
        for t, old in before:
            t.grad = old
    return frames


def loss_of(g):
    """The one output of a Graph (a tape's last result nothing else used), else a clear error."""
    if len(g.outputs) != 1:
        raise ValueError(f"{len(g.outputs)} outputs in this tape ({', '.join(g.label(t) for t in g.outputs)}); "
                         "pass the loss tensor itself instead of the tape")
    return g.outputs[0]


def gradients(g):
    """id(tensor) -> its gradient from the loss of Graph g: replayed when the graph is still
    there (nothing changes), else the .grad the latest backward left."""
    if any(r.released for r in g.records):
        return {id(t): t.grad for t in g.tensors if t.grad is not None}
    frames = replay(loss_of(g))
    return frames[-1].known if frames else {}
