"""The BLAS thread policy: a product of fewer than SMALL multiply-adds runs on one BLAS thread.

At the sizes this package trains on (an MLP layer of 128 x 256 x 256), handing a product to BLAS's
other threads costs more than it saves: back to back two threads win a third on an idle machine,
but inside a training step the second thread sleeps between products and waking it costs a
scheduler time slice whenever another process holds the core (MLP step 2-3 ms on one thread,
30-48 ms with 2^23-multiply-add products on two; figures in docs/performance.md). Larger products
keep the threads BLAS was given, and the user's own NumPy calls are never affected: the limit is
set around the call and restored after. It needs threadpoolctl (optional, `pip install
threadpoolctl`); without it, BLAS decides alone.
"""
SMALL = 1 << 24           # multiply-adds (256 x 256 x 256); why: docs/performance.md

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
