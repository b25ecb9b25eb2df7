"""tg.jit: record a training step twice, check both ran the same program, then replay it.

A tape is a Wengert list: each line one primitive on numbered values, in the order they ran.
With the effects beside it (zero_grad, backward, the optimizer step, BN's running statistics,
dropout draws) it is the whole step as a straight-line program, which replay.py runs again on
new inputs without building Tensors, Records or locks per op. One program per input signature.
"""
import functools

import numpy as np

from ..engine import Tensor
from ..engine.mode import state
from .recording import Backward, Recorder, describe, leaves
from .replay import Program


def jit(fn):
    """Replay `fn` (a step: forward, backward, update) after two eager calls with the same inputs.

    Like tinygrad's TinyJit: the first two calls with given input shapes and dtypes run eagerly
    and are recorded (and must match); later calls replay, with bit-identical results.
    """
    return Jit(fn)


class Jit:
    """A jitted function: programs by input signature (shapes, dtypes; other arguments by value).

    .tape is the Tape of the latest recorded program (print it: r0.. lines); .program the
    program itself (its str shows the effects too); .programs every one by signature.
    """

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.programs, self._first = {}, {}
        self.program = None

    @property
    def tape(self):
        """The Tape of the latest recorded program, or None before one is built."""
        return None if self.program is None else self.program.tape

    def __call__(self, *args, **kwargs):
        values = (*args, *kwargs.values())
        key = (tuple(map(_signature, values)), tuple(kwargs), state.modes.grad_enabled)
        arrays = [v.data if isinstance(v, Tensor) else v for v in values
                  if isinstance(v, (Tensor, np.ndarray))]
        modes = state.modes
        if modes.tapes or modes.anomaly or modes.recorder:     # a user's Tape sees the records
            return self.fn(*args, **kwargs)
        program = self.programs.get(key)
        if program is not None:
            tensors = [v if isinstance(v, Tensor) else None for v in values
                       if isinstance(v, (Tensor, np.ndarray))]
            return program.run(arrays, tensors)
        return self._record(key, args, kwargs, arrays)

    def _record(self, key, args, kwargs, arrays):
        """An eager call, recorded; the second one of a signature is checked and becomes its program."""
        recorder, modes = Recorder(arrays), state.modes
        first = self._first.pop(key, None)
        if first is not None:                       # the parameters call 1 read
            recorder.watch(leaves(first))
        modes.tapes.append(recorder)
        modes.recorder = recorder
        try:
            result = self.fn(*args, **kwargs)
            recorder.check_watched()
        finally:
            modes.tapes.remove(recorder)
            modes.recorder = None
        description = describe(recorder, arrays, result)
        if first is None:
            self._first[key] = description
            return result
        difference = first_difference(first, description)
        if difference:
            raise RuntimeError(f"tg.jit({self.__name__}): call 2 ran another program than call 1 "
                               f"with the same inputs; {difference}. tg.jit needs the same "
                               "program every call (Python control flow on tensor values, or a "
                               "constant computed outside the primitives, changes it); call "
                               f"{self.__name__} without tg.jit")
        self.program = self.programs[key] = Program(description, len(arrays))
        return result


def _signature(value):
    """What must match for a program to replay: shape, dtype (and requires_grad) or the value."""
    if isinstance(value, Tensor):
        return ("tensor", value.shape, value.dtype, value.requires_grad)
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype)
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"tg.jit: an argument of type {type(value).__name__} is neither a "
                        "Tensor, an array nor a hashable value; pass arrays or Tensors") from None
    return ("value", type(value), value)


