"""Backward replayed one step at a time for the teaching views, with every fan-in sum kept.

explain, the frames and the stepper all read these Frames, so they show the same sums.
"""
from typing import NamedTuple

import numpy as np

from ..engine import backward_steps
from .names import named_graph
from .numbers import short


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
        """True when all n paths have arrived: the gradient of `name` is final."""
        return self.k == self.n

    @property
    def element(self):
        """The element the equation shows by default: the first where every path contributes
        (not 0), so the sum is not degenerate (after a ReLU, say); () for a scalar."""
        shape = np.shape(self.total)
        if not shape:
            return ()
        parts = [np.broadcast_to(gi, shape) for _, gi in self.parts]
        nonzero = np.logical_and.reduce([p != 0 for p in parts])
        flat = int(np.argmax(nonzero)) if nonzero.any() else \
            int(np.argmax(np.sum([p != 0 for p in parts], axis=0)))
        return tuple(int(i) for i in np.unravel_index(flat, shape))

    def terms(self, index=None):
        """[(via, value)] and the total of one element (default `element`): any element's sum,
        for a view that shows the sum of the element clicked."""
        index = self.element if index is None else tuple(index)
        shape = np.shape(self.total)
        values = [(via, float(np.broadcast_to(gi, shape)[index])) for via, gi in self.parts]
        return values, float(np.asarray(self.total)[index])

    def equation(self, index=None):
        """`dxmu = -0.2245 (via r7 mul) + 0.0158 (via r2 square) = -0.2087`: for an array, one
        element (default `element`; every element adds the same way)."""
        values, total = self.terms(index)
        texts = same_format([v for _, v in values] + [total])
        terms = texts[0] + f" (via {values[0][0]})"
        for (via, v), text in zip(values[1:], texts[1:]):
            terms += f" {'-' if v < 0 else '+'} {text.lstrip('-')} (via {via})"
        return f"d{self.name} = {terms} = {texts[-1]}"

    def status(self, index=None):
        """Where the sum stands: which element the equation shows, and how many paths are in."""
        shape = np.shape(self.total)
        index = self.element if index is None else tuple(index)
        where = f"element {list(index)} of {shape}; " if len(shape) else ""
        more = "complete" if self.complete else f"{self.n - self.k} more to come"
        return f"{where}{self.k} of {self.n} paths arrived: {more}"


def element_sums(frames, name):
    """The fan-in of `name` once complete (its FanIn, whose .terms(index) gives any element's
    sum), or None when one path reaches it: the data a view needs to show a clicked element."""
    for frame in frames:
        for fan_in in frame.sums:
            if fan_in is not None and fan_in.name == name and fan_in.complete:
                return fan_in
    return None


class Frame(NamedTuple):
    """One backward step as the teaching views show it.

    known: id(tensor) -> its gradient summed so far in this backward; arrived: id(tensor) -> (k, n);
    sums: per input of the step, a FanIn when this is its second or later arrival, else None.
    """
    step: object
    known: dict
    arrived: dict
    sums: tuple

    @property
    def paths(self):
        """Per input: (k, n), arrival k of n paths; (0, 0) where the input gets no gradient."""
        return [a or (0, 0) for a in self.step.arrivals]


def replay(loss, grad=None, tape=None):
    """Backward of `loss` one step at a time -> [Frame], every .grad left as it was.

    The graph is retained, so the caller can still call loss.backward() afterwards. With
    `tape`, the "via r7 mul" of fan-in sums use the tape's numbers.
    """
    g = named_graph(loss, tape)
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


def same_format(values):
    """Numbers of one line in one format: 4 decimals, or all scientific when one needs it
    (not "-7.323e-05 + -6.208e-05 = -0.0001")."""
    small = any(v != 0 and not 1e-4 <= abs(v) < 1e5 for v in values)
    return [("0" if v == 0 else f"{v:.3e}") if small else short(v) for v in values]
