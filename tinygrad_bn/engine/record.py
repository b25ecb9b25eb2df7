"""Record: one line of the Wengert list, which op ran on which tensors and what it saved.

Record indices come from one global counter, so sorting the records a loss depends on by
decreasing index is a valid reverse topological order: no graph search, no recursion.
"""
import itertools
import weakref

import numpy as np

from .anomaly import checksums
from .mode import state, user_line
from .readonly import lock, unlock, unlock_later

_counter = itertools.count()


class Record:
    """Which op ran (`op`, `rule`, `attrs`) on which `inputs`, its `output`, and `saved` arrays.

    `index` is global and increasing (an order, not a name: graphs show records as r0, r1, ...).
    """

    __slots__ = ("index", "attrs", "inputs", "saved", "released", "created_at", "scope",
                 "checksums", "_impl", "_out", "_locked", "__weakref__")

    def __init__(self, impl, attrs, inputs, output, saved):
        self.index = next(_counter)
        self.attrs = attrs
        self.inputs = inputs
        self.saved = saved
        self.released = False
        self.scope = state.scope
        self.created_at = user_line() if state.anomaly else None
        self.checksums = checksums(saved) if state.anomaly and saved else None   # see anomaly.py
        self._impl = impl
        self._out = weakref.ref(output)
        self._locked = lock(saved) if saved else ()

    @property
    def op(self):
        """The primitive's name, e.g. 'mul'."""
        return self._impl.name

    @property
    def rule(self):
        """The primitive's derivative rule, one line, e.g. 'da = g * b ; db = g * a'."""
        return self._impl.rule

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
            unlock_later(self._locked)      # gc may run this inside lock(): never wait there

    def __repr__(self):
        names = ", ".join(t.name or ("const" if t.record is None else t.record.op)
                          for t in self.inputs)
        return f"Record({self.op}({names}); {self.rule})"   # r0.. numbers belong to a graph
