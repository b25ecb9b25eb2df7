"""Tape, the ordered list of what ran while it was active, for looking at and stepping through.

Outside an explicit Tape nothing global grows: a record hangs off its output tensor and lives
as long as something needs it (see apply in tensor.py). Inside `with Tape() as tape:` every
record is also appended to the tape, in execution order.
"""
import numpy as np

from .backward import backward, backward_steps
from .graph import Graph, records_of
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

    def __contains__(self, record):
        """`record in tape`: was it recorded while this tape was active."""
        return any(r is record for r in self.records)

    @property
    def nbytes(self):
        """Bytes of distinct arrays the records keep for backward."""
        seen = {}
        for r in self.records:
            for a in (r.saved or {}).values():
                if isinstance(a, np.ndarray):
                    seen[id(a)] = a.nbytes
        return sum(seen.values())

    def backward(self, loss, grad=None, retain_graph=None, create_graph=False):
        """Same as loss.backward(grad, retain_graph, create_graph)."""
        backward(loss, grad, retain_graph, create_graph)

    def backward_steps(self, loss, grad=None, retain_graph=False):
        """Yield one Step per record `loss` depends on, newest first; draining it equals
        loss.backward().

        Backward reads the records the loss depends on, which may reach past this tape (a loss
        computed after the `with` block, inputs made before it): `step.record in tape` tells
        which steps are on the tape, and explain(loss, tape=tape) numbers records as str(tape).
        A loss that depends on nothing recorded here raises: it is not this tape's.
        """
        on_tape = {id(r) for r in self.records}
        if not any(id(r) in on_tape for r in records_of(loss)):
            raise ValueError(f"Tape.backward_steps: the loss (shape {loss.shape}) depends on none "
                             f"of this tape's {len(self)} records; compute it inside the `with "
                             "Tape()` block, or step it with tg.engine.backward_steps(loss)")
        return backward_steps(loss, grad, retain_graph)

    def __str__(self):
        """The tape as a listing, records numbered r0, r1, ... in the tape's order."""
        return Graph(self.records).listing()

    def __repr__(self):
        return f"Tape({len(self)} records, {self.nbytes} bytes saved)"
