"""The primitive contract, the registry of every primitive users can see, and the seam for kernels.

A primitive is pure maths on NumPy arrays: `forward` returns the output and what backward needs,
`backward` turns the upstream gradient into one gradient per input. It never touches Tensors.
NumPy's warnings inside one (divide by zero, ...) are sent to the user's line.
"""
import contextlib
import functools
import warnings

import numpy as np

from ..mode import user_stacklevel

OPS = {}        # name -> the reference class: the ops users see, docs/derivatives.md is made from it
KERNELS = {}    # name -> a faster subclass of OPS[name]; filled only by tinygrad_bn.fast


class Op:
    """Base class of primitives; subclasses register themselves in OPS under `name`.

    forward(*arrays, needs_input_grad, **attrs) -> (out, saved)
        needs_input_grad: one bool per input, all False when nothing is recorded; saved: a dict
        of the residuals backward reads (never more: an input that needs no grad saves nothing).
    backward(g, saved, needs_input_grad) -> one grad per input (a tuple for several), None for
        an input that needs none. A broadcast shape is fine: the engine sums it back. Plain
        NumPy maths on g and saved, never writing into g.
    rule: one line, one `;` clause per input, in the code's own names.

    Second order (create_graph=True, see higher/rules.py): backward runs on Tensors, so it must
    read the inputs and the output only through `saved` (entries that are their arrays). An op
    whose backward is a fixed linear map of g sets `linear`; one whose backward works in place or
    on residuals derived from the inputs gives `decompose(*tensors, **attrs)`, the same output
    built from simpler primitives.
    """

    name = None
    rule = ""
    linear = False              # backward is a fixed linear map of g: its transpose is forward
    linear_part = {}            # attrs that make an affine forward linear (pad's value=0)
    decompose = None            # staticmethod(*tensors, **attrs) -> Tensor, for create_graph
    warns = False   # True where NumPy may warn (divide by zero, log of a negative, overflow)

    def __init_subclass__(cls, abstract=False, **kwargs):
        super().__init_subclass__(**kwargs)
        if abstract or cls.name in OPS and issubclass(cls, OPS[cls.name]):
            return          # a shared base of several primitives, or a kernel of one (KERNELS)
        if not cls.name:
            raise TypeError(f"{cls.__name__}: a primitive needs a `name`")
        if cls.name in OPS:
            raise ValueError(f"{cls.__name__}: primitive name {cls.name!r} is already "
                             f"taken by {OPS[cls.name].__name__}; pick another name")
        OPS[cls.name] = cls

    @staticmethod
    def forward(*arrays, needs_input_grad, **attrs):
        raise NotImplementedError

    @staticmethod
    def backward(g, saved, needs_input_grad):
        raise NotImplementedError


def numpy_warnings_at_user_line(impl, what=""):
    """For running an op that `warns`: NumPy's floating-point warnings (divide by zero, invalid
    value) point at the user's line, not the op's file; 'raise' or 'ignore' settings stay. Other
    ops run as they are (an errstate costs as much as a small op)."""
    if not impl.warns:
        return _AS_IS
    modes = {k: "call" if v == "warn" else v for k, v in np.geterr().items()}
    return np.errstate(call=functools.partial(_warn, impl.name + what), **modes)


_AS_IS = contextlib.nullcontext()


def _warn(op, kind, flag):
    warnings.warn(f"{op}: {kind} encountered", RuntimeWarning, stacklevel=user_stacklevel())
