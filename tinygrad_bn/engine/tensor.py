"""Tensor: a NumPy array that remembers the record that made it, plus its operators, and `apply`.

Each method runs one primitive through `apply`, the single place where forward results become
tensors and, while gradients are on, records. Derived operations are one-liners.
"""
import warnings

import numpy as np

from . import anomaly
from .higher import protocol
from .backward import backward
from .dtypes import as_array, result_type
from .methods import TorchMethods, half_with_number, reduce_args, shape_args
from .mode import effect, state, user_stacklevel
from .ops import KERNELS, OPS
from .ops.base import numpy_warnings_at_user_line
from .readonly import freeze_view
from .record import CheckedRecord, Record


def apply(op, *inputs, **attrs):
    """Run primitive `op` on tensors and, while gradients are on, record it on the output.

    The one place where forward results become tensors: the kernel that runs (KERNELS, else the
    reference op), recording, appending to active tapes, the read-only lock on what was saved
    (in Record) and anomaly checks all happen here. Which inputs need a gradient is decided
    here, once (as in PyTorch): a tensor that gets requires_grad later gets no gradient
    through ops that ran before.
    """
    modes = state.modes
    impl = KERNELS.get(op.name, op)
    arrays = tuple([t.data for t in inputs])
    needs = tuple([t.requires_grad for t in inputs])
    recorded = modes.grad_enabled and any(needs)
    if not recorded:
        needs = (False,) * len(inputs)
    try:
        with numpy_warnings_at_user_line(impl):
            out, saved = impl.forward(*arrays, needs_input_grad=needs, **attrs)
    except ValueError as exc:
        if "could not be broadcast" not in str(exc):      # NumPy's own wording only
            raise
        shapes = " and ".join(str(t.shape) for t in inputs)
        raise ValueError(f"{op.name}: shapes {shapes} do not broadcast (from the right, each "
                         "dimension must match or be 1); reshape one input, e.g. "
                         "b.reshape(1, -1) for a row") from None
    if out.base is not None and out.flags.writeable:
        freeze_view(out, arrays)
    result = Tensor(out)
    if result.data is not out:          # a NumPy scalar made a 0-d array: saved reads that one,
        saved = {k: result.data if v is out else v for k, v in saved.items()}   # (create_graph)
    if recorded:
        result._requires_grad = True
        make = CheckedRecord if modes.anomaly else Record
        result.record = make(impl, attrs, inputs, needs, result, saved, modes.scope)
        for tape in modes.tapes:
            tape._append(result.record, result)
    if modes.anomaly:
        anomaly.check_forward(op.name, arrays, out, result.record)
    return result


