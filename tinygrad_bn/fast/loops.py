"""The compiled loops, imported on first use: importing numba costs about half a second, so
`import tinygrad_bn` does not pay it; numba compiles each loop on its first call (cache=True:
a second process loads the machine code instead)."""
import importlib
import warnings

from ..engine.ops.base import KERNELS


def get(name):
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
