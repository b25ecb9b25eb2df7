"""The BLAS thread policy: a product of fewer than SMALL multiply-adds runs on one BLAS thread.

At the sizes this package trains on (an MLP layer of 128 x 256 x 256), handing a product to BLAS's
other threads costs more than it saves: back to back two threads win a third on an idle machine,
but inside a training step the second thread sleeps between products and waking it costs a
scheduler time slice whenever another process holds the core (MLP step 2-3 ms on one thread,
30-48 ms with 2^23-multiply-add products on two; figures in docs/performance.md). Larger products
keep the threads BLAS was given, and the user's own NumPy calls outside are never affected: the
limit is set around the op and restored after. It needs threadpoolctl (optional, `pip install
threadpoolctl`); without it, BLAS decides alone. Registered in KERNELS for matmul, linear,
conv2d and conv_transpose2d: the reference maths, run under the policy.
"""
import threading

from ..engine.ops import KERNELS, OPS

SMALL = 1 << 24           # multiply-adds (256 x 256 x 256); why: docs/performance.md

_controllers = None       # BLAS libraries' thread controls, found on first use
_guard = threading.Lock()
_inside = 0               # small_product blocks open now, in any thread
_restore = []             # (controller, threads) the first of them found, set back by the last


def blas_controllers():
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
    """`with small_product(macs):` runs the BLAS calls inside on one thread if macs < SMALL.

    BLAS's thread count is one setting for the whole process, so the blocks of all threads are
    counted together: the first to open saves the count and sets 1, the last to close sets the
    saved count back, however they nest or interleave.
    """

    __slots__ = ("small",)

    def __init__(self, macs):
        self.small = macs < SMALL and bool(blas_controllers())

    def __enter__(self):
        global _inside, _restore
        if self.small:
            with _guard:
                if _inside == 0:
                    _restore = [(c, c.get_num_threads()) for c in blas_controllers()]
                    for c, _ in _restore:
                        c.set_num_threads(1)
                _inside += 1

    def __exit__(self, *exc):
        global _inside
        if self.small:
            with _guard:
                _inside -= 1
                if _inside == 0:
                    for c, n in _restore:
                        c.set_num_threads(n)


def under_policy(reference, forward_macs, backward_macs):
    """A kernel of `reference`: its own forward and backward, each inside small_product."""
    class Kernel(reference):
        @staticmethod
        def forward(*arrays, needs_input_grad, **attrs):
            with small_product(forward_macs(*arrays)):
                return reference.forward(*arrays, needs_input_grad=needs_input_grad, **attrs)

        @staticmethod
        def backward(g, saved, needs_input_grad):
            with small_product(backward_macs(saved)):
                return reference.backward(g, saved, needs_input_grad)

    Kernel.__name__ = Kernel.__qualname__ = f"{reference.__name__}UnderBlasPolicy"
    Kernel.__doc__ = f"{reference.__name__} with small products on one BLAS thread."
    return Kernel


def _matmul_macs(a, b, *rest):
    """Multiply-adds of a @ b (m*k*n per matrix pair); a linear's x @ weight.T counts the same.
    Any shape is counted (a wrong one is the reference op's to report)."""
    return a.size * b.size // max(a.shape[-1:] + (1,))


def _conv_macs(x, w, *rest):
    """About the multiply-adds of a convolution: every output pixel (x's, unstrided) times w."""
    return x.size // max(x.shape[1:2] + (1,)) * w.size


POLICY = {
    "matmul": (_matmul_macs, lambda s: _matmul_macs(s["a"], s["b"])),
    "linear": (_matmul_macs, lambda s: _matmul_macs(s["x"], s["weight"])),
    "conv2d": (_conv_macs, lambda s: s["w"].size * s["cols"].shape[-1]),
    "conv_transpose2d": (_conv_macs, lambda s: _conv_macs(s["x"], s["w"])),
}


POLICY_KERNELS = {name: under_policy(OPS[name], *macs) for name, macs in POLICY.items()}


def register():
    """Put the policy's kernels in KERNELS (where no other kernel took the name): the same classes
    every time, so switching kernels off and on (tg.kernels.use) gives records the same impl."""
    for name, kernel in POLICY_KERNELS.items():
        KERNELS.setdefault(name, kernel)