class Tensor(TorchMethods):
    """An n-dimensional array with an optional gradient and the record of the op that made it.

    PyTorch's spellings and extra ops (dim=, keepdim=, view, permute, ...) come from TorchMethods.
    """

    __slots__ = ("data", "grad", "_requires_grad", "name", "record", "__weakref__")
    # NumPy calls on Tensors record ops (`ndarray + t` too): backward rules run on Tensors
    __array_ufunc__ = protocol.array_ufunc          # under create_graph=True (higher/protocol.py)
    __array_function__ = protocol.array_function

    def __init__(self, data, requires_grad=False, name=None, dtype=None):
        self.data = as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: requires_grad=True needs a float dtype, got "
                            f"{self.data.dtype} {self.data.shape} (a list of ints stays int, as "
                            "in PyTorch); write floats ([1.0, 2.0]) or pass dtype=np.float64")
        self.grad = None
        self._requires_grad = bool(requires_grad)
        self.name = name
        self.record = None

    # --- array facts ---------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape, doc="Shape of data, as in NumPy.")
    dtype = property(lambda self: self.data.dtype, doc="dtype of data, as in NumPy.")
    ndim = property(lambda self: self.data.ndim, doc="Number of axes.")

    @property
    def requires_grad(self):
        """True if backward gives this tensor a gradient. Set it on a float leaf (x.requires_grad =
        True, or x.requires_grad_()); a tensor an op made has it when one of the op's inputs had."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)          # the checks torch makes: a float leaf only

    @property
    def op(self):
        """Name of the primitive that made this tensor, or None for a leaf."""
        return self.record.op if self.record is not None else None

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by a recorded op."""
        return self.record is None

    def astype(self, dtype):
        """This tensor's values in `dtype` (a copy); to a float dtype it is recorded, so the
        gradient flows back converted to this tensor's dtype (as x.to(dtype) in PyTorch)."""
        dtype = np.dtype(dtype)
        if self.requires_grad and dtype.kind == "f":
            return apply(OPS["cast"], self, dtype=dtype)
        return Tensor(self.data.astype(dtype))

    def named(self, name):
        """Set the name shown in graphs and step views; returns self for chaining."""
        self.name = name
        return self

    def backward(self, grad=None, retain_graph=None, create_graph=False, *, gradient=None):
        """Reverse mode from this tensor: fills .grad of everything it depends on.

        create_graph=True records the backward itself, so .grad is a Tensor with a graph that
        can be differentiated again (Hessians, gradient penalties); retain_graph defaults to it.
        gradient= is PyTorch's name for grad (y.backward(gradient=torch.ones_like(y))).
        """
        grad = grad if gradient is None else gradient
        effect(backward, self, grad, retain_graph, create_graph=create_graph)   # tg.jit replays it

    @staticmethod
    def _apply(name, *inputs, **attrs):
        """apply(OPS[name], *inputs): how TorchMethods runs an op without importing this module."""
        return apply(OPS[name], *inputs, **attrs)

    def __len__(self):
        """The length of the first axis, as len(ndarray)."""
        return len(self.data)

    # --- operators ------------------------------------------------------------------------------
    def __add__(self, other): return _binary("add", self, other)
    def __radd__(self, other): return _binary("add", other, self)
    def __sub__(self, other): return _binary("sub", self, other)
    def __rsub__(self, other): return _binary("sub", other, self)
    def __mul__(self, other): return _binary("mul", self, other)
    def __rmul__(self, other): return _binary("mul", other, self)
    def __truediv__(self, other): return _binary("div", self, other, floating=True)
    def __rtruediv__(self, other): return _binary("div", other, self, floating=True)
    def __matmul__(self, other): return _binary("matmul", self, other)
    def __rmatmul__(self, other): return _binary("matmul", other, self)
    def __floordiv__(self, other): return _binary("floordiv", self, other)
    def __rfloordiv__(self, other): return _binary("floordiv", other, self)
    def __neg__(self): return apply(OPS["neg"], self)
    def __getitem__(self, index): return apply(OPS["getitem"], self, index=_index(index))
    def __pow__(self, exponent): return _binary("pow", self, exponent)
    def __rpow__(self, base): return _binary("pow", base, self)
    def __mod__(self, other): return _binary("remainder", self, other)
    def __rmod__(self, other): return _binary("remainder", other, self)

    # --- elementwise ----------------------------------------------------------------------------
    def square(self):
        """x ** 2, elementwise (the sq node of batch norm)."""
        return apply(OPS["square"], self)

    def sqrt(self):
        """Square root, elementwise (sqrtvar = sqrt(var + eps))."""
        return apply(OPS["sqrt"], self._floating())

    def reciprocal(self):
        """1 / x, elementwise (ivar = 1 / sqrtvar)."""
        return apply(OPS["reciprocal"], self._floating())

    def exp(self):
        """e ** x, elementwise."""
        return apply(OPS["exp"], self._floating())

    def log(self):
        """Natural logarithm, elementwise."""
        return apply(OPS["log"], self._floating())

    def relu(self):
        """max(x, 0), elementwise; gradient 0 at 0 as in PyTorch."""
        return apply(OPS["relu"], self)

    def tanh(self):
        """Hyperbolic tangent, elementwise."""
        return apply(OPS["tanh"], self._floating())

    def sigmoid(self):
        """1 / (1 + e ** -x), elementwise, without overflow."""
        return apply(OPS["sigmoid"], self._floating())

    def abs(self):
        """|x|, elementwise; gradient 0 at 0 as in PyTorch."""
        return apply(OPS["abs"], self)

    def maximum(self, other):
        """Elementwise max with other; at ties each side gets half the gradient (as PyTorch)."""
        return maximum(self, other)

    def minimum(self, other):
        """Elementwise min with other; at ties each side gets half the gradient (as PyTorch)."""
        return minimum(self, other)

    # --- reductions: axis= or dim=, keepdims= or keepdim=, an int, a tuple or list, or None ---
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        """Sum over axis (int, tuple/list or None for all); dtype= casts first, as torch."""
        axis, keepdims = reduce_args("sum", axis, keepdims, dim, keepdim)
        x = self if dtype is None else self.to(dtype)
        return apply(OPS["sum"], x, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        """Mean over axis (int, tuple/list or None for all); dtype= casts first, as torch."""
        axis, keepdims = reduce_args("mean", axis, keepdims, dim, keepdim)
        x = (self if dtype is None else self.to(dtype))._floating()
        return apply(OPS["mean"], x, axis=axis, keepdims=keepdims)

    # --- shape ----------------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same values in a new shape: x.reshape(4, 8) or x.reshape((4, 8)); one -1 allowed."""
        return apply(OPS["reshape"], self, shape=shape_args(shape, "reshape", self.shape))

    def transpose(self, *axes):
        """Two axes swap them, as torch (x.transpose(0, 1) on any rank); a full permutation
        (x.transpose(2, 0, 1) or a tuple) or none (reverse) work as ndarray.transpose.

        On 2-D the two readings agree: transpose(1, 0) and transpose(0, 1) both transpose.
        """
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            return self._swap(*axes)
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return apply(OPS["transpose"], self, axes=tuple(axes) if axes else None)

    @property
    def T(self):
        """Reversed axes, as ndarray.T."""
        return self.transpose()


def _index(index):
    """Tensors inside an index become arrays, so the record keeps plain NumPy indices."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


def _operands(op, *xs, floating=False, dtype=None):
    """Tensors, arrays and numbers -> tensors of one dtype, the one `result_type` gives.

    A tensor that needs a gradient is converted by a recorded cast, so its gradient comes back
    in its own dtype; constants are simply converted.
    """
    if not xs:
        return []                       # the op names the problem: it needs at least one tensor
    if dtype is None and all(isinstance(x, Tensor) and x.dtype == xs[0].dtype for x in xs) and (
            xs[0].dtype.kind == "f" or not floating):
        return list(xs)                 # tensors of one dtype: nothing to promote
    xs = [as_array(x) if isinstance(x, (list, tuple)) else x for x in xs]   # kinds kept: [1, 2] int
    if dtype is None:
        dtype = result_type(*xs, floating=floating, op=op)
    return [_converted(op, x, dtype) for x in xs]


def _binary(name, a, b, floating=False):
    """OPS[name] on a and b, made tensors of one dtype by `_operands` (float16 with a Python
    number: as torch, see methods.half_with_number)."""
    half = half_with_number(name, a, b)
    return half if half is not None else apply(OPS[name], *_operands(name, a, b, floating=floating))


def _converted(op, x, dtype):
    """x as a tensor of `dtype`: itself if it already is one, else cast (recorded when needed)."""
    if isinstance(x, (bool, int, float, np.generic)):    # a number: read-only, lock() skips it
        constant = np.array(x, dtype=dtype)
        constant.flags.writeable = False
        return Tensor(constant)
    if not isinstance(x, Tensor):
        return Tensor(np.asarray(x, dtype=dtype))
    if x.dtype == dtype:
        return x
    if x.dtype.kind == "f" and x.ndim and dtype.itemsize > x.dtype.itemsize:
        warnings.warn(f"{op}: mixing {x.dtype} {x.shape} with {dtype} gives {dtype}; cast one "
                      "input so both match", stacklevel=user_stacklevel())
    if x.requires_grad:
        return apply(OPS["cast"], x, dtype=dtype)
    return Tensor(x.data.astype(dtype))


def where(cond, a, b):
    """Elementwise `a if cond else b`; cond is a bool array or Tensor and gets no gradient."""
    cond = np.array(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)  # a copy: the
    a, b = _operands("where", a, b)             # record saves it, the caller's mask stays writable
    return apply(OPS["where"], Tensor(cond), a, b)


def maximum(a, b):
    """Elementwise max; at ties each input gets half the gradient (as PyTorch)."""
    return _binary("maximum", a, b)


def minimum(a, b):
    """Elementwise min; at ties each input gets half the gradient (as PyTorch)."""
    return _binary("minimum", a, b)


def concatenate(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis, as np.concatenate (dim= as torch.cat)."""
    axis = axis if dim is None else dim
    return apply(OPS["concatenate"], *_operands("concatenate", *tensors), axis=axis)


def stack(tensors, axis=0, *, dim=None):
    """Join tensors along a new axis, as np.stack (dim= as torch.stack)."""
    axis = axis if dim is None else dim
    return apply(OPS["stack"], *_operands("stack", *tensors), axis=axis)
