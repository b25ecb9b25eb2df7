"""Tape, the ordered list of what ran while it was active, for looking at and stepping through.

Outside an explicit Tape nothing global grows: a record hangs off its output tensor and lives
as long as something needs it (see apply in tensor.py). Inside `with Tape() as tape:` every
record is also appended to the tape, in execution order.
"""
import numpy as np

from .backward import backward, backward_steps
from .graph import Graph
from .mode import state


class Tape:
    """An ordered list of every record made while it is active, for looking and stepping.

    with Tape() as tape: ...      records land here in execution order (tapes nest)
    """

    def __init__(self):
        self.records = []
        self._outputs = []    # keeps outputs alive so that record.output stays readable

    def _append(self, record, output):
        """Add a record (apply calls this for every active tape) and keep its output alive."""
        record.taped = True                  # backward then keeps its inputs, to draw
        self.records.append(record)
        self._outputs.append(output)

    def __enter__(self):
        state.modes.tapes.append(self)
        return self

    def __exit__(self, *exc):
        state.modes.tapes.remove(self)

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
        """The tape as a listing, records numbered r0, r1, ... in the tape's order."""
        return Graph(self.records).listing()

    def __repr__(self):
        return f"Tape({len(self)} records, {self.nbytes} bytes saved)"
