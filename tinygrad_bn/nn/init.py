"""Initialisers that fill a parameter in place, drawing from the package generator (tg.manual_seed)
unless a `generator=` is given.

PyTorch's default for Linear and Conv2d (here `default_`): weight kaiming_uniform_(a=sqrt(5)),
which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with
fan_in = in_features (Linear) or cin*kh*kw (Conv2d). Same distributions as torch, other numbers.
"""
import math

import numpy as np

from ..creation import get_generator, manual_seed  # noqa: F401  (the package's one generator)

_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2.0), "selu": 3 / 4,
          **{f"conv{t}{d}d": 1.0 for t in ("", "_transpose") for d in (1, 2, 3)}}


def fan_in(shape):
    """Inputs feeding one output: shape[1] * kh * kw, as torch computes it."""
    if len(shape) < 2:
        raise ValueError(f"fan_in: a weight of shape {shape} has no input axis; expected "
                         "(out, in) or (cout, cin, kh, kw)")
    return int(shape[1] * np.prod(shape[2:], dtype=int))


def _fill(tensor, values):
    """Write `values` into tensor's array in place; an array a live graph saved (read-only)
    is replaced by a fresh one instead, so that graph keeps the values it used (as torch,
    re-initializing after a forward works)."""
    if tensor.data.flags.writeable:
        tensor.data[...] = values
    else:
        tensor.data = np.array(np.broadcast_to(values, tensor.shape), dtype=tensor.dtype)
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b) in place; returns tensor."""
    return _fill(tensor, get_generator(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std**2) in place; returns tensor."""
    return _fill(tensor, get_generator(generator).normal(mean, std, tensor.shape))


def zeros_(tensor):
    """Fill with 0 in place; returns tensor."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill with 1 in place; returns tensor."""
    return _fill(tensor, 1)


def fan_out(shape):
    """Outputs fed by one input: shape[0] * kh * kw, as torch computes it."""
    return int(shape[0] * np.prod(shape[2:], dtype=int)) if len(shape) >= 2 else fan_in(shape)


def calculate_gain(nonlinearity, param=None):
    """torch.nn.init.calculate_gain: the scale that keeps activations' variance through a
    nonlinearity (tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope**2)), selu 3/4)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope * slope))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: nonlinearity {nonlinearity!r}; use one of "
                         f"{['leaky_relu', *_GAINS]}")
    return _GAINS[nonlinearity]


def _fan(tensor, mode, op):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode={mode!r}; use 'fan_in' or 'fan_out'")
    return fan_in(tensor.shape) if mode == "fan_in" else fan_out(tensor.shape)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill with U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al.), in place.

    Keeps the activations' variance constant through layers; gain depends on the nonlinearity
    (leaky_relu with slope a: sqrt(2 / (1 + a**2))). An empty tensor is left as is (torch too).
    """
    if tensor.data.size == 0:
        return tensor
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(tensor, mode, "kaiming_uniform_"))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill with N(0, std**2), std = gain / sqrt(fan) (He et al.), in place."""
    if tensor.data.size == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode, "kaiming_normal_"))
    return normal_(tensor, 0.0, std, generator)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Fill with U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio), in place."""
    bound = gain * math.sqrt(6.0 / (fan_in(tensor.shape) + fan_out(tensor.shape)))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill with N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)), in place."""
    std = gain * math.sqrt(2.0 / (fan_in(tensor.shape) + fan_out(tensor.shape)))
    return normal_(tensor, 0.0, std, generator)


def constant_(tensor, val):
    """Fill with val in place; returns tensor."""
    return _fill(tensor, val)


def default_(weight, bias=None, generator=None):
    """PyTorch's default init of Linear and Conv2d (see the module docstring)."""
    kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if bias is not None:                 # no inputs (fan_in 0): bias 0, as torch
        n = fan_in(weight.shape)
        bound = 1 / math.sqrt(n) if n else 0.0
        uniform_(bias, -bound, bound, generator)
