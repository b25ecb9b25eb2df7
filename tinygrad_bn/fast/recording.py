"""What one eager call of a jitted function ran, as comparable rows: records, effects, outputs.

A `Recorder` is a Tape that also hears effects (see engine.mode.effect). `describe` turns it into
a `Description`: every value named by where it comes from (an argument, a parameter, a record's
output, an effect's result, a constant), so two calls can be compared and one can be replayed.
"""
from dataclasses import dataclass

import numpy as np

from ..engine import Tape, Tensor, backward, records_of
from ..engine.mode import state

BACKWARD = backward          # the effect `loss.backward()` reports (Tensor.backward)


class Recorder(Tape):
    """A Tape that also keeps the effects, and knows every array the call made by its id."""

    def __init__(self, arrays):
        super().__init__()
        self.effects = []        # Effect rows, in the order they ran
        self._watched, self._before = [], []     # leaves that may change only inside effects
        self.position = {}       # id(record) -> its position on this tape
        self._known, self._alive = {}, []    # id(array) -> ref; the arrays, so no id is reused
        for i, a in enumerate(arrays):
            self._know(a, ("arg", i))

    def _know(self, a, ref):
        if isinstance(a, np.ndarray) and id(a) not in self._known:
            self._known[id(a)] = ref
            self._alive.append(a)

    def watch(self, leaves):
        """Check that `leaves` (Tensors) change only inside effects: a replay runs nothing else,
        so `p.data -= lr * p.grad` written in the function would be lost after the recording."""
        self._watched = list(leaves)
        self._before = _values(self._watched)

    def check_watched(self):
        """Raise if a watched leaf's data or .grad changed since the last effect."""
        now = _values(self._watched)
        for t, (data, grad), (data2, grad2) in zip(self._watched, self._before, now):
            if not (_same_values(data, data2) and _same_values(grad, grad2)):
                what = "values" if not _same_values(data, data2) else ".grad"
                raise RuntimeError(
                    f"tg.jit: the {what} of parameter {t.name or 'unnamed'} {t.shape} changed outside "
                    f"the primitives and effects (after r{len(self.records) - 1}), e.g. "
                    "p.data -= lr * p.grad or p.grad *= 0.5 by hand; a replay would skip that: "
                    "use an optimizer (opt.step()), or call this function without tg.jit")
        self._before = now

    def sync(self):
        """Learn the records appended since the last call: positions, outputs, saved arrays."""
        for k in range(len(self.position), len(self.records)):
            record = self.records[k]
            self.position[id(record)] = k
            self._know(record.output.data, ("out", k))
            for key, a in (record.saved or {}).items():
                self._know(a, ("saved", k, key))

    def forget(self):
        """Drop the map of arrays (and the arrays it kept alive) once the call is described."""
        self._known, self._alive = {}, []

    def origin(self, a):
        """Where array `a` comes from: ("arg", i), ("out", k), ("saved", k, key), ("effect", j), or None."""
        return self._known.get(id(a))

    def ref(self, value):
        """How a value an effect got reads in the program: a known array by its origin, else itself."""
        if isinstance(value, np.ndarray):
            return self.origin(value) or ("value", value)
        if isinstance(value, Tensor):
            raise TypeError(f"tg.jit: an effect got a Tensor {value.shape}; pass its .data")
        return ("value", value)

    def effect(self, fn, args, kwargs):
        """Run an effect for engine.mode.effect and keep it: fn, its arguments' origins, its
        result. Effects inside it belong to it (the recorder is off while it runs)."""
        self.check_watched()
        modes = state.modes
        modes.recorder = None
        try:
            out = fn(*args, **kwargs)
        finally:
            modes.recorder = self
        self._before = _values(self._watched)
        self.sync()
        if fn is BACKWARD:
            row = self._backward(*args, **kwargs)
        else:
            row = Effect(len(self.records), fn, tuple(map(self.ref, args)),
                         {k: self.ref(v) for k, v in kwargs.items()})
        self.effects.append(row)
        self._know(out, ("effect", len(self.effects) - 1))
        return out

    def _backward(self, loss, grad=None, retain_graph=False, **options):
        if options.get("create_graph"):
            raise NotImplementedError("tg.jit: backward(create_graph=True) records new graphs "
                                      "while it runs; call this function without tg.jit")
        k = self.position.get(id(loss.record))
        walk = [self.position.get(id(r)) for r in reversed(records_of(loss))]
        if k is None or None in walk:
            raise RuntimeError(f"tg.jit: backward from a {loss.shape} tensor that depends on "
                               "records made before this call; compute the loss inside the "
                               "jitted function (or detach what comes from outside)")
        grad = None if grad is None else self.ref(getattr(grad, "data", grad))
        return Backward(len(self.records), k, grad, bool(retain_graph), tuple(walk))


