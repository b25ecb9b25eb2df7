"""tg.kernels: compiled numba kernels behind the same primitives, on when numba is installed.

Kernels are implementations, never new records: tapes, graphs, the stepper and explain show the
same records with them on or off. TINYGRAD_BN_KERNELS=numpy or TINYGRAD_BN_REFERENCE=1 turns
them off at import; use("numpy") / use("numba") switches later (for ops recorded afterwards),
`with using("numpy"):` for a block.
"""
import contextlib
import importlib.util
import os

from .engine.ops.base import KERNELS
from .fast import NUMBA_KERNELS, blas

BACKENDS = ("numba", "numpy")


def available():
    """The backends this installation can run: ('numba', 'numpy') with numba installed."""
    return BACKENDS if importlib.util.find_spec("numba") is not None else ("numpy",)


def active():
    """'numba' while the compiled kernels run, 'numpy' while the reference ops alone do."""
    return "numba" if any(KERNELS.get(name) is impl for name, impl in NUMBA_KERNELS.items()) \
        else "numpy"


def use(backend):
    """Run the ops recorded from now on with `backend`: 'numba' (the compiled kernels, and the
    BLAS thread policy of fast/blas.py) or 'numpy' (the reference in engine/ops alone, as a
    student reads it)."""
    if backend not in BACKENDS:
        raise ValueError(f"kernels.use({backend!r}): pick one of {BACKENDS}")
    if backend == "numba" and "numba" not in available():
        raise RuntimeError("kernels.use('numba'): numba is not installed; install the fast "
                           "extra (pip install -e '.[fast]') or keep 'numpy'")
    KERNELS.clear()
    if backend == "numba":
        KERNELS.update(NUMBA_KERNELS)
        blas.register()


@contextlib.contextmanager
def using(backend):
    """`with tg.kernels.using("numpy"):` runs the ops recorded inside with `backend`; after it,
    exactly the implementations in force before (without numba that includes the BLAS policy,
    which use() of the other backend would not bring back)."""
    before = dict(KERNELS)
    use(backend)
    try:
        yield
    finally:
        KERNELS.clear()
        KERNELS.update(before)


def _at_import(environ=os.environ):
    """The backend at import: numpy when the environment asks for the reference, else numba
    where it is installed, else None (fast/ keeps its NumPy-only kernels, the BLAS policy)."""
    if environ.get("TINYGRAD_BN_REFERENCE", "") not in ("", "0"):
        return "numpy"
    choice = environ.get("TINYGRAD_BN_KERNELS", "").lower()
    if choice and choice not in BACKENDS:
        raise ValueError(f"TINYGRAD_BN_KERNELS={choice!r}: set it to numba or numpy, or unset it")
    return choice or ("numba" if "numba" in available() else None)


if (_backend := _at_import()) is not None:
    use(_backend)

__all__ = ["available", "active", "use", "using", "BACKENDS"]
