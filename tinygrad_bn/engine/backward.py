"""Reverse mode: walk the records a loss depends on, newest first, and add up the gradients.

The engine owns the cross-cutting jobs here, once each: unbroadcasting (`sum_to_shape`),
accumulation (fan-in adds, leaves `+=`), release of what backward needed, and anomaly checks.
With create_graph=True the same walk runs every rule on Tensors (higher/).
"""
import weakref
from collections import deque
from contextlib import nullcontext

import numpy as np

from . import anomaly
from . import higher
from .graph import inputs_of, records_of
from .mode import enable_grad, state
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


def _graph(roots):
    """The records the root tensors depend on, oldest first (the walk pops the newest); raises
    naming the record if one was released."""
    records = records_of(roots[0]) if len(roots) == 1 else sorted(
        {id(r): r for t in roots for r in records_of(t)}.values(), key=lambda r: r.index)
    for k in range(len(records) - 1, -1, -1):      # the one nearest the loss first
        r = records[k]
        if r.released:
            raise RuntimeError(
                f"backward: record r{k} ({r.op} of {', '.join(str(t.shape) for t in r.inputs) or 'freed inputs'}) "
                "was released by an earlier backward; pass retain_graph=True (or "
                "create_graph=True) to the first backward to go through the graph twice, or run "
                "the forward again")
    return records


def _paths(records):
    """id(tensor) -> n, the number of (record, input) edges by which its gradient arrives."""
    n = {}
    for r in records:
        for t, need in zip(inputs_of(r), r.needs_input_grad):
            if need:
                n[id(t)] = n.get(id(t), 0) + 1
    return n


def _seed(loss, grad, create_graph):
    """The gradient the walk starts from: ones for a scalar, else `grad`, checked. A Tensor under
    create_graph (a given Tensor keeps its graph, as torch's grad_outputs)."""
    if not loss.requires_grad:
        raise RuntimeError(f"backward: this tensor {loss.shape} does not require grad: no input "
                           "had requires_grad=True, or it was computed under no_grad(); create "
                           "the inputs with Tensor(data, requires_grad=True)")
    if grad is None:
        if loss.data.size != 1:
            raise RuntimeError(
                f"backward: output has shape {loss.shape}, not a scalar; pass a gradient of "
                f"that shape, e.g. y.backward(np.ones({loss.shape})), or reduce first (y.sum())")
        grad = np.ones(loss.shape, loss.dtype)
    tensor = hasattr(grad, "record")
    if not (create_graph and tensor and grad.dtype == loss.dtype):
        grad = np.asarray(grad.data if tensor else grad, dtype=loss.dtype)
    if grad.shape != loss.shape:
        raise ValueError(f"backward: gradient has shape {grad.shape} but the output has shape "
                         f"{loss.shape}; pass one of the output's shape")
    return higher.seed_tensor(grad) if create_graph and not tensor else grad


def backward_steps(loss, grad=None, retain_graph=False):
    """Reverse mode one record at a time: yields a Step per record reached, newest first.

    Leaf gradients accumulate into .grad (+=), as in PyTorch; every intermediate tensor gets
    .grad set to its gradient from this backward, so learners can read dxhat, divar, ... by name.
    """
    return _walk(((loss, grad),), retain_graph)


def _forget_the_previous_graph(records):
    """The graph of the latest backward stays drawable (to_dot, check_by_hand after backward);
    the one before lets go of its inputs, so kept losses keep no activations (see docs)."""
    for r in filter(None, (ref() for ref in state.modes.released)):
        r.forget_inputs()
    state.modes.released = [weakref.ref(r) for r in records]


def backward(loss, grad=None, retain_graph=None, create_graph=False):
    """Fill .grad of every tensor `loss` depends on: backward_steps, drained.

    create_graph=True runs every rule on Tensors (higher/), so the gradients are
    recorded and can be differentiated again; retain_graph defaults to it, as in PyTorch.
    """
    retain = create_graph if retain_graph is None else retain_graph
    # drained holding no Step, so each step's arrays are freed before the next record runs
    deque(_walk(((loss, grad),), retain, create_graph), maxlen=0)


def grad(outputs, inputs, grad_outputs, retain_graph, create_graph):
    """The gradients of sum(outputs * grad_outputs) for `inputs`, one each (None where none
    arrives), setting no .grad: the walk behind tg.grad (as torch.autograd.grad)."""
    wanted = {id(t): None for t in inputs}
    retain = create_graph if retain_graph is None else retain_graph
    deque(_walk(tuple(zip(outputs, grad_outputs)), retain, create_graph, wanted), maxlen=0)
    return [wanted[id(t)] for t in inputs]


