"""How a record's backward becomes records under create_graph=True: it runs on Tensors.

One rule per op, as HIPS autograd: the engine hands an op's own backward Tensors (g, and every
saved array that is the record's input or output, mapped back to that Tensor), so the NumPy
calls in the rule record primitives (protocol.py) and the gradient lands on the tape. Two kinds
of op say they cannot run their rule on Tensors, and get their second order another way:
- `linear = True` (reshape, sum, getitem, pad, ...): backward is a fixed linear map of g alone,
  recorded as ONE primitive `<op>_backward(g)` whose own backward is the op itself (the transpose
  of a transpose is the map): no second rule;
- `decompose(*inputs, **attrs)` (fused batch_norm, cross_entropy, conv2d, ...): ops whose rule
  works in place or on residuals derived from the inputs are rebuilt from simpler primitives,
  and the walk goes through those instead (as PyTorch's batchnorm_double_backward, in spirit).
"""
from collections import namedtuple

from ..mode import scope
from ..ops.base import OPS, Op

Linearised = namedtuple("Linearised", ["op", "saved", "needs", "attrs"])
Linearised.__repr__ = lambda self: self.op.name          # shows as `of=getitem` in listings


class Transposed(Op, abstract=True):
    """out = op's backward applied to grad, for a linear op; dgrad = op(g) (its transpose)."""
    of = None                       # the linear primitive whose backward this records

    @staticmethod
    def forward(grad, *, needs_input_grad, of):
        grads = of.op.backward(grad, of.saved, of.needs)
        return (grads[0] if type(grads) is tuple else grads), {"of": of}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        of = saved["of"]
        return of.op.forward(g, needs_input_grad=(False,), **{**of.attrs, **of.op.linear_part})[0]


_TRANSPOSED = {}


def transposed(op):
    """The `<op>_backward` primitive of a linear op, made once (not in OPS: users never call it)."""
    cls = _TRANSPOSED.get(op)
    if cls is None:
        body = {"name": f"{op.name}_backward", "of": op, "__doc__": Transposed.__doc__,
                "rule": f"dgrad = {op.name}(g)   (the backward of a linear op is its transpose)"}
        cls = _TRANSPOSED[op] = type(f"{op.__name__}Backward", (Transposed,), body, abstract=True)
    return cls


def reference(record):
    """The op whose rules create_graph runs: the reference primitive, also where a compiled
    kernel ran (KERNELS subclass OPS and save the same keys; their backward is arrays only)."""
    return OPS.get(record.op, record.impl)


class backward_scope(scope):
    """The scope of the records a create_graph backward makes for one record: tagged `backward
    of <op>#k`, with `forward`, that record's index, so pictures can link the two passes."""

    __slots__ = ()

    def __init__(self, record):
        super().__init__(f"backward of {record.op}")
        self._tag.forward = record.index       # an int: the tag keeps no record alive


def tensor_saved(record):
    """record.saved with each array that is an input's or the output's data replaced by that
    Tensor (also inside tuples, as einsum's operands), so second derivatives flow through it;
    other entries (masks, shapes) stay constants."""
    tensors = {id(t.data): t for t in (*record.inputs, record.output)}
    if record._locked is not None:           # a saved copy of a slice stands for its input
        tensors.update((copy, tensors[of]) for copy, of in record._locked.copied.items()
                       if of in tensors)
    return {k: tuple(tensors.get(id(a), a) for a in v) if type(v) is tuple
            else tensors.get(id(v), v) for k, v in record.saved.items()}


def backward_tensors(record, g):
    """The record's input gradients as Tensors built from recorded primitives (linear and
    ordinary ops; decomposed ops are expanded by the walk, see `decomposition`). The walk runs
    it in backward_scope(record)."""
    from ..tensor import apply
    impl = reference(record)
    if isinstance(impl, type) and issubclass(impl, Transposed):
        of = record.saved["of"]
        return apply(of.op, g, **{**of.attrs, **of.op.linear_part})
    if impl.linear:
        of = Linearised(impl, record.saved, record.needs_input_grad, record.attrs)
        return apply(transposed(impl), g, of=of)
    return impl.backward(g, tensor_saved(record), record.needs_input_grad)


def decomposition(record):
    """(out, records) of the op rebuilt from simpler primitives on the record's own inputs, oldest
    record first; None for an op without `decompose`. The walk sends g through these instead."""
    impl = reference(record)
    if impl.decompose is None:
        return None
    with backward_scope(record):
        out = impl.decompose(*record.inputs, **record.attrs)
    inputs = {id(t) for t in record.inputs}
    records, stack, seen = [], [out], set()
    while stack:                       # down to the record's inputs: what decompose just made
        t = stack.pop()
        if t.record is None or id(t) in inputs or id(t.record) in seen:
            continue
        seen.add(id(t.record))
        records.append(t.record)
        stack.extend(t.record.inputs)
    records.sort(key=lambda r: r.index)
    return out, records


def seed_tensor(array):
    """The walk's seed as a Tensor (a constant): rules then see Tensors from the first step."""
    from ..tensor import Tensor
    return Tensor(array)
