"""Elementwise primitives. Binary ones broadcast; their backward returns the broadcast shape
and the engine sums it back to each input's shape."""
import numpy as np

from .base import Op


class Add(Op):
    """out = a + b. Builds var_eps = var + eps and out = gammax + beta."""
    name = "add"
    rule = "da = g ; db = g"

    @staticmethod
    def forward(a, b, *, needs_input_grad):
        return a + b, {}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        da, db = needs_input_grad
        return (g if da else None), (g if db else None)


class Sub(Op):
    """out = a - b. Builds xmu = x - mu."""
    name = "sub"
    rule = "da = g ; db = -g"

    @staticmethod
    def forward(a, b, *, needs_input_grad):
        return a - b, {}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        da, db = needs_input_grad
        return (g if da else None), (-g if db else None)


class Mul(Op):
    """out = a * b. Builds xhat = xmu * ivar and gammax = gamma * xhat."""
    name = "mul"
    rule = "da = g * b ; db = g * a"

    @staticmethod
    def forward(a, b, *, needs_input_grad):
        need_a, need_b = needs_input_grad      # da reads b, db reads a: y * 2.0 keeps only 2.0
        return a * b, {"a": a if need_b else None, "b": b if need_a else None}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        da, db = needs_input_grad
        return (g * saved["b"] if da else None), (g * saved["a"] if db else None)


class Div(Op):
    """out = a / b."""
    name = "div"
    warns = True
    rule = "da = g / b ; db = -g * a / b**2"

    @staticmethod
    def forward(a, b, *, needs_input_grad):
        return a / b, {"a": a, "b": b}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        da, db = needs_input_grad
        b = saved["b"]
        return (g / b if da else None), (-g * saved["a"] / (b * b) if db else None)


class Cast(Op):
    """out = x converted to `dtype`. Mixing float32 with float64 casts the float32 side."""
    name = "cast"
    rule = "dx = g.astype(x.dtype)"
    linear = True               # create_graph: its backward is recorded as one op

    @staticmethod
    def forward(x, *, needs_input_grad, dtype):
        return x.astype(dtype), {"dtype": x.dtype}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g.astype(saved["dtype"])


class Neg(Op):
    """out = -x."""
    name = "neg"
    rule = "dx = -g"

    @staticmethod
    def forward(x, *, needs_input_grad):
        return -x, {}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return -g


class Pow(Op):
    """out = a ** b, broadcasting: x ** 2, 2 ** x and x ** y all run it. Where a formula gives
    0 * inf, PyTorch's limits: da = 0 where b == 0, db = 0 where a == 0 and b >= 0."""
    name = "pow"
    warns = True
    rule = "da = g * b * a**(b - 1), 0 where b == 0 ; db = g * out * log(a), 0 where a == 0 <= b"

    @staticmethod
    def forward(a, b, *, needs_input_grad):
        if b.dtype.kind in "iu" and a.dtype.kind in "iub" and np.any(b < 0):
            raise ValueError(f"pow: integer {a.shape} ** negative integer {b.shape} is not an "
                             "integer; use a float exponent (x ** -1.0) or a float base")
        out = np.power(a, b)
        return out, {"a": a, "b": b, "out": out}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        a, b = saved["a"], saved["b"]
        need_a, need_b = needs_input_grad
        # The limits come from safe operands, not a mask on the result: 0 ** 1 where a == b == 0
        # (times b = 0), log(1) where a == 0 <= b. A masked inf would turn into 0 * inf = nan in
        # the second derivative (create_graph); these stay finite.
        with np.errstate(divide="ignore", invalid="ignore"):     # log(a < 0) is nan, as torch
            da = g * b * np.power(a, np.where((a == 0) & (b == 0), 1, b - 1)) if need_a else None
            db = g * saved["out"] * np.log(np.where((a == 0) & (b >= 0), 1, a)) if need_b else None
        return da, db


class Square(Op):
    """out = x**2. Builds sq = xmu**2."""
    name = "square"
    rule = "dx = g * 2 * x"

    @staticmethod
    def forward(x, *, needs_input_grad):
        return x * x, {"x": x}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g * 2 * saved["x"]


class Sqrt(Op):
    """out = sqrt(x). Builds sqrtvar = sqrt(var + eps)."""
    name = "sqrt"
    warns = True
    rule = "dx = g / (2 * out)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        out = np.sqrt(x)
        return out, {"out": out}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g / (2 * saved["out"])


