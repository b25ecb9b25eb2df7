"""Reverse mode: walk the records a loss depends on, newest first, and add up the gradients.

The engine owns the cross-cutting jobs here, once each: unbroadcasting (`sum_to_shape`),
accumulation (fan-in adds, leaves `+=`), release of what backward needed, and anomaly checks.
"""
import weakref

import numpy as np

from . import anomaly
from .graph import inputs_of, records_of
from .mode import state
from .ops.base import numpy_warnings_at_user_line


class Step:
    """One reverse step: the record, the gradient arriving at its output, what it sends back.

    Per input i: grad_inputs[i] is this step's contribution, grad_totals[i] the input's gradient
    summed so far in this backward (this contribution included), and arrivals[i] = (k, n): this is
    contribution k of the n paths by which the gradient reaches that input. None where the input
    gets no gradient.
    """

    __slots__ = ("record", "grad_output", "grad_inputs", "reduced_axes", "grad_totals", "arrivals")

    def __init__(self, record, grad_output, grad_inputs, reduced_axes, grad_totals, arrivals):
        self.record = record
        self.grad_output = grad_output
        self.grad_inputs = grad_inputs
        self.reduced_axes = reduced_axes
        self.grad_totals = grad_totals
        self.arrivals = arrivals

    @property
    def rule(self):
        return self.record.rule

    def __repr__(self):
        return f"Step({self.record.op}: {self.rule})"   # r0.. numbers belong to a graph


def sum_to_shape(g, shape, op):
    """Undo broadcasting: sum g down to `shape`. Returns the axes summed, for the step view.

    Ops return gradients in the broadcast shape of their output; summing them back here, once,
    means no op can forget to.
    """
    if g.shape == shape:
        return g, ()
    lead = g.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, g.shape[lead:])):
        raise ValueError(f"{op}: backward gave grad {g.shape} for input {shape}; "
                         "return the input's shape or a broadcast of it")
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    return (g.sum(axis=axes).reshape(shape) if axes else g), axes


def _graph(loss):
    """The records `loss` depends on, newest first; raises if one was released."""
    records = records_of(loss)
    records.reverse()
    for r in records:
        if r.released:
            raise RuntimeError(
                f"backward: a {r.op} record (of "
                f"{', '.join(str(t.shape) for t in r.inputs) or 'freed inputs'}) "
                "was released by an earlier backward; pass retain_graph=True to the first "
                "backward to go through the graph twice, or run the forward again")
    return records


def _paths(records):
    """id(tensor) -> n, the number of (record, input) edges by which its gradient arrives."""
    n = {}
    for r in records:
        for t, need in zip(inputs_of(r), r.needs_input_grad):
            if need:
                n[id(t)] = n.get(id(t), 0) + 1
    return n


def _seed(loss, grad):
    if not loss.requires_grad:
        raise RuntimeError(f"backward: this tensor {loss.shape} does not require grad: no input "
                           "had requires_grad=True, or it was computed under no_grad(); create "
                           "the inputs with Tensor(data, requires_grad=True)")
    if grad is None:
        if loss.data.size != 1:
            raise RuntimeError(
                f"backward: output has shape {loss.shape}, not a scalar; pass a gradient of "
                f"that shape, e.g. y.backward(np.ones({loss.shape})), or reduce first (y.sum())")
        return np.ones(loss.shape, loss.dtype)
    grad = np.asarray(grad.data if hasattr(grad, "record") else grad, dtype=loss.dtype)
    if grad.shape != loss.shape:
        raise ValueError(f"backward: gradient has shape {grad.shape} but the output has shape "
                         f"{loss.shape}; pass one of the output's shape")
    return grad