def first_difference(a, b):
    """'' if Descriptions a and b are the same program, else where they first differ."""
    for k, (x, y) in enumerate(zip(a.rows, b.rows)):
        if (x.op, x.impl, x.in_shapes, x.in_dtypes, x.needs, x.shape, x.dtype) != \
                (y.op, y.impl, y.in_shapes, y.in_dtypes, y.needs, y.shape, y.dtype) \
                or not _same(x.attrs, y.attrs):
            return f"r{k} is {_text(x)} in call 1 but {_text(y)} in call 2"
        for i, (p, q) in enumerate(zip(x.inputs, y.inputs)):
            if not _same_ref(p, q):
                return (f"r{k} ({_text(y)}) input {i} is {_origin_text(p)} in call 1 but "
                        f"{_origin_text(q)} in call 2")
    if len(a.rows) != len(b.rows):
        k = min(len(a.rows), len(b.rows))
        extra = a.rows[k] if len(a.rows) > k else b.rows[k]
        return f"call 1 ran {len(a.rows)} records, call 2 {len(b.rows)} (r{k} is {_text(extra)})"
    for j, (e, f) in enumerate(zip(a.effects, b.effects)):
        if type(e) is not type(f) or e.position != f.position or not _same_effect(e, f):
            return f"effect {j} ({_effect_name(e)} after r{e.position - 1}) differs: {_effect_name(f)}"
    if len(a.effects) != len(b.effects):
        return f"call 1 ran {len(a.effects)} effects, call 2 {len(b.effects)}"
    if not _same_ref(a.output, b.output):
        return "the results differ (a Python number computed from tensors? return the Tensor)"
    return ""


def _same_effect(e, f):
    if isinstance(e, Backward):
        return (e.loss, e.retain_graph, e.walk) == (f.loss, f.retain_graph, f.walk) and \
            _same_ref(e.grad, f.grad)
    return (e.fn == f.fn and len(e.args) == len(f.args) and e.kwargs.keys() == f.kwargs.keys()
            and all(map(_same_ref, e.args, f.args))
            and all(_same_ref(e.kwargs[k], f.kwargs[k]) for k in e.kwargs))


def _same_ref(p, q):
    """Two origins are the same: a parameter the same object, a constant the same memory or values,
    an array an effect got the same object (a buffer, not something computed per call)."""
    if p is None or q is None:
        return p is q
    if p[0] != q[0]:
        return False
    kind = p[0]
    if kind == "seq":
        return p[1] is q[1] and len(p[2]) == len(q[2]) and all(map(_same_ref, p[2], q[2]))
    if kind == "tensor":
        return _same_ref(p[1], q[1])
    if kind == "param":
        return p[1] is q[1]
    if kind == "const":
        return _same_memory(p[1], q[1]) or _equal(p[1], q[1])
    if kind == "value":
        if isinstance(p[1], np.ndarray) or isinstance(q[1], np.ndarray):
            return _same_memory(p[1], q[1])
        return _same(p[1], q[1])
    return p == q


def _same_memory(a, b):
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and (
        a is b or (a.base is not None and a.base is b.base))


def _equal(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def _same(x, y):
    """Equal attrs or values, arrays by content, without NumPy's ambiguous truth."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and _equal(x, y)
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
        return type(x) is type(y) and len(x) == len(y) and all(map(_same, x, y))
    try:
        return bool(x is y or x == y)
    except (TypeError, ValueError):
        return False


def _text(row):
    shapes = ", ".join(str(s) for s in row.in_shapes)
    return f"{row.op}({shapes}) -> {row.shape} {row.dtype}"


def _origin_text(ref):
    kind = ref[0]
    if kind == "const":
        return f"a constant {ref[1].shape} {ref[1].dtype} computed outside the recorded ops"
    return {"out": f"the output of r{ref[1]}", "arg": f"argument {ref[1]}",
            "param": f"parameter {ref[1].name or ref[1].shape}", "effect": f"effect {ref[1]}'s result",
            "cast": f"argument {ref[1]} as {ref[2]}"}.get(kind, kind)


def _effect_name(e):
    return "backward" if isinstance(e, Backward) else getattr(e.fn, "__qualname__", repr(e.fn))