class Reciprocal(Op):
    """out = 1 / x. Builds ivar = 1 / sqrtvar."""
    name = "reciprocal"
    warns = True
    rule = "dx = -g * out**2"

    @staticmethod
    def forward(x, *, needs_input_grad):
        out = 1 / x
        return out, {"out": out}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        out = saved["out"]
        return -g * out * out


class Exp(Op):
    """out = exp(x)."""
    name = "exp"
    warns = True
    rule = "dx = g * out"

    @staticmethod
    def forward(x, *, needs_input_grad):
        out = np.exp(x)
        return out, {"out": out}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g * saved["out"]


class Log(Op):
    """out = log(x), natural log."""
    name = "log"
    warns = True
    rule = "dx = g / x"

    @staticmethod
    def forward(x, *, needs_input_grad):
        return np.log(x), {"x": x}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g / saved["x"]


class Relu(Op):
    """out = max(x, 0); the gradient at x == 0 is 0, as in PyTorch."""
    name = "relu"
    rule = "dx = g * (out > 0)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        out = np.maximum(x, np.zeros_like(x))    # against a 0 array, not the number: NumPy's
        return out, {"out": out}                 # SIMD loop, 2x faster where the CPU has it

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g * (saved["out"] > 0)


class Tanh(Op):
    """out = tanh(x)."""
    name = "tanh"
    rule = "dx = g * (1 - out**2)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        out = np.tanh(x)
        return out, {"out": out}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        out = saved["out"]
        return g * (1 - out * out)


class Sigmoid(Op):
    """out = 1 / (1 + exp(-x)), computed without overflow for large |x|."""
    name = "sigmoid"
    rule = "dx = g * out * (1 - out)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        e = np.exp(-np.abs(x))                 # never overflows
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return out, {"out": out}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        out = saved["out"]
        return g * out * (1 - out)


class Abs(Op):
    """out = |x|; the gradient at 0 is 0, as in PyTorch."""
    name = "abs"
    rule = "dx = g * sign(x)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        return np.abs(x), {"x": x}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g * np.sign(saved["x"])


class _Pick(Op, abstract=True):
    """Shared by maximum and minimum: out takes a or b; at ties each gets half of g (as PyTorch)."""
    pick = None              # np.maximum or np.minimum
    wins = None              # np.greater or np.less: where a is the one picked

    @classmethod
    def forward(cls, a, b, *, needs_input_grad):
        return cls.pick(a, b), {"a": a, "b": b}

    @classmethod
    def backward(cls, g, saved, needs_input_grad):
        a, b = saved["a"], saved["b"]          # torch's formula: a NaN compares False both
        half = np.where(a == b, g * 0.5, g)      # ways, so with a NaN both sides get all of g
        da = np.where(cls.wins(b, a), 0, half) if needs_input_grad[0] else None    # g's dtype
        db = np.where(cls.wins(a, b), 0, half) if needs_input_grad[1] else None
        return da, db


class Maximum(_Pick):
    """out = max(a, b) elementwise; at ties each input gets half of g (as PyTorch)."""
    name = "maximum"
    rule = "da = g * not(a < b) / (1 + (a == b)) ; db = g * not(b < a) / (1 + (a == b))"
    pick, wins = staticmethod(np.maximum), staticmethod(np.greater)


class Minimum(_Pick):
    """out = min(a, b) elementwise; at ties each input gets half of g (as PyTorch)."""
    name = "minimum"
    rule = "da = g * not(a > b) / (1 + (a == b)) ; db = g * not(b > a) / (1 + (a == b))"
    pick, wins = staticmethod(np.minimum), staticmethod(np.less)


class Where(Op):
    """out = a where cond else b; cond is a bool constant."""
    name = "where"
    rule = "dcond = None ; da = g * cond ; db = g * ~cond"

    @staticmethod
    def forward(cond, a, b, *, needs_input_grad):
        return np.where(cond, a, b), {"cond": cond}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        cond = saved["cond"]
        _, da, db = needs_input_grad
        return None, (np.where(cond, g, 0) if da else None), (np.where(cond, 0, g) if db else None)


class Clip(Op):
    """out = min(max(x, min), max); gradient 1 inside [min, max] including the ends (as PyTorch)."""
    name = "clip"
    rule = "dx = g * (min <= x <= max)"

    @staticmethod
    def forward(x, *, needs_input_grad, min=None, max=None):
        if min is None and max is None:
            raise ValueError(f"clip: input {x.shape} got neither min nor max; give one or "
                             "both, e.g. x.clip(min=0.0)")
        return np.clip(x, min, max), {"x": x, "min": min, "max": max}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        x, lo, hi = saved["x"], saved["min"], saved["max"]
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        return g * inside
