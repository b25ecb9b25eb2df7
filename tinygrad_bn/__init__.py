"""tinygrad_bn: a tape-based reverse-mode autodiff engine on NumPy, built to explain BatchNorm.

The public face: Tensor, Tape, no_grad, gradcheck, and the modules functional (F), nn, optim,
data, viz. Everything users need is importable from here.
"""
import sys as _sys

from .engine import (Tape, Record, Step, no_grad, enable_grad, detect_anomaly, is_grad_enabled,
                     scope, Tensor, set_default_dtype, get_default_dtype, where, maximum, minimum,
                     concatenate, stack, OPS)
from .creation import (manual_seed, tensor, zeros, ones, empty, full, arange, linspace, eye, rand,
                       randn, randint, zeros_like, ones_like, empty_like, full_like, rand_like,
                       randn_like, randint_like)
from .tensor_functions import *  # noqa: F401,F403  (tg.exp, tg.sum, tg.einsum, ...: its __all__)
from .tensor_functions import __all__ as _functions
from . import functional, nn, optim, data
from . import fast              # kernels under the engine's op names (KERNELS); engine never imports it
from . import autograd
from .autograd import grad
from .gradcheck import gradcheck, gradgradcheck
from .fast.jit import jit
from .checkpoint import save, load, CheckpointError
from . import kernels           # tg.kernels.use('numpy'|'numba'): compiled kernels off/on
from . import interop           # to_torch / from_torch; imports torch only when called
from .teach import viz, explain, compare_bn, check_by_hand  # teach/ reads graphs; nothing below imports it
from .teach import compare as _compare, conventions, reference, sample_graphs

# The paths these modules had before teach/ existed keep working (import tinygrad_bn.viz, ...).
for _name, _module in {"viz": viz, "compare": _compare, "conventions": conventions,
                       "reference": reference, "sample_graphs": sample_graphs,
                       "explain": _sys.modules[__name__ + ".teach.explain"]}.items():
    _sys.modules[f"{__name__}.{_name}"] = _module

__version__ = "0.1.0"
__all__ = ["Tensor", "Tape", "Record", "Step", "no_grad", "enable_grad", "detect_anomaly",
           "is_grad_enabled", "scope", "set_default_dtype", "get_default_dtype", "where",
           "maximum", "minimum", "concatenate", "stack", "OPS", "functional", "nn", "optim",
           "data", "autograd", "grad", "gradcheck", "gradgradcheck", "jit", "save", "load",
           "CheckpointError", "kernels", "interop", "compare_bn", "explain", "viz", "check_by_hand",
           "manual_seed", "tensor", "zeros", "ones", "empty",
           "full", "arange", "linspace", "eye", "rand", "randn", "randint", "zeros_like",
           "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like",
           *_functions]
