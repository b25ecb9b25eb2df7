"""tinygrad_bn: a tape-based reverse-mode autodiff engine on NumPy, built to explain BatchNorm."""
from .tape import (Tape, Record, Step, no_grad, enable_grad, detect_anomaly, is_grad_enabled,
                   scope)
from .tensor import (Tensor, set_default_dtype, get_default_dtype, where, maximum, minimum,
                     concatenate, stack)
from .ops import OPS
from .gradcheck import gradcheck
from .checkpoint import save, load, CheckpointError

__version__ = "0.1.0"
__all__ = ["Tensor", "Tape", "Record", "Step", "no_grad", "enable_grad", "detect_anomaly",
           "is_grad_enabled", "scope", "set_default_dtype", "get_default_dtype", "where", "maximum",
           "minimum", "concatenate", "stack", "OPS", "gradcheck"]
__all__ += ["save", "load", "CheckpointError"]
from .explain import explain
from . import viz               # draws tapes and tensors; nothing in the core imports it
__all__ += ["explain", "viz"]
from .compare import compare_bn    # composed vs fused batch norm, one table
__all__ += ["compare_bn"]
