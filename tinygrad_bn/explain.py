"""A plain-text walk of a small graph: each forward record with its values, then each backward step.

Also the two graph readers viz shares: `graph_of` (records and tensors, found without recursion,
numbered by order so every run prints the same) and `replay` (backward steps, leaving .grad alone).
"""
import numpy as np

from .tape import Tape, backward_steps, records_of


class Graph:
    """The records of a tensor's past (or of a tape), oldest first, and its tensors as t0, t1, ...

    Numbers come from the order in the graph, not the global record counter, so two runs of the
    same code give the same names, listings and DOT files.
    """

    def __init__(self, records, roots=()):
        self.records = sorted(records, key=lambda r: r.index)
        self._rnum = {id(r): k for k, r in enumerate(self.records)}
        self.tensors, self._num = [], {}
        for r in self.records:
            for t in (*r.inputs, r.output):
                self._add(t)
        for t in roots:
            self._add(t)
        consumed = {id(t) for r in self.records for t in r.inputs}
        self.outputs = list(roots) or [r.output for r in self.records if id(r.output) not in consumed]
        self.produced = {id(r.output) for r in self.records}

    def _add(self, t):
        if id(t) not in self._num:
            self._num[id(t)] = len(self.tensors)
            self.tensors.append(t)

    def tid(self, t):
        """Stable node id of a tensor: t<k>, k its order of first appearance."""
        return f"t{self._num[id(t)]}"

    def rid(self, r):
        """Stable node id of a record: r<k>, k its position in execution order."""
        return f"r{self._rnum[id(r)]}"

    def label(self, t):
        """What a tensor is called in pictures and text: its name, else its node id."""
        return t.name or self.tid(t)


def graph_of(obj):
    """Graph of a Tape (its records) or of a Tensor (every record it depends on, via a stack)."""
    if isinstance(obj, Tape):
        return Graph(obj.records)
    return Graph(records_of(obj), roots=(obj,))


def replay(loss, grad=None):
    """Backward of `loss` one step at a time -> [(step, known)], every .grad left as it was.

    known maps id(tensor) -> its gradient so far (a partial sum while contributions still arrive).
    The graph is retained, so the caller can still call loss.backward() afterwards.
    """
    before = [(t, t.grad) for t in graph_of(loss).tensors]
    frames, known = [], {}
    try:
        for step in backward_steps(loss, grad, retain_graph=True):
            known = dict(known)
            known[id(step.record.output)] = step.grad_output
            for t, gi in zip(step.record.inputs, step.grad_inputs):
                if gi is not None:
                    known[id(t)] = gi if id(t) not in known else known[id(t)] + gi
            frames.append((step, known))
    finally:
        for t, g in before:
            t.grad = g
    return frames


def fmt(arr, max_elems=6):
    """Lines showing an array: every value when it has at most max_elems, else mean/min/max."""
    arr = np.asarray(arr)
    if arr.size == 1:
        return [_num(arr.item())]
    if arr.size <= max_elems:
        text = np.array2string(arr, precision=4, separator=", ", suppress_small=True,
                               floatmode="maxprec")
        return text.splitlines()
    return [f"mean {_num(arr.mean())}  min {_num(arr.min())}  max {_num(arr.max())}"]


def _num(v):
    """4 significant digits; rounding noise such as a mean of 1e-17 reads as 0."""
    return "0" if abs(v) < 1e-12 else f"{v:.4g}"


def attrs_text(attrs, width=28):
    """An op's attributes as `k=v` strings, long values cut so a graph node stays small."""
    out = []
    for k, v in attrs.items():
        text = repr(v.tolist() if isinstance(v, np.ndarray) else v)
        out.append(f"{k}={text if len(text) <= width else text[:width - 3] + '...'}")
    return out


def explain(tensor, max_elems=12):
    """The forward records of `tensor` with their values, then each backward step: rule, g, result.

    Text only, for a terminal or a doctest; `viz` draws the same walk. Needs a small graph.
    """
    g = graph_of(tensor)
    lines, shown = [f"forward: {len(g.records)} records, in execution order"], set()
    for r in g.records:
        args = ", ".join([g.label(t) for t in r.inputs] + attrs_text(r.attrs))
        lines.append(f"  {g.rid(r)}: {g.label(r.output)} = {r.op}({args})")
        for t in (*r.inputs, r.output):       # each value once: inputs when first used
            if id(t) not in shown:
                shown.add(id(t))
                lines += _value_lines(g.label(t), t.data, max_elems)
    if not tensor.requires_grad:
        return "\n".join(lines + ["backward: nothing requires grad"])
    frames = replay(tensor)
    lines.append(f"backward: {len(frames)} steps, newest record first")
    for k, (step, _) in enumerate(frames, 1):
        r = step.record
        lines.append(f"  step {k}: {g.rid(r)} {r.op}    rule: {r.rule}")
        lines += _value_lines("g = d" + g.label(r.output), step.grad_output, max_elems)
        for t, gi, axes in zip(r.inputs, step.grad_inputs, step.reduced_axes):
            if gi is not None:
                note = f"  (summed over axes {axes})" if axes else ""
                lines += _value_lines(f"-> d{g.label(t)}{note}", gi, max_elems)
    return "\n".join(lines)


def _value_lines(name, arr, max_elems):
    body = fmt(arr, max_elems)
    pad = " " * (len(name) + 9)
    return [f"      {name} = {body[0]}"] + [pad + line for line in body[1:]]
