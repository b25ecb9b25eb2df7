"""Reverse mode: walk the records a loss depends on, newest first, and add up the gradients.

The engine owns the cross-cutting jobs here, once each: unbroadcasting (`sum_to_shape`),
accumulation (fan-in adds, leaves `+=`), release of what backward needed, and anomaly checks.
"""
import numpy as np

from . import anomaly
from .blas import sum_over
from .graph import records_of
from .mode import state


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
    axes = broadcast_axes(g.shape, shape, op)
    return sum_over(g, axes).reshape(shape), axes    # BLAS where it applies (dbeta: 2-3x)


def broadcast_axes(big, shape, op):
    """The axes of `big` that broadcasting `shape` to it stretched (raises if it cannot)."""
    lead = len(big) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, big[lead:])):
        raise ValueError(f"{op}: backward gave grad {big} for input {shape}; "
                         "return the input's shape or a broadcast of it")
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and big[lead + i] != 1)


def _graph(loss):
    """The records `loss` depends on, newest first; raises if one was released."""
    records = records_of(loss)
    records.reverse()
    for r in records:
        if r.released:
            raise RuntimeError(
                f"backward: a {r.op} record (of {', '.join(str(t.shape) for t in r.inputs)}) "
                "was released by an earlier backward; pass retain_graph=True to the first "
                "backward to go through the graph twice, or run the forward again")
    return records


def _paths(records):
    """id(tensor) -> n, the number of (record, input) edges by which its gradient arrives."""
    n = {}
    for r in records:
        for t, need in zip(r.inputs, r.needs_input_grad):
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
        return np.ones_like(loss.data)
    grad = np.asarray(grad.data if hasattr(grad, "record") else grad, dtype=loss.dtype)
    if grad.shape != loss.shape:
        raise ValueError(f"backward: gradient has shape {grad.shape} but the output has shape "
                         f"{loss.shape}; pass one of the output's shape")
    return grad


def backward_steps(loss, grad=None, retain_graph=False):
    """Reverse mode one record at a time: yields a Step per record, newest first.

    Leaf gradients accumulate into .grad (+=), as in PyTorch; every intermediate tensor gets
    .grad set to its gradient from this backward, so learners can read dxhat, divar, ... by name.
    """
    return _walk(loss, grad, retain_graph, steps=True)


def backward(loss, grad=None, retain_graph=False):
    """Fill .grad of every tensor `loss` depends on: the same walk as backward_steps, without
    building the Steps nobody reads (so teaching costs nothing when it is not used)."""
    for _ in _walk(loss, grad, retain_graph, steps=False):
        pass


def _walk(loss, grad, retain_graph, steps):
    """The reverse walk; with steps=True it yields a Step per record (arrivals, running totals).

    totals holds the gradient so far of every tensor still waiting for a contribution; it is
    never added into in place (`total + gi`), so a yielded Step's grad_totals stay what they were.
    """
    records = _graph(loss)
    seed = _seed(loss, grad)
    totals = {id(loss): seed}
    paths, arrived = (_paths(records), {}) if steps else (None, None)
    check = state.modes.anomaly
    if loss.record is None:
        _accumulate_leaf(loss, seed)
    for r in records:
        out = r._out()
        g = totals.pop(id(out), None)          # None: off the path to the loss, or out was freed
        if g is None:
            continue
        out.grad = g
        inputs, needs = r.inputs, r.needs_input_grad
        if r.checksums is not None:
            anomaly.check_saved(r)
        grads = r._impl.backward(g, r.saved, needs)
        if type(grads) is not tuple:
            grads = (grads,)
        if len(grads) != len(inputs):
            raise RuntimeError(f"{r.op}: backward returned {len(grads)} gradient(s) for "
                               f"{len(inputs)} input(s); return one per input, None for an "
                               "input that gets no gradient")
        if steps:
            grad_inputs, reduced, grad_totals, arrivals = [], [], [], []
        for i, t in enumerate(inputs):
            gi = grads[i]
            if gi is None or not needs[i]:
                if steps:
                    for column in (grad_inputs, grad_totals, arrivals):
                        column.append(None)
                    reduced.append(())
                continue
            data = t.data
            if type(gi) is not np.ndarray or gi.dtype is not data.dtype:    # `is`: the usual case
                gi = _checked_dtype(gi, t, r, i)
            axes = ()
            if gi.shape != data.shape:
                gi, axes = sum_to_shape(gi, data.shape, r.op)
            if check:
                anomaly.check_grad(gi, r, f"backward, the gradient for input {i} "
                                          f"({t.name or 'unnamed'}, shape {t.shape})")
            leaf = t.record is None
            if leaf:
                _accumulate_leaf(t, gi, fresh=_is_fresh(gi, g, grads[:i]))
                if not steps:
                    continue                    # its .grad holds the sum: nothing to carry
            key = id(t)
            total = totals.get(key)
            total = gi if total is None else total + gi     # gi may alias g (add returns g)
            if steps:
                if not axes and r._impl.sums_broadcast and g.shape != gi.shape:
                    axes = broadcast_axes(g.shape, gi.shape, r.op)   # the op summed them itself
                grad_inputs.append(gi)
                reduced.append(axes)
                grad_totals.append(total)
                k = arrived[key] = arrived.get(key, 0) + 1
                arrivals.append((k, paths[key]))
                if leaf and k == paths[key]:
                    totals.pop(key, None)       # a leaf's last arrival: nothing more to add
                    continue
            totals[key] = total
        if not retain_graph:
            r.release()
        if steps:
            yield Step(r, g, tuple(grad_inputs), tuple(reduced), tuple(grad_totals), tuple(arrivals))


def _checked_dtype(gi, t, record, i):
    """gi as an array, after checking it has its input's dtype: an op must not change it."""
    gi = np.asarray(gi)
    if gi.dtype != t.dtype:
        raise RuntimeError(f"{record.op}: backward returned a {gi.dtype} gradient for input {i} "
                           f"({t.dtype} {t.shape}); a gradient keeps its input's dtype: convert "
                           "in the op's backward, e.g. dx.astype(x.dtype)")
    return gi


def _is_fresh(gi, g, others):
    """True if the op's backward made gi just now: not g, a view, a saved (read-only) array or a
    grad it also gave another input. Such an array can become a leaf's .grad without a copy."""
    return (gi is not g and gi.base is None and gi.flags.writeable
            and not any(gi is o for o in others))


def _accumulate_leaf(t, g, fresh=False):
    if t.grad is None:
        t.grad = g if fresh else np.array(g, dtype=t.dtype, copy=True)
    else:
        t.grad = t.grad + g          # a new array: a .grad the user kept is never changed
