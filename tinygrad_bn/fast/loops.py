"""The compiled loops, imported on first use: importing numba costs about half a second, so
`import tinygrad_bn` does not pay it; numba compiles each loop on its first call (cache=True:
a second process loads the machine code instead)."""
import importlib
import warnings

import numpy as np

from ..engine.ops.base import KERNELS


def compiled(name):
    """The module fast/<name>.py of numba loops, or None (kernels turned off, with a warning)
    when numba is installed but fails to import, e.g. built for another NumPy."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError as exc:
        KERNELS.clear()
        warnings.warn(f"tinygrad_bn kernels: numba failed to import ({exc}); running the NumPy "
                      "reference ops instead (pip install -U numba, or TINYGRAD_BN_KERNELS=numpy "
                      "to silence this)", RuntimeWarning, stacklevel=2)
        return None


def readonly(a):
    """A read-only view of a: saved arrays are locked read-only and numba compiles once per
    flag, so inputs always go in read-only and each loop compiles once per dtype."""
    if a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


def per_channel(dtype, *values):
    """Per-channel vectors (C,) in x's dtype, C-ordered and read-only, as the loops take them."""
    return tuple(readonly(np.ascontiguousarray(v, dtype=dtype)) for v in values)
