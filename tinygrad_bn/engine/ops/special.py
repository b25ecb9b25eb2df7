"""Elementwise functions beyond the textbook set, used by activations and losses: erf (GELU),
expm1 and log1p (ELU, softplus, log-sigmoid: exact for tiny arguments where exp(x) - 1 is not)."""
import math

import numpy as np

from .base import Op

_erf = np.frompyfunc(math.erf, 1, 1)     # NumPy has no erf; math.erf is exact to rounding


class Erf(Op):
    """out = erf(x) = 2/sqrt(pi) * integral of exp(-t**2) from 0 to x."""
    name = "erf"
    rule = "dx = g * 2 / sqrt(pi) * exp(-x**2)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        return np.asarray(_erf(x), dtype=dtype), {"x": x}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        x = saved["x"]
        return g * ((2 / math.sqrt(math.pi)) * np.exp(-x * x))


class Expm1(Op):
    """out = exp(x) - 1, exact for tiny x."""
    name = "expm1"
    warns = True
    rule = "dx = g * (out + 1)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        out = np.expm1(x)
        return out, {"out": out}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g * (saved["out"] + 1)


class Log1p(Op):
    """out = log(1 + x), exact for tiny x."""
    name = "log1p"
    warns = True
    rule = "dx = g / (1 + x)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        return np.log1p(x), {"x": x}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g / (1 + saved["x"])


class Sin(Op):
    """out = sin(x)."""
    name = "sin"
    rule = "dx = g * cos(x)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        return np.sin(x), {"x": x}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g * np.cos(saved["x"])


class Cos(Op):
    """out = cos(x)."""
    name = "cos"
    rule = "dx = -g * sin(x)"

    @staticmethod
    def forward(x, *, needs_input_grad):
        return np.cos(x), {"x": x}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return -g * np.sin(saved["x"])
