"""Piecewise-constant ops: floor, ceil, round, trunc and floor division. Their gradient is zero
wherever it exists (as in PyTorch), so backward returns zeros of the input's shape and dtype."""
import numpy as np

from .base import Op


def _zeros(g, saved, needs_input_grad):
    """Zero gradients, one per input that needs one."""
    return tuple(np.zeros(shape, dtype) if need else None
                 for need, (shape, dtype) in zip(needs_input_grad, saved["inputs"]))


class _Rounding(Op, abstract=True):
    """Shared by floor, ceil, round, trunc: out = f(x), dx = 0."""
    rule = "dx = 0"
    fn = None

    @classmethod
    def forward(cls, x, *, needs_input_grad):
        return cls.fn(x), {"inputs": [(x.shape, x.dtype)]}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return _zeros(g, saved, needs_input_grad)[0]


class Floor(_Rounding):
    """out = floor(x): the largest integer <= x."""
    name = "floor"
    fn = staticmethod(np.floor)


class Ceil(_Rounding):
    """out = ceil(x): the smallest integer >= x."""
    name = "ceil"
    fn = staticmethod(np.ceil)


class Round(_Rounding):
    """out = x rounded to the nearest integer, halves to even (as torch.round and np.round)."""
    name = "round"
    fn = staticmethod(np.round)


class Trunc(_Rounding):
    """out = x rounded toward zero."""
    name = "trunc"
    fn = staticmethod(np.trunc)


class FloorDiv(Op):
    """out = floor(a / b) as Python's and torch's `//` (1.0 // 0.1 == 9.0); ints stay ints."""
    name = "floordiv"
    warns = True
    rule = "da = 0 ; db = 0"

    @staticmethod
    def forward(a, b, *, needs_input_grad):
        _refuse_integer_zero("floordiv", "//", a, b)
        return np.floor_divide(a, b), {"inputs": [(a.shape, a.dtype), (b.shape, b.dtype)]}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return _zeros(g, saved, needs_input_grad)


class Remainder(Op):
    """out = a - floor(a / b) * b, the sign of b, as Python's and torch's `%` (np.remainder)."""
    name = "remainder"
    warns = True
    rule = "da = g ; db = -g * floor(a / b)"

    @staticmethod
    def forward(a, b, *, needs_input_grad):
        _refuse_integer_zero("remainder", "%", a, b)
        return np.remainder(a, b), ({"floor": np.floor_divide(a, b)} if needs_input_grad[1] else {})

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return (g if needs_input_grad[0] else None), (
            -g * saved["floor"] if needs_input_grad[1] else None)


class Sign(_Rounding):
    """out = -1, 0 or 1 by the sign of x."""
    name = "sign"
    fn = staticmethod(np.sign)


def _refuse_integer_zero(op, symbol, a, b):
    """Integer // or % by zero raises, as in Python and torch (NumPy would give 0 and a warning)."""
    if a.dtype.kind in "iub" and b.dtype.kind in "iub" and not np.all(b):
        raise ZeroDivisionError(f"{op}: integer division by zero in {a.shape} {symbol} {b.shape}; "
                                "use floats (inf or nan), or mask the zeros")
