"""The autodiff core: modes, records and tapes, the backward walk, the graph reader, the Tensor
facade and the primitives. It imports nothing else from tinygrad_bn (a test holds this).
"""
from .mode import no_grad, enable_grad, detect_anomaly, is_grad_enabled, scope
from .tape import Tape
from .record import Record
from .backward import Step, backward, backward_steps, sum_to_shape
from .graph import Graph, graph_of, records_of
from .dtypes import set_default_dtype, get_default_dtype, result_type
from .tensor import Tensor, apply, where, maximum, minimum, concatenate, stack
from .ops import KERNELS, OPS, Op

__all__ = ["no_grad", "enable_grad", "detect_anomaly", "is_grad_enabled", "scope", "Tape", "apply",
           "Record", "Step", "backward", "backward_steps", "sum_to_shape", "Graph", "graph_of",
           "records_of", "Tensor", "set_default_dtype", "get_default_dtype", "result_type", "where", "maximum",
           "minimum", "concatenate", "stack", "KERNELS", "OPS", "Op"]
