"""Initialisers that fill a parameter in place, drawing from the package generator (tg.manual_seed)
unless a `generator=` is given.

PyTorch's default for Linear and Conv2d (here `default_`): weight kaiming_uniform_(a=sqrt(5)),
which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with
fan_in = in_features (Linear) or cin*kh*kw (Conv2d). Same distributions as torch, other numbers.
"""
import math

import numpy as np

from ..creation import get_generator, manual_seed  # noqa: F401  (the package's one generator)

_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2.0)}


def fan_in(shape):
    """Inputs feeding one output: shape[1] * kh * kw, as torch computes it."""
    if len(shape) < 2:
        raise ValueError(f"fan_in: a weight of shape {shape} has no input axis; expected "
                         "(out, in) or (cout, cin, kh, kw)")
    return int(shape[1] * np.prod(shape[2:], dtype=int))


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b) in place; returns tensor."""
    tensor.data[...] = get_generator(generator).uniform(a, b, tensor.shape)
    return tensor


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std**2) in place; returns tensor."""
    tensor.data[...] = get_generator(generator).normal(mean, std, tensor.shape)
    return tensor


def zeros_(tensor):
    """Fill with 0 in place; returns tensor."""
    tensor.data[...] = 0
    return tensor


def ones_(tensor):
    """Fill with 1 in place; returns tensor."""
    tensor.data[...] = 1
    return tensor


def kaiming_uniform_(tensor, a=0.0, nonlinearity="leaky_relu", generator=None):
    """Fill with U(-bound, bound), bound = gain * sqrt(3 / fan_in) (He et al.), in place.

    Keeps the activations' variance constant through layers; gain depends on the nonlinearity
    (leaky_relu with slope a: sqrt(2 / (1 + a**2))). An empty tensor is left as is (torch too).
    """
    if tensor.data.size == 0:
        return tensor
    if nonlinearity == "leaky_relu":
        gain = math.sqrt(2.0 / (1 + a * a))
    elif nonlinearity in _GAINS:
        gain = _GAINS[nonlinearity]
    else:
        raise ValueError(f"kaiming_uniform_: nonlinearity {nonlinearity!r}; use one of "
                         f"{['leaky_relu', *_GAINS]}")
    bound = gain * math.sqrt(3.0 / fan_in(tensor.shape))
    return uniform_(tensor, -bound, bound, generator)


def default_(weight, bias=None, generator=None):
    """PyTorch's default init of Linear and Conv2d (see the module docstring)."""
    kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if bias is not None:                 # no inputs (fan_in 0): bias 0, as torch
        n = fan_in(weight.shape)
        bound = 1 / math.sqrt(n) if n else 0.0
        uniform_(bias, -bound, bound, generator)