def _walk(roots, retain_graph, create_graph=False, wanted=None):
    """The reverse walk from (tensor, grad) roots: a Step per record reached, newest first.

    totals holds the gradient so far of every tensor reached; it is never added into in place
    (`total + gi`), so a yielded Step's grad_totals stay what they were. create_graph: every
    gradient is a Tensor, each rule runs on Tensors (higher.py) in a scope naming the
    record, and leaves get their .grad at the end (one add each, not two). wanted: id ->
    gradient, filled for tg.grad instead of any .grad.
    """
    records = _graph([t for t, _ in roots])
    walked = list(records)
    totals, paths, arrived, rebuilt, leaves = {}, _paths(records), {}, [], {}
    for loss, grad in roots:
        seed = _seed(loss, grad, create_graph)
        total = totals.get(id(loss))
        totals[id(loss)] = seed if total is None else total + seed
        if loss.record is None:
            leaves[id(loss)] = loss
            if wanted is None and not create_graph:
                loss.grad = seed.copy() if loss.grad is None else loss.grad + seed
    with enable_grad() if create_graph else nullcontext():
        while records:                         # newest first: a reverse topological order
            r = records.pop()
            out = r.output
            g = totals.pop(id(out), None)      # None: off the path to the loss, or out was freed
            if g is None:
                continue
            if wanted is None:
                out.grad = g
            elif id(out) in wanted:
                wanted[id(out)] = g
            if not create_graph:
                columns = _send_back(r, g, totals, arrived, paths, wanted is None, False)
            else:
                if g.name is None and g.record is not None and out.name:
                    g.name = "d" + out.name    # dxhat, divar, ...: the drawing's vocabulary
                expanded = higher.decomposition(r)
                if expanded is not None:       # walk the op rebuilt from primitives instead
                    out, more = expanded
                    rebuilt.append(out)        # kept alive: records hold outputs weakly
                    totals[id(out)] = g
                    records += more            # newer than every record left: popped next
                    paths.update(_paths(more))
                    if not retain_graph:
                        r.release()
                    continue
                with higher.backward_scope(r):
                    columns = _send_back(r, g, totals, arrived, paths, False, True)
                leaves.update((id(t), t) for t in inputs_of(r) if t.record is None)
            if not retain_graph:
                r.release()
            yield Step(r, g, *zip(*columns))
            del columns                        # its arrays live on in the caller's Step alone
    if not retain_graph:
        _forget_the_previous_graph(walked)
    if wanted is not None:
        for key in wanted:
            if key in totals:                  # leaves: their sums were never popped
                wanted[key] = totals[key]
    elif create_graph:
        for key, t in leaves.items():
            if key in totals and t.requires_grad:
                _accumulate_leaf(t, totals[key])


def _send_back(r, g, totals, arrived, paths, accumulate, create_graph):
    """Record r's input gradients added into totals (and leaves' .grad when `accumulate`) ->
    the Step's columns: per input (grad, axes summed, total, arrival)."""
    grads = _backward_of(r, g, create_graph)
    columns = []
    for i, (t, gi) in enumerate(zip(inputs_of(r), grads)):
        if gi is None or not r.needs_input_grad[i]:
            columns.append((None, (), None, None))
            continue
        gi, axes = _contribution(r, i, gi, create_graph)
        key = id(t)
        previous = totals.get(key)             # the first contribution is kept: fresh
        if previous is not None:
            total = previous + gi
        else:
            total = gi if create_graph else fresh(gi, g, grads[:i], t.data)
        totals[key] = total
        if accumulate and t.record is None:    # a leaf: += across backwards, as PyTorch, into a
            # new array (one the user kept stays); with no .grad before this backward, its total
            t.grad = total if t.grad is None or t.grad is previous else t.grad + gi
        arrived[key] = arrived.get(key, 0) + 1
        columns.append((gi, axes, total, (arrived[key], paths[key])))
    return columns


def _backward_of(r, g, create_graph=False):
    """The op's grads for record r, one per input (checked), from the implementation that ran
    (under create_graph, the reference op's rule run on Tensors: higher.py)."""
    if r.checksums is not None:
        anomaly.check_saved(r)
    if create_graph:
        grads = higher.backward_tensors(r, g)
    else:
        with numpy_warnings_at_user_line(r.impl, " backward"):
            grads = r.impl.backward(g, r.saved, r.needs_input_grad)
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(r.inputs):
        raise RuntimeError(f"{r.op}: backward returned {len(grads)} gradient(s) for "
                           f"{len(r.inputs)} input(s); return one per input, None for an "
                           "input that gets no gradient")
    return grads


def _contribution(r, i, gi, create_graph=False):
    """Input i's gradient from record r, its dtype checked and summed back to its shape; returns
    it with the axes summed, for the step view. (Under create_graph a Tensor.)"""
    t = r.inputs[i]
    gi = gi if create_graph else np.asarray(gi)
    if gi.dtype != t.dtype:
        raise RuntimeError(f"{r.op}: backward returned a {gi.dtype} gradient for input {i} "
                           f"({t.dtype} {t.shape}); a gradient keeps its input's dtype: convert "
                           "in the op's backward, e.g. dx.astype(x.dtype)")
    gi, axes = sum_to_shape(gi, t.shape, r.op)
    if state.modes.anomaly:
        anomaly.check_grad(gi.data if create_graph else gi, r, f"backward, the gradient for "
                           f"input {i} ({t.name or 'unnamed'}, shape {t.shape})")
    return gi, axes


def fresh(gi, g, earlier, like):
    """gi if the op's backward made it just now, else a copy laid out as `like`, its tensor's array
    (as torch lays out .grad: a batch-last activation gets a batch-last gradient). A gradient kept
    as a .grad is never g (add returns it), a view (mean's broadcast), read-only or another input's."""
    if gi.base is None and gi.flags.writeable and not any(gi is o for o in (g, *earlier)):
        return gi
    out = np.empty_like(like)
    np.copyto(out, gi)
    return out


def _accumulate_leaf(t, g):
    """Under create_graph, a leaf's .grad += g at the end of the walk, named d<name>."""
    t.grad = g if t.grad is None else t.grad + g
    if t.grad.name is None and t.name:
        t.grad.name = "d" + t.name                  # the drawing's vocabulary
