"""Everything that reads graphs to explain them and never changes them: explain, viz (dot,
render, frames, stepper), compare_bn, conventions, reference oracles, check_by_hand, sample graphs.

Nothing in engine/, functional, nn, optim, data, checkpoint or interop imports this package.
"""
from . import viz
from .check import check_by_hand
from .compare import compare_bn
from .explain import explain

__all__ = ["viz", "compare_bn", "explain", "check_by_hand"]
