"""Arrays in and out of modules: the state_dict rules load_state_dict and tg.load share.

What fits (names, shapes) and what converts exactly (dtypes), in one place.
"""
import collections

import numpy as np

from ..engine import Tensor

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", "missing_keys unexpected_keys")
IncompatibleKeys.__doc__ = "What load_state_dict did not fill, and what it found no slot for."


def array_of(value):
    """A Tensor's data, or the value (array, int) as an array."""
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def cast_exactly(a, dtype):
    """A fresh copy of array `a` in `dtype`; ValueError where the cast would change its meaning."""
    if a.dtype.kind not in "biuf":
        raise ValueError(f"dtype {a.dtype} cannot become {dtype}; expected real numbers")
    if dtype.kind in "iu" and a.dtype.kind == "f":
        info = np.iinfo(dtype)
        if not np.all(np.isfinite(a) & (a == np.round(a)) & (a >= info.min) & (a <= info.max)):
            raise ValueError(f"{a.dtype} value(s) {a.ravel()[:3].tolist()} are not whole "
                             f"numbers that fit {dtype}")
    return np.array(a, dtype=dtype, copy=True)


def state_mismatches(expected, arrays):
    """Readable phrases for each key of `arrays` missing from, unexpected in, or not the shape of
    `expected` (name -> anything with .shape); empty when it fits."""
    missing = [k for k in expected if k not in arrays]
    unexpected = [k for k in arrays if k not in expected]
    wrong = [f"{k} {arrays[k].shape} != expected {v.shape}" for k, v in expected.items()
             if k in arrays and tuple(arrays[k].shape) != tuple(v.shape)]
    return ([f"missing keys {missing}"] if missing else []) + \
        ([f"unexpected keys {unexpected}"] if unexpected else []) + \
        ([f"wrong shapes: {', '.join(wrong)}"] if wrong else [])
