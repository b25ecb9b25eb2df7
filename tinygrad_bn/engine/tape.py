"""apply, the one place where a primitive runs and is recorded, and Tape, the list of what ran.

Outside an explicit Tape nothing global grows: a record hangs off its output tensor and lives
as long as something needs it. Inside `with Tape() as tape:` every record is also appended to
the tape, in execution order, for looking at and stepping through.
"""
import operator

import numpy as np

from . import anomaly
from .backward import backward, backward_steps
from .graph import Graph, records_of
from .mode import state
from .readonly import freeze_view
from .record import CheckedRecord, Record

_REQUIRES_GRAD = operator.attrgetter("_requires_grad")    # map(getter, inputs): no Python loop per op
_DATA = operator.attrgetter("data")
_PAIRS = (((False, False), (False, True)), ((True, False), (True, True)))  # [a needs][b needs]


def apply(op, *inputs, **attrs):
    """Run primitive `op` on tensors and, while gradients are on, record it on the output.

    The one place where forward results become tensors: recording, appending to active tapes,
    the read-only lock on what was saved (in Record) and anomaly checks all happen here.
    Which inputs need a gradient is decided here, once (as in PyTorch): a tensor that gets
    requires_grad later gets no gradient through ops that ran before.
    """
    modes = state.modes                 # this thread's switches, read once
    if len(inputs) == 2:                # most ops: two inputs, no map() and a shared needs tuple
        a, b = inputs
        needs, arrays = _PAIRS[a._requires_grad][b._requires_grad], (a.data, b.data)
    else:
        needs, arrays = tuple(map(_REQUIRES_GRAD, inputs)), tuple(map(_DATA, inputs))
    recorded = modes.grad_enabled and True in needs
    try:
        if op.saves_by_need:            # it saves only what the gradients backward will ask read
            out, saved = op.forward(*arrays, needs if recorded else (False,) * len(needs), **attrs)
        else:
            out, saved = op.forward(*arrays, **attrs)
    except ValueError as exc:
        if "could not be broadcast" not in str(exc):      # NumPy's own wording only
            raise
        shapes = " and ".join(str(t.shape) for t in inputs)
        raise ValueError(f"{op.name}: shapes {shapes} do not broadcast (from the right, each "
                         "dimension must match or be 1); reshape one input, e.g. "
                         "b.reshape(1, -1) for a row") from None
    if out.base is not None and out.flags.writeable:
        freeze_view(out, arrays)
    result = Tensor.__new__(Tensor)
    result.data = out
    result.grad = result.name = result.record = None
    result._requires_grad = recorded
    if recorded:
        make = CheckedRecord if modes.anomaly else Record
        record = result.record = make(op, attrs, inputs, needs, result, saved, modes.scope)
        for tape in modes.tapes:
            tape._append(record, result)
    if modes.anomaly:
        anomaly.check_forward(op.name, arrays, out, result.record)
    return result


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

    def backward(self, loss, grad=None, retain_graph=False):
        """Same as loss.backward(grad, retain_graph)."""
        backward(loss, grad, retain_graph)

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


from .tensor import Tensor  # noqa: E402  (tensor.py calls apply: imported last to break the cycle)
