"""tinygrad_bn: a tape-based reverse-mode autodiff engine on NumPy, built to explain BatchNorm.

The public face: Tensor, Tape, no_grad, gradcheck, and the modules functional (F), nn, optim,
data, viz. Everything users need is importable from here.
"""
from .engine import (Tape, Record, Step, no_grad, enable_grad, detect_anomaly, is_grad_enabled,
                     scope, Tensor, set_default_dtype, get_default_dtype, where, maximum, minimum,
                     concatenate, stack, OPS)
from . import functional, nn, optim, data
from .gradcheck import gradcheck
from .checkpoint import save, load, CheckpointError
from .compare import compare_bn
from .explain import explain
from . import viz               # draws tapes and tensors; nothing in the core imports it

__version__ = "0.1.0"
__all__ = ["Tensor", "Tape", "Record", "Step", "no_grad", "enable_grad", "detect_anomaly",
           "is_grad_enabled", "scope", "set_default_dtype", "get_default_dtype", "where",
           "maximum", "minimum", "concatenate", "stack", "OPS", "functional", "nn", "optim",
           "data", "gradcheck", "save", "load", "CheckpointError", "compare_bn", "explain", "viz"]
