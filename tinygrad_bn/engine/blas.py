"""The BLAS thread policy: a product of fewer than SMALL multiply-adds runs on one BLAS thread;
and blas_sum, sums over leading and trailing axes as BLAS matrix-vector products (sum_over: the
one "BLAS where it applies, else NumPy" every sum of the engine goes through).

At the sizes this package trains on (an MLP layer of 128 x 256 x 256), handing a product to BLAS's
other threads costs more than it saves: back to back two threads win a third on an idle machine,
but inside a training step the second thread sleeps between products and waking it costs a
scheduler time slice whenever another process holds the core (MLP step 2-3 ms on one thread,
30-48 ms with 2^23-multiply-add products on two; figures in docs/performance.md). Larger products
keep the threads BLAS was given, and the user's own NumPy calls are never affected: the limit is
set around the call and restored after. It needs threadpoolctl (optional, `pip install
threadpoolctl`); without it, BLAS decides alone.
"""
import math

import numpy as np

SMALL = 1 << 24           # multiply-adds (256 x 256 x 256); why: docs/performance.md
BLAS_SUM = 1 << 12        # elements: from here a float sum over leading and trailing axes is BLAS's
BLAS_ROWS = 1 << 18       # elements: from here a sum over leading axes only is too; below it,
                          # NumPy's column sums are as fast and need no thread switch (1.7 us)

_controllers = None       # BLAS libraries' thread controls, found on first use


def _blas():
    """The thread controls of the loaded BLAS libraries ([] without threadpoolctl)."""
    global _controllers
    if _controllers is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controllers = []
        else:
            _controllers = [c for c in ThreadpoolController().lib_controllers
                            if c.user_api == "blas"]
    return _controllers


class small_product:
    """`with small_product(macs):` runs the BLAS calls inside on one thread if macs < SMALL."""

    __slots__ = ("_restore",)

    def __init__(self, macs):
        self._restore = () if macs >= SMALL else _blas()

    def __enter__(self):
        restore = []
        for c in self._restore:
            restore.append((c, c.get_num_threads()))
            c.set_num_threads(1)
        self._restore = restore

    def __exit__(self, *exc):
        for c, n in self._restore:
            c.set_num_threads(n)


def blas_sum(a, axes):
    """a.sum(axis=axes) (sorted axes, kept axes dropped) as at most two BLAS matrix-vector products
    (ones @ a over the leading axes summed, then over the trailing ones), or None where that does
    not apply: a small, not float32/64, not C-ordered (NumPy reduces other layouts, such as conv's
    batch-last output, in memory order: as fast inside a step), the kept axes not one block, or a
    sum over leading axes only of fewer than BLAS_ROWS values (NumPy's is as fast). BN's sums
    over (0, 2, 3) read a once, with no temporary: 2-3x faster than NumPy's strided reduction,
    equal up to summation order."""
    if (a.size < BLAS_SUM or a.dtype.char not in "fd" or not axes or len(axes) == a.ndim
            or not a.flags.c_contiguous):
        return None
    kept = [i for i in range(a.ndim) if i not in axes]
    if kept[-1] - kept[0] + 1 != len(kept):
        return None
    lead, tail = math.prod(a.shape[:kept[0]]), math.prod(a.shape[kept[-1] + 1:])
    if tail == 1 and a.size < BLAS_ROWS:
        return None
    with small_product(a.size):
        v = ones(lead, a.dtype) @ a.reshape(lead, -1) if lead > 1 else a.reshape(-1)
        if tail > 1:
            v = v.reshape(-1, tail) @ ones(tail, a.dtype)
    return v.reshape([a.shape[i] for i in kept])


def sum_over(a, axes):
    """a summed over `axes` (sorted; kept axes only, no keepdims): blas_sum where it applies,
    else NumPy's own reduction (np.add.reduce: x.sum without its Python layer, the same bits)."""
    total = blas_sum(a, axes)
    return np.add.reduce(a, axes) if total is None else total


_ones = {}               # (n, dtype) -> a read-only vector of n ones, shared by every sum


def ones(n, dtype):
    """np.ones(n, dtype), read-only and cached: a sum as `ones @ a` makes none per call (making
    one costs a third of summing 32k values this way). Bounded, as the constants of tensor.py."""
    key = (n, dtype)
    vector = _ones.get(key)
    if vector is None:
        if len(_ones) >= 256:
            _ones.clear()
        vector = _ones[key] = np.ones(n, dtype)
        vector.flags.writeable = False
    return vector

