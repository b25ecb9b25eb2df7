"""Anomaly mode's checks: a NaN or inf is traced to the op and the user line that made it,
rather than found three ops later; a saved array changed in place is caught before backward uses it."""
import zlib

import numpy as np

from .mode import user_line

_HINTS = {
    "log": "log needs x > 0: clip its input, e.g. x.clip(min=1e-12)",
    "sqrt": "sqrt needs x >= 0, and x > 0 for a finite gradient: add eps inside, e.g. (var + 1e-5).sqrt()",
    "div": "a divisor is 0: add eps to it",
    "reciprocal": "the input holds a 0: add eps to it, e.g. (x + 1e-5).reciprocal()",
    "exp": "exp overflows above ~709 (float64) or ~88 (float32): subtract the max first",
}


def anomaly_message(op, label, inputs, where, created_at):
    """The anomaly-mode error: the op, the record or gradient, input shapes, the user line and a fix."""
    shapes = ", ".join(str(np.shape(a)) for a in inputs)
    bad = [i for i, a in enumerate(inputs) if not np.all(np.isfinite(a))]
    fix = (f"input {bad[0]} was already non-finite, so the cause is upstream: look at the op that "
           "made it" if bad else _HINTS.get(op, "look for huge or zero values among its inputs"))
    return (f"anomaly: {op} ({label}) produced NaN or inf in {where}; inputs {shapes}; "
            f"created at {created_at or '<outside detect_anomaly>'}; {fix}")


def check_forward(op, arrays, out, record):
    """A non-finite forward result raises, naming the record (if the op was recorded) and the
    user's line."""
    if not np.all(np.isfinite(out)):
        label, line = (("recorded", record.created_at) if record is not None
                       else ("not recorded", user_line()))
        raise FloatingPointError(anomaly_message(op, label, arrays, "forward", line))


def check_grad(gi, record, where):
    """A non-finite gradient raises, naming the record and its creating line."""
    if not np.all(np.isfinite(gi)):
        inputs = [t.data for t in record.inputs]
        raise FloatingPointError(anomaly_message(record.op, "recorded", inputs,
                                                 where, record.created_at))


def checksums(saved):
    """A CRC of each saved array, taken at record time in anomaly mode only (it reads every byte)."""
    return {k: _crc(a) for k, a in saved.items() if isinstance(a, np.ndarray)}


def _crc(a):
    """CRC-32 of the array's bytes."""
    return zlib.crc32(np.ascontiguousarray(a).view(np.uint8))


def check_saved(record):
    """Raise if an array the record saved changed since it was recorded.

    The read-only lock stops writes through the tensor and the views the engine makes, but not
    through a NumPy alias made before Tensor(a) (b = a[:] or a.reshape(...)): this catches it.
    """
    for name, crc in record.checksums.items():
        a = record.saved[name]
        if _crc(a) != crc:
            raise RuntimeError(
                f"anomaly: {record.op} saved {name} {a.shape} for backward, and it was changed in "
                f"place after it was recorded (at {record.created_at}); its gradients would be "
                "wrong. A NumPy alias made before Tensor(a) (such as b = a[:]) is not locked: "
                "write into a copy, or redo the forward after the write")
