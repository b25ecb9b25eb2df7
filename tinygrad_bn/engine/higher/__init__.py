"""Second order (create_graph=True): the backward walk runs each op's own rule on Tensors, so a
gradient is itself a graph of recorded primitives. Kept beside the first-order engine, as ops/:
rules.py says how each record's backward becomes records, protocol.py lets the NumPy calls in a
rule run on Tensors.
"""
from .rules import backward_scope, backward_tensors, decomposition, seed_tensor

__all__ = ["backward_scope", "backward_tensors", "decomposition", "seed_tensor"]
