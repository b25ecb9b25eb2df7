"""The one graph reader: the records of a tensor's past (or of a tape), oldest first, numbered
r0, r1, ... in that order, with their tensors numbered t0, t1, ...

Everything that shows a graph (str(tape), explain, the pictures, the stepper) reads it here, so
every view names the same record the same way, and two runs of the same code print the same.
"""
import numpy as np


REBASED = []    # not empty once an in-place update gave a tensor a new record (methods.update)


def records_of(tensor):
    """Every record `tensor` depends on, oldest first; found with an explicit stack, no recursion."""
    records, stack, seen = [], [tensor], set()
    while stack:
        r = stack.pop().record
        if r is None or r in seen:          # records hash by identity
            continue
        seen.add(r)
        records.append(r)
        stack.extend(inputs_of(r))
    records.sort(key=lambda r: r.index)
    return records


def inputs_of(r):
    """r's inputs as they were when r ran: r.inputs, unless an in-place update gave one of them
    a newer record since (then the tensor holding the value r read: record.before)."""
    if not REBASED or all(t.record is None or t.record.index < r.index for t in r.inputs):
        return r.inputs
    versions = []
    for t in r.inputs:
        while t.record is not None and t.record.index > r.index:
            t = t.record.before
        versions.append(t)
    return tuple(versions)


class Graph:
    """Records in execution order and the tensors they touch, each with a stable number.

    Numbers come from the order in the graph, not the global record counter.
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
        if t is not None and id(t) not in self._num:
            self._num[id(t)] = len(self.tensors)
            self.tensors.append(t)

    def tid(self, t):
        """Stable node id of a tensor: t<k>, k its order of first appearance."""
        return f"t{self._num[id(t)]}"

    def rid(self, r):
        """The record's number in this graph: r<k>, k its position in execution order."""
        return f"r{self._rnum[id(r)]}"

    def label(self, t):
        """What a tensor is called in pictures and text: its name, else its node id."""
        if t is None:
            return "(freed)"
        return t.name or self.tid(t)

    def arg(self, t):
        """How an input reads in a listing: its label, or the value of a one-number constant."""
        if t.name is None and t.record is None and not t.requires_grad and t.size == 1:
            return f"{t.data.item():g}"
        return self.label(t)

    def listing(self):
        """One line per record: `r0: mu = mean(x, axis=(0,), keepdims=True)`."""
        lines = []
        for r in self.records:
            args = ", ".join([self.arg(t) for t in r.inputs] + attrs_text(r.attrs))
            lines.append(f"{self.rid(r)}: {self.label(r.output)} = {r.op}({args})")
        return "\n".join(lines)


def graph_of(obj, cls=Graph):
    """Graph of a Tape (anything with `.records`) or of a Tensor (every record it depends on).

    cls: Graph or a subclass (the teaching views use one that also names parameters)."""
    if hasattr(obj, "records"):
        return cls(obj.records)
    return cls(records_of(obj), roots=(obj,))


def attrs_text(attrs, width=28):
    """An op's attributes as `k=v` strings, long values cut so a graph node stays small."""
    out = []
    for k, v in attrs.items():
        text = repr(v.tolist() if isinstance(v, np.ndarray) else v)
        out.append(f"{k}={text if len(text) <= width else text[:width - 3] + '...'}")
    return out
