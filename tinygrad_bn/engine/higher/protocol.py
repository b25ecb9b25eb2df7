"""NumPy calls on Tensors run recorded primitives (NumPy's __array_ufunc__/__array_function__).

Why: a backward rule is NumPy maths on g and saved. Under create_graph=True the engine hands the
same rule Tensors instead of arrays, and np.where, np.exp, np.einsum, ... in it then record ops,
so the gradient is itself a graph: one rule per op, differentiable for free (HIPS autograd's idea).
Comparisons and masks give constant (bool) tensors: they carry no gradient.
"""
import numpy as np

from ..ops import OPS

_BINARY = {np.add: "__add__", np.subtract: "__sub__", np.multiply: "__mul__",
           np.true_divide: "__truediv__", np.power: "__pow__", np.matmul: "__matmul__",
           np.floor_divide: "__floordiv__"}
_UNARY = {np.negative: "__neg__", np.sqrt: "sqrt", np.exp: "exp", np.log: "log", np.tanh: "tanh",
          np.sin: "sin", np.cos: "cos", np.expm1: "expm1", np.log1p: "log1p", np.absolute: "abs",
          np.sign: "sign", np.square: "square", np.reciprocal: "reciprocal", np.floor: "floor",
          np.ceil: "ceil", np.trunc: "trunc", np.rint: "round"}
_PAIR = {np.maximum: "maximum", np.minimum: "minimum"}


_CONSTANT = {np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
             np.logical_and, np.logical_or, np.logical_not, np.bitwise_and, np.bitwise_or,
             np.invert, np.isfinite, np.isnan}


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """Tensor.__array_ufunc__: np.exp(t), ndarray * t, np.greater(t, 0), ... on Tensors.

    Arithmetic records the primitive; comparisons and logic give constant tensors (or write
    into `out=`, as `mask &= x > 0` does). Anything else raises, naming the ufunc.
    """
    from ..tensor import Tensor, maximum, minimum
    if method != "__call__":
        return NotImplemented
    if ufunc in _CONSTANT:
        result = ufunc(*(x.data if isinstance(x, Tensor) else x for x in inputs), **kwargs)
        return result if "out" in kwargs else Tensor(result)
    if kwargs:
        return NotImplemented           # out=, where=, dtype=: not recordable
    if ufunc in _UNARY:
        return getattr(inputs[0], _UNARY[ufunc])()
    if ufunc in _PAIR:
        return (maximum if ufunc is np.maximum else minimum)(*inputs)
    if ufunc not in _BINARY:
        raise TypeError(f"np.{ufunc.__name__} on a Tensor has no recorded primitive; use a "
                        "Tensor method or a tinygrad_bn function (x.exp(), x.clip(...), ...)")
    a, b = inputs
    if isinstance(a, Tensor):
        return getattr(a, _BINARY[ufunc])(b)
    return getattr(b, "__r" + _BINARY[ufunc][2:])(a)


def _where(cond, a=None, b=None):
    from ..tensor import Tensor, where
    return where(cond.data if isinstance(cond, Tensor) else cond, a, b)


def _einsum(equation, *operands, **kwargs):
    from ..tensor import Tensor, apply
    return apply(OPS["einsum"], *(x if isinstance(x, Tensor) else Tensor(x) for x in operands),
                 equation=equation)


def _expand_dims(a, axis):
    axes = axis if isinstance(axis, tuple) else (axis,)
    shape = list(a.shape)
    for ax in sorted(x % (a.ndim + len(axes)) for x in axes):
        shape.insert(ax, 1)
    return a.reshape(*shape)


def _swapaxes(a, axis1, axis2):
    return a.transpose(axis1, axis2)


def _moveaxis(a, source, destination):
    order = [i for i in range(a.ndim) if i != source % a.ndim]
    order.insert(destination % a.ndim, source % a.ndim)
    return a.transpose(tuple(order))


def _take(a, index, axis=None):
    return a[(slice(None),) * (axis % a.ndim) + (index,)]


def _split(a, indices, axis=0):
    edges = [0, *(int(i) for i in indices), a.shape[axis]]
    lead = (slice(None),) * (axis % a.ndim)
    return [a[lead + (slice(lo, hi),)] for lo, hi in zip(edges[:-1], edges[1:])]


def _flip(a, axis=None):
    axes = range(a.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    index = [slice(None)] * a.ndim
    for ax in axes:
        index[ax] = slice(None, None, -1)
    return a[tuple(index)]


def _cumsum(a, axis=None):
    from ..tensor import apply
    return apply(OPS["cumsum"], a, axis=axis)


def _broadcast_to(a, shape):
    return a.broadcast_to(shape)


def _sum(a, axis=None, keepdims=False):
    return a.sum(axis=axis, keepdims=keepdims)


def _reshape(a, shape):
    return a.reshape(shape)


def _transpose(a, axes=None):
    return a.transpose(axes) if axes is not None else a.transpose()


def _like(fill):
    def make(a, dtype=None):
        from ..tensor import Tensor
        return Tensor(np.full(a.shape, fill, dtype=dtype or a.dtype))
    return make


FUNCTIONS = {np.where: _where, np.einsum: _einsum, np.expand_dims: _expand_dims,
             np.swapaxes: _swapaxes, np.moveaxis: _moveaxis, np.take: _take, np.split: _split,
             np.flip: _flip, np.cumsum: _cumsum, np.broadcast_to: _broadcast_to, np.sum: _sum,
             np.reshape: _reshape, np.transpose: _transpose, np.zeros_like: _like(0),
             np.ones_like: _like(1)}


def array_function(self, func, types, args, kwargs):
    """Tensor.__array_function__: np.where, np.einsum, np.swapaxes, ... on Tensors record ops."""
    handler = FUNCTIONS.get(func)
    if handler is None:
        raise TypeError(f"np.{func.__name__} on a Tensor has no recorded primitive; use a Tensor "
                        "method or a tinygrad_bn function, or pass t.data for a constant")
    return handler(*args, **kwargs)
