"""Record: one line of the Wengert list, which op ran on which tensors and what it saved.

Record indices come from one global counter, so sorting the records a loss depends on by
decreasing index is a valid reverse topological order: no graph search, no recursion.
"""
import itertools
import weakref

import numpy as np

from .anomaly import checksums
from .mode import user_line
from .readonly import lock

_counter = itertools.count()


class Record:
    """Which op ran (`op`, `rule`, `attrs`) on which `inputs`, its `output`, and `saved` arrays.

    `index` is global and increasing (an order, not a name: graphs show records as r0, r1, ...).
    `impl` is the class that ran: OPS[op], or its kernel from KERNELS (same maths, same saved keys).
    `needs_input_grad` says which inputs required a gradient when it ran: backward gets that mask.
    `scope` is the tuple of scope tags active when it ran (see mode.scope).
    `taped` is True once an explicit Tape holds it: then its inputs are kept after backward.
    `before`: for an in-place update (x.add_(y)), the tensor holding x's value before it.
    """

    __slots__ = ("index", "attrs", "inputs", "needs_input_grad", "saved", "released", "scope",
                 "impl", "taped", "before", "_out", "_locked", "__weakref__")
    created_at = None   # anomaly mode's facts: a plain record carries none (see CheckedRecord)
    checksums = None

    def __init__(self, impl, attrs, inputs, needs_input_grad, output, saved, scope):
        self.index = next(_counter)
        self.attrs = attrs
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad
        self.saved = saved
        self.released = False
        self.scope = scope
        self.impl = impl
        self.taped, self.before = False, None
        self._out = weakref.ref(output)
        self._locked = lock(saved, impl.name) if saved else None     # a readonly.Lock, or None

    @property
    def op(self):
        """The primitive's name, e.g. 'mul'."""
        return self.impl.name

    @property
    def rule(self):
        """The primitive's derivative rule, one line, e.g. 'da = g * b ; db = g * a'."""
        return self.impl.rule

    @property
    def output(self):
        """The tensor this record produced (None if nothing holds it any more)."""
        return self._out()

    def set_output(self, tensor):
        """Point the record at another output: an in-place update moves the old value to its
        own tensor (see methods.update)."""
        self._out = weakref.ref(tensor)

    @property
    def nbytes(self):
        """Bytes of the arrays this record keeps for backward."""
        return sum(a.nbytes for a in (self.saved or {}).values() if isinstance(a, np.ndarray))

    def release(self):
        """Free what backward needed; a later backward through this record raises."""
        if self._locked is not None:
            self._locked.release()
            self._locked = None
        self.saved = None
        self.released = True

    def forget_inputs(self):
        """Let go of the input tensors (a released record not on a Tape), so a loss kept after
        backward (`losses.append(loss)`) keeps no activations; the graph is then not drawable."""
        if self.released and not self.taped:
            self.inputs = ()

    def __repr__(self):
        names = ", ".join(t.name or ("const" if t.record is None else t.record.op)
                          for t in self.inputs)
        return f"Record({self.op}({names}); {self.rule})"   # r0.. numbers belong to a graph


class CheckedRecord(Record):
    """A record made in anomaly mode: it also keeps the user line that made it (`created_at`)
    and a checksum of each saved array, so backward can tell if one was changed in place."""

    __slots__ = ("created_at", "checksums")

    def __init__(self, impl, attrs, inputs, needs_input_grad, output, saved, scope):
        self.created_at = user_line()
        self.checksums = checksums(saved) if saved else None      # see anomaly.py
        super().__init__(impl, attrs, inputs, needs_input_grad, output, saved, scope)