def backward_steps(loss, grad=None, retain_graph=False):
    """Reverse mode one record at a time: yields a Step per record reached, newest first.

    Leaf gradients accumulate into .grad (+=), as in PyTorch; every intermediate tensor gets
    .grad set to its gradient from this backward, so learners can read dxhat, divar, ... by name.
    totals holds the gradient so far of every tensor reached; it is never added into in place
    (`total + gi`), so a yielded Step's grad_totals stay what they were.
    """
    records = _graph(loss)
    seed = _seed(loss, grad)
    totals, paths, arrived = {id(loss): seed}, _paths(records), {}
    if loss.record is None:
        loss.grad = seed.copy() if loss.grad is None else loss.grad + seed
    for r in records:
        out = r.output
        g = totals.pop(id(out), None)          # None: off the path to the loss, or out was freed
        if g is None:
            continue
        out.grad = g
        grads = _backward_of(r, g)
        columns = []                           # per input: (grad, axes summed, total, arrival)
        for i, (t, gi) in enumerate(zip(inputs_of(r), grads)):
            if gi is None or not r.needs_input_grad[i]:
                columns.append((None, (), None, None))
                continue
            gi, axes = _contribution(r, i, gi)
            key = id(t)
            total = totals.get(key)                # the first contribution is kept: fresh
            totals[key] = total = _fresh(gi, g, grads[:i]) if total is None else total + gi
            if t.record is None:                   # a leaf: += across backwards, as PyTorch
                t.grad = total if t.grad is None else t.grad + gi   # a new array: one the user kept stays
            arrived[key] = arrived.get(key, 0) + 1
            columns.append((gi, axes, total, (arrived[key], paths[key])))
        if not retain_graph:
            r.release()
        yield Step(r, g, *zip(*columns))
    if not retain_graph:
        _forget_the_previous_graph(records)


def _forget_the_previous_graph(records):
    """The graph of the latest backward stays drawable (to_dot, check_by_hand after backward);
    the one before lets go of its inputs, so kept losses keep no activations (see docs)."""
    for r in filter(None, (ref() for ref in state.modes.released)):
        r.forget_inputs()
    state.modes.released = [weakref.ref(r) for r in records]


def backward(loss, grad=None, retain_graph=False):
    """Fill .grad of every tensor `loss` depends on: backward_steps, drained."""
    for _ in backward_steps(loss, grad, retain_graph):
        pass


def _backward_of(r, g):
    """The op's grads for record r, one per input (checked), from the implementation that ran."""
    if r.checksums is not None:
        anomaly.check_saved(r)
    with numpy_warnings_at_user_line(r.impl, " backward"):
        grads = r.impl.backward(g, r.saved, r.needs_input_grad)
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(r.inputs):
        raise RuntimeError(f"{r.op}: backward returned {len(grads)} gradient(s) for "
                           f"{len(r.inputs)} input(s); return one per input, None for an "
                           "input that gets no gradient")
    return grads


def _contribution(r, i, gi):
    """Input i's gradient from record r, its dtype checked and summed back to its shape; returns
    it with the axes summed, for the step view."""
    t = r.inputs[i]
    gi = np.asarray(gi)
    if gi.dtype != t.dtype:
        raise RuntimeError(f"{r.op}: backward returned a {gi.dtype} gradient for input {i} "
                           f"({t.dtype} {t.shape}); a gradient keeps its input's dtype: convert "
                           "in the op's backward, e.g. dx.astype(x.dtype)")
    gi, axes = sum_to_shape(gi, t.shape, r.op)
    if state.modes.anomaly:
        anomaly.check_grad(gi, r, f"backward, the gradient for input {i} "
                                  f"({t.name or 'unnamed'}, shape {t.shape})")
    return gi, axes


def _fresh(gi, g, earlier):
    """gi if the op's backward made it just now, else a C-ordered copy: a gradient kept as a .grad
    is never g (add returns it), a view (mean's broadcast), read-only or another input's grad."""
    if (gi is g or gi.base is not None or not gi.flags.writeable
            or any(gi is o for o in earlier)):
        return np.array(gi, order="C")
    return gi
