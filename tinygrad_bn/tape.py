"""Records, tapes and reverse mode: the engine that turns a forward pass into gradients.

Every primitive that runs while gradients are on leaves a Record on its output tensor (and on
every active Tape). Record indices come from one counter, so walking the records a loss depends
on in decreasing index is a valid reverse topological order: no graph search, no recursion.
"""
import contextlib
import itertools
import threading
import traceback
import weakref
from pathlib import Path

import numpy as np

from .readonly import lock, unlock

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_counter = itertools.count()


class _State(threading.local):
    """Per-thread grad mode, active tapes and anomaly mode (two threads never share them)."""

    def __init__(self):
        self.grad_enabled = True
        self.tapes = []
        self.anomaly = False
        self.scope = ()


_state = _State()


def is_grad_enabled():
    """True when primitives record themselves for backward (the default)."""
    return _state.grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Context manager and decorator that sets grad mode and restores it on exit."""

    enabled = True

    def __enter__(self):
        self._prev = _state.grad_enabled
        _state.grad_enabled = self.enabled

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev


class no_grad(_GradMode):
    """Run without recording: outputs have no record and need no memory for backward."""

    enabled = False


class enable_grad(_GradMode):
    """Turn recording back on inside a no_grad block."""

    enabled = True


class detect_anomaly(contextlib.ContextDecorator):
    """Check every forward and backward result for NaN/inf and name the op and the user line."""

    def __enter__(self):
        self._prev = _state.anomaly
        _state.anomaly = True

    def __exit__(self, *exc):
        _state.anomaly = self._prev


@contextlib.contextmanager
def scope(name):
    """Tag the records made inside with `name#k` (k unique), so a graph can draw them as one box.

    Composites such as functional.batch_norm run in a scope; viz.to_dot(collapse=...) uses it.
    """
    prev = _state.scope
    _state.scope = prev + (f"{name}#{next(_scope_counter)}",)
    try:
        yield
    finally:
        _state.scope = prev


_scope_counter = itertools.count()


def _user_line():
    """The innermost stack frame outside this package: where the user created a record."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not frame.filename.startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return "<unknown>"


class Record:
    """One line of the Wengert list: which op ran on which tensors, and what it saved."""

    __slots__ = ("index", "op", "attrs", "inputs", "saved", "rule", "released", "created_at", "scope",
                 "_impl", "_out", "_locked", "__weakref__")

    def __init__(self, impl, attrs, inputs, output, saved):
        self.index = next(_counter)
        self.op = impl.name
        self.rule = impl.rule
        self.attrs = attrs
        self.inputs = inputs
        self.saved = saved
        self.released = False
        self.scope = _state.scope
        self.created_at = _user_line() if _state.anomaly else None
        self._impl = impl
        self._out = weakref.ref(output)
        self._locked = lock(saved) if saved else ()
        for tape in _state.tapes:
            tape._append(self, output)

    @property
    def output(self):
        """The tensor this record produced (None if nothing holds it any more)."""
        return self._out()

    @property
    def nbytes(self):
        """Bytes of the arrays this record keeps for backward."""
        return sum(a.nbytes for a in (self.saved or {}).values() if isinstance(a, np.ndarray))

    def release(self):
        """Free what backward needed; a later backward through this record raises."""
        if self._locked:
            unlock(self._locked)
            self._locked = ()
        self.saved = None
        self.released = True

    def __del__(self):
        if self._locked:
            unlock(self._locked)

    def __repr__(self):
        names = ", ".join(_label(t) for t in self.inputs)
        return f"Record(r{self.index} = {self.op}({names}); {self.rule})"


def _label(t):
    return t.name or (f"r{t.record.index}" if t.record is not None else "const")


class Tape:
    """An ordered list of every record made while it is active, for looking and stepping.

    with Tape() as tape: ...      records land here in execution order (tapes nest)
    """

    def __init__(self):
        self.records = []
        self._outputs = []    # keeps outputs alive so that record.output stays readable

    def _append(self, record, output):
        self.records.append(record)
        self._outputs.append(output)

    def __enter__(self):
        _state.tapes.append(self)
        return self

    def __exit__(self, *exc):
        _state.tapes.remove(self)

    def __iter__(self):
        return iter(self.records)

    def __len__(self):
        return len(self.records)

    def __getitem__(self, i):
        return self.records[i]

    @property
    def nbytes(self):
        """Bytes of distinct arrays the records keep for backward."""
        seen = {}
        for r in self.records:
            for a in (r.saved or {}).values():
                if isinstance(a, np.ndarray):
                    seen[id(a)] = a.nbytes
        return sum(seen.values())

    def backward(self, loss, grad=None, retain_graph=False):
        """Same as loss.backward(grad, retain_graph)."""
        backward(loss, grad, retain_graph)

    def backward_steps(self, loss, grad=None, retain_graph=False):
        """Yield one Step per record, in reverse; draining it equals loss.backward()."""
        return backward_steps(loss, grad, retain_graph)

    def __str__(self):
        lines = []
        for r in self.records:
            out = r.output
            name = out.name if out is not None and out.name else f"r{r.index}"
            attrs = "".join(f", {k}={v!r}" for k, v in r.attrs.items())
            args = ", ".join(_label(t) for t in r.inputs)
            lines.append(f"r{r.index:<4} {name:>8} = {r.op}({args}{attrs})")
        return "\n".join(lines)

    def __repr__(self):
        return f"Tape({len(self)} records, {self.nbytes} bytes saved)"