@dataclass
class Effect:
    """fn(*args, **kwargs) ran after `position` records; args are refs (see Recorder.ref)."""
    position: int
    fn: object
    args: tuple
    kwargs: dict


@dataclass
class Backward:
    """loss.backward(grad) ran after `position` records: the loss is record `loss`'s output,
    `walk` the positions of the records it visits, newest first (the eager walk's order)."""
    position: int
    loss: int
    grad: object
    retain_graph: bool
    walk: tuple


@dataclass
class Row:
    """One record as the program sees it: op, where each input comes from, mask, attrs, output."""
    op: str
    impl: object
    inputs: tuple
    in_shapes: tuple
    in_dtypes: tuple
    needs: tuple
    attrs: dict
    shape: tuple
    dtype: object


@dataclass
class Description:
    """A recorded call: its rows, effects (Effect and Backward, in order), outputs, tape."""
    rows: list
    effects: list
    output: object
    tape: Recorder


def describe(recorder, arrays, result):
    """The Description of one recorded call of a function with input `arrays` returning `result`."""
    recorder.sync()
    rows = []
    for k, r in enumerate(recorder.records):
        inputs = tuple(_origin(recorder, arrays, t, k) for t in r.inputs)
        out = r.output
        rows.append(Row(r.op, r.impl, inputs, tuple(t.shape for t in r.inputs),
                        tuple(t.dtype for t in r.inputs), r.needs_input_grad, r.attrs,
                        out.shape, out.dtype))
    walked = {k for e in recorder.effects if isinstance(e, Backward) for k in e.walk}
    for k, r in enumerate(recorder.records):
        if r.released and k not in walked:
            raise NotImplementedError(f"tg.jit: r{k} ({r.op}) went through a backward other "
                                      "than loss.backward() (backward_steps?); call this "
                                      "function without tg.jit")
    output = _output(recorder, result)
    recorder.forget()
    return Description(rows, recorder.effects, output, recorder)


def _origin(recorder, arrays, t, k):
    """Where input tensor t of record k comes from, as a ref the program can read."""
    if t.record is not None:
        j = recorder.position.get(id(t.record))
        if j is None:
            raise RuntimeError(f"tg.jit: r{k} ({recorder.records[k].op}) reads a {t.shape} "
                               "tensor computed before this call, with its graph; compute it "
                               "inside the jitted function, or pass it as an argument")
        return ("out", j)
    ref = recorder.origin(t.data)
    if ref is not None and ref[0] in ("arg", "effect"):
        return ref
    if t.requires_grad:
        return ("param", t)
    for i, a in enumerate(arrays):           # the labels, cast by F.cross_entropy: a copy
        if a.shape == t.shape and np.array_equal(a.astype(t.dtype, copy=False), t.data):
            return ("cast", i, t.dtype)
    return ("const", t.data)


def _output(recorder, result):
    """The function's result as a tree of refs: Tensors and arrays by origin, the rest as values."""
    if type(result) in (tuple, list):
        return ("seq", type(result), [_output(recorder, v) for v in result])
    if isinstance(result, Tensor):
        ref = recorder.ref(result.data)
        return ("tensor", ref if ref[0] != "value" else ("param", result))
    return recorder.ref(result)


def _values(tensors):
    """Copies of each tensor's data and .grad, to tell later whether either changed."""
    return [(t.data.copy(), None if t.grad is None else np.array(t.grad)) for t in tensors]


def _same_values(a, b):
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def leaves(description):
    """The parameters (grad-needing leaf Tensors) a recorded call read, each once."""
    seen = {}
    for row in description.rows:
        for ref in row.inputs:
            if ref[0] == "param":
                seen.setdefault(id(ref[1]), ref[1])
    return list(seen.values())
