"""Composites of primitives, PyTorch's `torch.nn.functional` for this engine.

A composite never defines a backward: its graph is made of recorded primitives, so backward,
graphs and step views see every node. One that needs its own backward becomes a primitive.
"""
import numpy as np

from .ops import OPS
from .tape import scope
from .tensor import Tensor, apply

# --- batch normalization ------------------------------------------------------------------------

# --- activations and losses ---------------------------------------------------------------------

# --- convolution and pooling --------------------------------------------------------------------
