"""The stepper's steps as data: for each step only what changes (the record lit, the values
and gradient rows that appear, the edges the gradient flows along, the new fan-in terms), so a
page holds one drawing of the graph and grows linearly with the number of records."""
import numpy as np

from ..numbers import fmt, minus
from ..rules import filled_rule
from .dot import edge_id
from .frames import record_line

GRID_LIMIT = 256                 # fan-in terms of bigger tensors keep only the example element


class StepData:
    """Builds the step dicts from one Drawing per view (`views`, `view_of[id(record)]` its index)."""

    def __init__(self, g, views, view_of, frames):
        self.g, self.views, self.view_of, self.frames = g, views, view_of, frames
        self.fan_in = {}                           # id(tensor) -> its complete walk.FanIn
        for frame in frames:
            for t, fan_in in zip(frame.step.record.inputs, frame.sums):
                if fan_in is not None:
                    self.fan_in[id(t)] = fan_in
        shapes = {id(t): t.shape for t in g.tensors}
        self.pick = {tid: int(np.ravel_multi_index(f.element, shapes[tid])) if f.element else 0
                     for tid, f in self.fan_in.items()}    # the element its sum shows, flat
        self.consumers = {}                        # id(tensor) -> the records that read it
        for q in g.records:
            for t in {id(u): u for u in q.inputs}.values():
                self.consumers.setdefault(id(t), []).append(q)

    def fan_ins(self):
        """tid -> what the page needs to write a fan-in sum: name, shape, paths, example element."""
        out = {}
        for t in self.g.tensors:
            if id(t) in self.fan_in:
                grid = t.size <= GRID_LIMIT
                out[self.g.tid(t)] = {"name": self.g.label(t), "shape": list(t.shape),
                                      "n": self.fan_in[id(t)].n, "grid": grid,
                                      "pick": self.pick[id(t)] if grid else 0,
                                      "at": list(self.fan_in[id(t)].element)}
        return out

    def forward(self, k, r):
        """Forward step k (record r): its result's values appear."""
        d = self.views[self.view_of[id(r)]]
        return {"kind": "forward", **self._where(d, r),
                "show": self.g.tid(r.output), "caption": record_line(self.g, r),
                "blocks": [["record", record_line(self.g, r)],
                           [f"value {self.g.label(r.output)}", _text(r.output.data)]]}

    def backward(self, frame, leaves):
        """One backward step: gradient rows that change, edges it flows along, new fan-in terms."""
        g, step = self.g, frame.step
        r = step.record
        d = self.views[self.view_of[id(r)]]
        node, out = d.node_of(r), g.tid(r.output)
        arrived = frame.arrived.get(id(r.output), (1, 1))
        grads = {out: d.grad_lines(r.output, step.grad_output, arrived)}
        flow = [[edge_id(node, out, "o"), _first(step.grad_output), -1]]   # [edge, value, path or -1]
        parts, blocks, arrivals = [], self._head_blocks(r, step), {}
        for i, (t, gi, (k, n)) in enumerate(zip(r.inputs, step.grad_inputs, frame.paths)):
            if gi is None:
                continue
            tid, edge = g.tid(t), edge_id(d.source_of(t), node, i)
            grads[tid] = d.grad_lines(t, frame.known[id(t)], (k, n))
            arrivals[tid] = [k, n]
            flow.append([edge, self._value(t, gi), k - 1 if n > 1 else -1])
            if n > 1:
                flat = np.asarray(gi, dtype=float).ravel()
                parts.append([tid, edge, f"{g.rid(r)} {r.op}",
                              (flat if t.size <= GRID_LIMIT else flat[[self.pick[id(t)]]]).tolist()])
                blocks.append([f"result d{g.label(t)} (path {k} of {n})", _text(gi)])
                blocks.append(["fan-in", tid])
            else:
                blocks.append([f"result d{g.label(t)}", _text(gi)])
        blocks += [[f"d{g.label(t)} so far (leaf, summed)", _text(frame.known[id(t)])]
                   for t in leaves if id(t) in frame.known and any(t is u for u in r.inputs)]
        return {"kind": "backward", **self._where(d, r), "grads": grads, "arrived": arrivals,
                "flow": flow, "parts": parts, "blocks": blocks,
                "caption": f"{g.rid(r)} {r.op}: upstream d{g.label(r.output)} flows back to "
                           + (", ".join(g.label(t) for t, gi in zip(r.inputs, step.grad_inputs)
                                        if gi is not None) or "no input")}

    def _head_blocks(self, r, step):
        g = self.g
        return [["record", f"{g.rid(r)} {r.op}: {g.label(r.output)} = {r.op}("
                           f"{', '.join(g.arg(t) for t in r.inputs)})"],
                ["rule", r.rule], ["rule with this graph's names", filled_rule(g, r)],
                [f"upstream gradient d{g.label(r.output)}", _text(step.grad_output)]]

    def _where(self, d, r):
        """The view, the lit op node, its data nodes, and what focus mode shows: the record,
        its inputs and output and, for an input reached by several paths, all its consumers."""
        g, node = self.g, d.node_of(r)
        near = [d.source_of(t) for t in r.inputs] + [g.tid(r.output)]
        focus = [node, *near]
        for t in r.inputs:
            if id(t) in self.fan_in:
                focus += [d.node_of(q) for q in self.consumers[id(t)]]
        return {"view": self.view_of[id(r)], "node": node, "near": list(dict.fromkeys(near)),
                "focus": list(dict.fromkeys(focus))}

    def _value(self, t, gi):
        """The gradient sent to t at its example element: the one its fan-in sum shows, or for
        one path the first element it reaches (an edge label says something, not 0)."""
        flat = np.asarray(gi, dtype=float).ravel()
        return float(flat[self.pick.get(id(t), _nonzero(flat))])


def _nonzero(flat):
    hits = np.flatnonzero(flat)
    return int(hits[0]) if hits.size else 0


def _first(arr):
    """The first non-zero element of an array (its first element when all are zero)."""
    return float(np.asarray(arr, dtype=float).ravel()[_nonzero(np.asarray(arr).ravel())])


def _text(arr):
    return minus("\n".join(fmt(arr, max_elems=64)))