class Step:
    """One reverse step: the record, the gradient arriving at its output, what it sends back."""

    __slots__ = ("record", "grad_output", "grad_inputs", "reduced_axes")

    def __init__(self, record, grad_output, grad_inputs, reduced_axes):
        self.record = record
        self.grad_output = grad_output
        self.grad_inputs = grad_inputs
        self.reduced_axes = reduced_axes

    @property
    def rule(self):
        return self.record.rule

    def __repr__(self):
        return f"Step(r{self.record.index} {self.record.op}: {self.rule})"


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
    return g.sum(axis=axes, keepdims=True).reshape(shape), axes


def records_of(tensor):
    """Every record `tensor` depends on, oldest first; found with an explicit stack, no recursion."""
    records, stack, seen = [], [tensor], set()
    while stack:
        r = stack.pop().record
        if r is None or id(r) in seen:
            continue
        seen.add(id(r))
        records.append(r)
        stack.extend(r.inputs)
    records.sort(key=lambda r: r.index)
    return records


def _graph(loss):
    """The records `loss` depends on, newest first; raises if one was released."""
    records = records_of(loss)[::-1]
    for r in records:
        if r.released:
            raise RuntimeError(
                f"backward: record r{r.index} ({r.op} of "
                f"{', '.join(str(t.shape) for t in r.inputs)}) was released by an earlier backward; "
                "pass retain_graph=True to the first backward to go through the graph twice, "
                "or run the forward again")
    return records


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


_HINTS = {
    "log": "log needs x > 0: clip its input, e.g. x.clip(min=1e-12)",
    "sqrt": "sqrt needs x >= 0, and x > 0 for a finite gradient: add eps inside, e.g. (var + 1e-5).sqrt()",
    "div": "a divisor is 0: add eps to it",
    "reciprocal": "the input holds a 0: add eps to it, e.g. (x + 1e-5).reciprocal()",
    "exp": "exp overflows above ~709 (float64) or ~88 (float32): subtract the max first",
}


def anomaly_message(op, label, inputs, where, created_at):
    """The anomaly-mode error: the op, the record or gradient, input shapes, the user line and a fix,
    so a NaN is traced to the line that made it rather than found three ops later."""
    shapes = ", ".join(str(np.shape(a)) for a in inputs)
    bad = [i for i, a in enumerate(inputs) if not np.all(np.isfinite(a))]
    fix = (f"input {bad[0]} was already non-finite, so the cause is upstream: look at the op that "
           "made it" if bad else _HINTS.get(op, "look for huge or zero values among its inputs"))
    return (f"anomaly: {op} ({label}) produced NaN or inf in {where}; inputs {shapes}; "
            f"created at {created_at or '<outside detect_anomaly>'}; {fix}")


def check_forward(op, arrays, out, record):
    """Anomaly mode: a non-finite forward result raises, naming the record (if the op was
    recorded) and the user's line."""
    if not np.all(np.isfinite(out)):
        label, line = ((f"record r{record.index}", record.created_at) if record is not None
                       else ("not recorded", _user_line()))
        raise FloatingPointError(anomaly_message(op, label, arrays, "forward", line))


def _check_grad(gi, record, where):
    """Anomaly mode: a non-finite gradient raises, naming the record and its creating line."""
    if not np.all(np.isfinite(gi)):
        inputs = [t.data for t in record.inputs]
        raise FloatingPointError(anomaly_message(record.op, f"record r{record.index}", inputs,
                                                 where, record.created_at))


def backward_steps(loss, grad=None, retain_graph=False):
    """Reverse mode one record at a time: yields a Step per record, newest first.

    Leaf gradients accumulate into .grad (+=), as in PyTorch; every intermediate tensor gets
    .grad set to its gradient from this backward, so learners can read dxhat, divar, ... by name.
    """
    records = _graph(loss)
    seed = _seed(loss, grad)
    pending = {id(loss): seed}
    owned = set()                    # pending arrays we made ourselves, safe to add into in place
    if loss.record is None:
        _accumulate_leaf(loss, seed)
    for r in records:
        out = r.output
        g = pending.pop(id(out), None) if out is not None else None
        if g is None:
            continue                 # output not on the path to the loss
        out.grad = g
        grads = r._impl.backward(g, r.saved)
        grads = grads if isinstance(grads, tuple) else (grads,)
        grad_inputs, reduced = [], []
        for t, gi in zip(r.inputs, grads):
            if gi is None or not t.requires_grad:
                grad_inputs.append(None)
                reduced.append(())
                continue
            gi, axes = sum_to_shape(np.asarray(gi, dtype=t.dtype), t.shape, r.op)
            if _state.anomaly:
                _check_grad(gi, r, f"backward, the gradient for input {len(grad_inputs)} "
                                     f"({_label(t)}, shape {t.shape})")
            grad_inputs.append(gi)
            reduced.append(axes)
            if t.record is None:
                _accumulate_leaf(t, gi, fresh=_is_fresh(gi, g, grad_inputs[:-1]))
            elif id(t) in pending:
                if id(t) in owned:
                    pending[id(t)] += gi
                else:
                    pending[id(t)] = pending[id(t)] + gi
                    owned.add(id(t))
            else:
                pending[id(t)] = gi  # may alias g (add returns g): never written in place
        if not retain_graph:
            r.release()
        yield Step(r, g, tuple(grad_inputs), tuple(reduced))


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


def backward(loss, grad=None, retain_graph=False):
    """Fill .grad of every tensor `loss` depends on; drains backward_steps."""
    for _ in backward_steps(loss, grad, retain_graph):
        pass
