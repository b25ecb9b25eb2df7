"""Making tensors as torch does (tg.zeros, tg.randn, tg.arange, ...), and the package's one
random generator, seeded by tg.manual_seed and used by rand*, nn.init and dropout.

Global state, one rule: settings of the program are process-wide (this generator, the default
dtype), as in PyTorch; modes of a computation (no_grad, tapes, anomaly, scopes) are per thread.
"""
import numpy as np

from .engine import Tensor, get_default_dtype
from .engine.methods import as_dtype, shape_args

_rng = {"generator": np.random.default_rng()}


def manual_seed(seed):
    """Reseed the package's generator: same seed, same rand/randn/randint, inits and dropout masks.

    Returns the generator (an np.random.Generator), as torch.manual_seed returns its own.
    """
    _rng["generator"] = np.random.default_rng(seed)
    return _rng["generator"]


def get_generator(generator=None):
    """`generator` if given, else the package's one that manual_seed controls."""
    return _rng["generator"] if generator is None else generator


def tensor(data, dtype=None, requires_grad=False, device=None):
    """torch.tensor: a new leaf copying data. Arrays keep their dtype, lists their kind (floats
    take the default dtype), as Tensor(data) does."""
    _check_device(device)
    data = data.data if isinstance(data, Tensor) else data
    data = np.array(data) if isinstance(data, np.ndarray) else data      # a copy, as torch
    dtype = None if dtype is None else as_dtype(dtype)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _check_device(device):
    """Only the CPU exists here; say so instead of silently ignoring device='cuda'."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(f"device {device!r}: this engine runs on NumPy, on the CPU only; use "
                         "'cpu' (or leave the device out)")


def _made(arr, dtype, requires_grad, default=None, device=None):
    """A leaf from a freshly made array, cast to dtype (or `default`, or the default float)."""
    _check_device(device)
    dtype = as_dtype(dtype) if dtype is not None else default
    if dtype is None and arr.dtype.kind == "f":
        dtype = get_default_dtype()
    return Tensor(arr if dtype is None else arr.astype(dtype, copy=False),
                  requires_grad=requires_grad)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of zeros: tg.zeros(2, 3) or tg.zeros((2, 3)); the default float dtype."""
    return _made(np.zeros(shape_args(size, "zeros")), dtype, requires_grad, device=device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of ones: tg.ones(2, 3) or tg.ones((2, 3)); the default float dtype."""
    return _made(np.ones(shape_args(size, "ones")), dtype, requires_grad, device=device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    """As zeros: uninitialised memory would only make results depend on luck."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, device=device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    """A tensor of fill_value; its dtype follows the value (int, bool or float), as torch."""
    arr = np.full(shape_args((size,), "full"), fill_value)
    return _made(arr, dtype, requires_grad, device=device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Values start, start + step, ... below end; int64 for ints, else the default float."""
    start, end = (0, start) if end is None else (start, end)
    if step == 0:
        raise ValueError(f"arange: step=0 from {start} to {end} would never end; use a "
                         "nonzero step")
    return _made(np.arange(start, end, step), dtype, requires_grad, device=device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """`steps` evenly spaced values from start to end, both included (the default float)."""
    return _made(np.linspace(start, end, steps), dtype, requires_grad, get_default_dtype(),
                 device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """The n x m identity matrix (m = n by default)."""
    return _made(np.eye(n, m), dtype, requires_grad, device=device)


def rand(*size, generator=None, dtype=None, requires_grad=False, device=None):
    """Uniform values in [0, 1) from the package generator (or `generator`)."""
    arr = get_generator(generator).random(shape_args(size, "rand"))
    return _made(arr, dtype, requires_grad, device=device)


def randn(*size, generator=None, dtype=None, requires_grad=False, device=None):
    """Standard normal values from the package generator (or `generator`)."""
    arr = get_generator(generator).standard_normal(shape_args(size, "randn"))
    return _made(arr, dtype, requires_grad, device=device)


def randint(low, high=None, size=None, generator=None, dtype=None, requires_grad=False,
            device=None):
    """Integers in [low, high): tg.randint(10, (3,)) or tg.randint(2, 10, (3,)); int64, as torch."""
    if size is None:                        # torch.randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: give the size, e.g. tg.randint(10, (3,)) or "
                        "tg.randint(0, 10, (3,))")
    arr = get_generator(generator).integers(low, high, shape_args((size,), "randint"))
    return _made(arr, dtype, requires_grad, np.dtype(np.int64), device)


def _dtype_of(input, dtype):
    """dtype if given, else input's: the *_like rule."""
    return input.dtype if dtype is None else dtype


def zeros_like(input, dtype=None, requires_grad=False):
    """zeros of input's shape and dtype."""
    return zeros(input.shape, dtype=_dtype_of(input, dtype), requires_grad=requires_grad)


def ones_like(input, dtype=None, requires_grad=False):
    """ones of input's shape and dtype."""
    return ones(input.shape, dtype=_dtype_of(input, dtype), requires_grad=requires_grad)


def empty_like(input, dtype=None, requires_grad=False):
    """As zeros_like (see empty)."""
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, requires_grad=False):
    """fill_value in input's shape and dtype."""
    return full(input.shape, fill_value, dtype=_dtype_of(input, dtype), requires_grad=requires_grad)


def rand_like(input, generator=None, dtype=None, requires_grad=False):
    """rand in input's shape and dtype."""
    return rand(input.shape, generator=generator, dtype=_dtype_of(input, dtype),
                requires_grad=requires_grad)


def randn_like(input, generator=None, dtype=None, requires_grad=False):
    """randn in input's shape and dtype."""
    return randn(input.shape, generator=generator, dtype=_dtype_of(input, dtype),
                 requires_grad=requires_grad)


def randint_like(input, low, high=None, generator=None, dtype=None, requires_grad=False):
    """randint in input's shape and dtype: randint_like(x, high) or randint_like(x, low, high)."""
    low, high = (0, low) if high is None else (low, high)
    return randint(low, high, input.shape, generator=generator,
                   dtype=_dtype_of(input, dtype), requires_grad=requires_grad)
