"""The Tensor methods a PyTorch user reaches for, beyond the textbook set in tensor.py.

Each is a composite of primitives (so backward, graphs and step views see every node) or runs one
primitive; results without a gradient (argmax, any, ...) are constants. PyTorch spelling rules:
`dim=` is an alias of `axis=`, `keepdim=` of `keepdims=`, and a list of axes works like a tuple.
"""
from collections import namedtuple

import numpy as np

from .dtypes import get_default_dtype, result_type
from .graph import REBASED
from .mode import state
from .readonly import locked_by
from .ops.reduce import normalize_axis
from .ops.shape import ints_first

__all__ = ["TorchMethods", "MaxResult", "SortResult"]

MaxResult = namedtuple("MaxResult", ["values", "indices"])
MaxResult.__doc__ = "(values, indices) of max/min along dim=, as torch.return_types.max."
SortResult = namedtuple("SortResult", ["values", "indices"])
SortResult.__doc__ = "(values, indices) of sort and topk, as torch.return_types.sort and .topk."

_TORCH_TYPE_NAMES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
                     "LongTensor": "int64", "IntTensor": "int32", "BoolTensor": "bool"}


def reduce_args(op, axis, keepdims, dim=None, keepdim=None, empty_dim_is_all=True):
    """axis= (NumPy) or dim= (PyTorch), keepdims= or keepdim= -> (axis, keepdims); lists -> tuples.

    An empty dim=() or dim=[] means every axis, as torch's sum, mean, amax, var, ... read it
    (any, all and squeeze pass empty_dim_is_all=False: there torch, like NumPy's axis=(), takes
    no axis at all).
    """
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: got axis={axis!r} and dim={dim!r}; they are the same "
                            "argument (NumPy's and PyTorch's spelling), pass one")
        empty = isinstance(dim, (tuple, list)) and not dim
        axis = None if empty and empty_dim_is_all else dim
    if isinstance(axis, list):
        axis = tuple(axis)
    if isinstance(axis, tuple):
        axis = tuple(_int(a, op, "axis") for a in axis)
    elif axis is not None:
        axis = _int(axis, op, "axis")
    return axis, bool(keepdims if keepdim is None else keepdim)


def shape_args(sizes, op, input_shape=None):
    """f(2, 3) or f((2, 3)) or f([2, 3]) -> (2, 3) of ints; a float or other junk raises."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    where = "" if input_shape is None else f" for input {input_shape}"
    return tuple(_int(n, op, f"size{where}") for n in sizes)


def _int(n, op, what):
    """n as an int; 2.5, '2' or None raise an error naming the op (2.0 is refused too, as torch)."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{op}: {what}: {n!r} ({type(n).__name__}) is not an integer; "
                        f"pass whole numbers, e.g. int(n)")
    return int(n)


def as_dtype(dtype):
    """np.float32, 'float32', torch.float32 or torch.FloatTensor -> a NumPy dtype."""
    text = str(dtype)
    if "torch." in text:                 # torch.float32 or <class 'torch.FloatTensor'>
        name = text.split("torch.")[-1].rstrip("'>")
        dtype = _TORCH_TYPE_NAMES.get(name, name)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype {text} is not a dtype; use e.g. np.float32, 'float64' or "
                        "np.int64") from None


def _keyword(args, kwargs, name, op, alias=None):
    """Positional sizes or dims, or the same passed as name= (or alias=), as torch allows."""
    given = {k: v for k, v in kwargs.items() if k in (name, alias)}
    if set(kwargs) - {name, alias} or (given and args) or len(given) > 1:
        raise TypeError(f"{op}: unexpected arguments {sorted(kwargs)} with {args}; pass "
                        f"the {name} positionally or as {name}=")
    return next(iter(given.values())) if given else args


def update(t, op, fn):
    """Make `t` hold fn(value of t) in place (same shape and dtype); returns t, as torch's x.add_.

    With nothing to record (no_grad, or nothing needs a gradient) the values are written into t's
    own array, so the same object changes: a model's parameter, a leaf. With gradients on, the
    update is recorded like its out-of-place op and t takes the new record; the value it had lives
    on as a tensor of its own (record.before) for the records that read it (graph.inputs_of)."""
    if t.record is None and t.requires_grad and state.modes.grad_enabled:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                           f"in-place operation ({t.dtype} {t.shape}); wrap the update in "
                           "`with tg.no_grad():` (as an optimizer step does), or write it out "
                           "of place (x = x - lr * g, a new tensor)")
    before = type(t)(t.data, name=t.name)
    before._requires_grad, before.record = t.requires_grad, t.record
    new = fn(before)
    if new.shape != t.shape:
        raise ValueError(f"{op}: the result has shape {new.shape} but the tensor has {t.shape}; "
                         "an in-place result keeps the tensor's shape (only the other operand "
                         "may broadcast), so write it out of place: x = x + y")
    if not np.can_cast(new.dtype, t.dtype, "same_kind"):
        raise TypeError(f"{op}: the result is {new.dtype}, which the {t.dtype} tensor {t.shape} "
                        "cannot hold (as torch); cast first, e.g. x = x.double(), or write "
                        "it out of place")
    if new.record is None:
        if not t.data.flags.writeable:
            raise ValueError(f"{op}: {_why_read_only(t.data)} ({t.dtype} {t.shape})")
        np.copyto(t.data, new.data, casting="same_kind")
        return t
    new = new if new.dtype == t.dtype else new.astype(t.dtype)
    if t.record is not None:
        t.record.set_output(before)             # the old record now makes the old value
    new.record.set_output(t)
    new.record.before = before
    REBASED[:] = [True]                         # from now on the walk checks for versions
    t.data, t.record, t._requires_grad = new.data, new.record, True
    return t


def _why_read_only(a):
    """Why array `a` cannot be written, with the fix, for the in-place error message."""
    saver = locked_by(a)
    if saver is not None:
        return (f"this tensor's array is read-only because a live graph saved it (a {saver} "
                "record) for backward; do the update after backward, or clone() the tensor "
                "first and update the copy")
    if a.base is not None:
        return ("this tensor is a read-only view (reshape, transpose, x[i], ...) of another "
                "tensor; update that tensor instead, or clone() the view first")
    return "this tensor's array is read-only (it was given read-only); clone() it first"


def half_with_number(name, a, b):
    """a (op) b as torch gives it for a float16 tensor and a Python number, else None.

    Times, over or to the power of a number is computed in float32 and rounded once (1e-8 and
    1e5 have no float16: x * 1e-8 would be 0 and x / 1e5 a division by inf); `1e5 / x` is torch's
    reciprocal(x) * 1e5. For + and - torch rounds the number to float16 first, as _operands does."""
    numbers = [isinstance(x, (bool, int, float)) for x in (a, b)]
    if name not in ("mul", "div", "pow") or not any(numbers) or all(numbers):
        return None
    t = b if numbers[0] else a
    if not isinstance(t, TorchMethods) or t.dtype != np.float16:
        return None
    if name == "div" and numbers[0]:
        return t.reciprocal() * a
    wide = [type(t)(np.float32(x)) if number else x.astype(np.float32)
            for x, number in zip((a, b), numbers)]
    return t._apply(name, *wide).astype(np.float16)


def _unpickle(cls, data, requires_grad, name):
    """A pickled tensor back: a leaf with its data, requires_grad and name."""
    return cls(data, requires_grad=requires_grad, name=name)


def _bitwise(symbol, fn, *xs):
    """~, &, |, ^ on bool and int tensors (masks): a constant, as torch; floats are refused."""
    arrays = [x.data if isinstance(x, TorchMethods) else x for x in xs]
    if any(np.asarray(a).dtype.kind not in "biu" for a in arrays):
        kinds = " and ".join(str(np.asarray(a).dtype) for a in arrays)
        raise TypeError(f"{symbol}: operands {kinds}; bitwise operators take bool or int "
                        "tensors, e.g. a mask (x > 0) & (x < 1)")
    return next(type(x) for x in xs if isinstance(x, TorchMethods))(fn(*arrays))


class _Count(int):
    """The element count (NumPy's x.size) that can also be called as PyTorch's x.size(dim)."""

    def __new__(cls, array):
        count = super().__new__(cls, array.size)
        count.shape = array.shape
        return count

    def __call__(self, dim=None):
        """x.size() is the shape, x.size(d) its length along d, as in PyTorch."""
        if dim is None:
            return self.shape
        return self.shape[normalize_axis(_int(dim, "size", "dim"), len(self.shape), "size")[0]]


class TorchMethods:
    """Mixed into Tensor: PyTorch's spellings and the ops its users expect (see module docstring)."""

    __slots__ = ()

    # --- comparisons (no gradient) and printing ------------------------------------------------
    def __lt__(self, other): return type(self)(self.data < _array(other))
    def __le__(self, other): return type(self)(self.data <= _array(other))
    def __gt__(self, other): return type(self)(self.data > _array(other))
    def __ge__(self, other): return type(self)(self.data >= _array(other))
    def __and__(self, other): return type(self)(self.data & _array(other))   # masks: constants,
    def __or__(self, other): return type(self)(self.data | _array(other))    # as the comparisons
    def __invert__(self): return type(self)(~self.data)
    __rand__, __ror__ = __and__, __or__
    __hash__ = object.__hash__     # hashable by identity (as PyTorch), although == is elementwise

    def __eq__(self, other):
        """Elementwise ==, a bool tensor (as PyTorch and NumPy); `is` tests identity."""
        return type(self)(self.data == _array(other)) if _comparable(other) else NotImplemented

    def __ne__(self, other):
        """Elementwise !=, a bool tensor."""
        return type(self)(self.data != _array(other)) if _comparable(other) else NotImplemented

    def __bool__(self):
        """The truth of a one-element tensor; more elements raise, as in NumPy."""
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.shape} is "
                             "ambiguous; reduce it first, e.g. (a == b).all() or (a > 0).any()")
        return bool(self.data.item())

    def __repr__(self):
        """Name, shape, dtype, op and requires_grad, and the values of a small tensor."""
        head = ", ".join(f"{k}={v}" for k, v in (
            ("name", repr(self.name) if self.name else None), ("shape", self.shape),
            ("dtype", self.dtype), ("op", self.op), ("requires_grad", self.requires_grad or None))
            if v is not None)
        if self.size <= 24:
            body = np.array2string(self.data, precision=4, separator=", ", prefix="       ")
            return f"Tensor({head},\n       data={body})"
        return f"Tensor({head})"

    # --- Python and NumPy protocols, as torch: one-element tensors convert to numbers ----------
    def __iter__(self):
        """The tensor's rows x[0], x[1], ... (each in the graph); a 0-d tensor raises, as torch."""
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __index__(self):
        """An int or bool one-element tensor as an index (range(n), a[n]), as torch."""
        if self.dtype.kind not in "iub":
            raise TypeError(f"index: a {self.dtype} tensor cannot be an index; only integer "
                            "tensors of one element can (as torch): use int(t) or t.long()")
        return int(self._number("index"))

    def __float__(self): return float(self._number("float"))
    def __int__(self): return int(self._number("int"))
    def __pos__(self): return self
    def __abs__(self): return self.abs()
    def __invert__(self): return _bitwise("~", np.invert, self)
    def __and__(self, other): return _bitwise("&", np.bitwise_and, self, other)
    def __rand__(self, other): return _bitwise("&", np.bitwise_and, other, self)
    def __or__(self, other): return _bitwise("|", np.bitwise_or, self, other)
    def __ror__(self, other): return _bitwise("|", np.bitwise_or, other, self)
    def __xor__(self, other): return _bitwise("^", np.bitwise_xor, self, other)
    def __rxor__(self, other): return _bitwise("^", np.bitwise_xor, other, self)

    def __format__(self, spec):
        """f"{loss:.3f}" formats a one-element tensor's value; without a spec it is str(t)."""
        return format(self._number("format"), spec) if spec else str(self)

    def _number(self, op):
        if self.data.size != 1:
            raise ValueError(f"{op}: tensor has shape {self.shape}; only one-element tensors "
                             "convert to a Python number (as torch); index or reduce first")
        return self.data.item()

    def __array__(self, dtype=None, copy=None):
        """np.asarray(t) is t.data (shared, as t.numpy()); a copy only when dtype or copy ask."""
        return self.data.astype(dtype) if dtype is not None or copy else self.data

    def __reduce__(self):
        """Pickle data, requires_grad and name: a tensor an op made loads as a leaf, as torch."""
        return _unpickle, (type(self), self.data, self.requires_grad, self.name)

    # --- facts and conversions -----------------------------------------------------------------
    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: tensor has shape {self.shape}; only one-element tensors "
                             "convert to a Python number; index first (x[0].item()) "
                             "or reduce (x.sum().item())")
        return self.data.item()

    def numpy(self):
        """The data array (shared, not copied)."""
        return self.data

    def detach(self):
        """A new leaf sharing the data, cut from the graph."""
        return type(self)(self.data, name=self.name)

    @property
    def size(self):
        """Number of elements as NumPy's x.size; x.size() is the shape and x.size(d) as torch."""
        return _Count(self.data)

    device = property(lambda self: "cpu", doc="'cpu': everything here lives in host memory.")

    def requires_grad_(self, requires_grad=True):
        """Switch gradient tracking of a leaf on (or off) in place; returns self, as torch."""
        if self.record is not None:
            raise ValueError(f"requires_grad_: this tensor {self.shape} was made by "
                             f"{self.record.op}; only leaves can change it (use .detach() first)")
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(f"requires_grad_: {self.dtype} {self.shape} cannot have a gradient; "
                            "cast to a float dtype first, e.g. x.double()")
        self._requires_grad = bool(requires_grad)
        return self

    def dim(self):
        """Number of axes, as torch's x.dim()."""
        return self.data.ndim

    def numel(self):
        """Number of elements, as torch's x.numel()."""
        return int(self.data.size)

    def tolist(self):
        """The values as (nested) Python lists, or a number for a 0-d tensor."""
        return self.data.tolist()

    def contiguous(self):
        """self: arrays here are used as they are (torch's memory layout has no meaning here)."""
        return self

    def cpu(self):
        """self: everything here lives in host memory."""
        return self

    def clone(self):
        """A copy that stays in the graph (records `cast` to its own dtype); gradient passes."""
        return self._apply("cast", self, dtype=self.dtype)

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
        """x.to(dtype), x.to('cpu'), x.to(other_tensor), as torch; a float-to-float cast keeps
        the graph, a cast to int or bool is a constant (no gradient), as in PyTorch."""
        for arg in args:
            if isinstance(arg, TorchMethods):
                dtype = arg.dtype
            elif str(arg).split(":")[0] in ("cpu", "cuda", "mps", "meta"):
                device = arg
            else:
                dtype = arg
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"to: device {device!r}: this engine runs on NumPy, on the CPU "
                             "only; use 'cpu' (or leave the device out)")
        out = self if dtype is None else self._cast(as_dtype(dtype))
        return out.clone() if copy and out is self else out

    def type(self, dtype=None):
        """With a dtype: cast as .to(dtype). Without: the dtype's name, e.g. 'float64'."""
        return self.dtype.name if dtype is None else self._cast(as_dtype(dtype))

    def float(self):
        """Cast to float32 (as torch's .float()); the graph is kept."""
        return self._cast(np.dtype(np.float32))

    def double(self):
        """Cast to float64 (as torch's .double()); the graph is kept."""
        return self._cast(np.dtype(np.float64))

    def half(self):
        """Cast to float16 (as torch's .half()); the graph is kept."""
        return self._cast(np.dtype(np.float16))

    def long(self):
        """Cast to int64 (as torch's .long()): a constant, no gradient."""
        return self._cast(np.dtype(np.int64))

    def int(self):
        """Cast to int32 (as torch's .int()): a constant, no gradient."""
        return self._cast(np.dtype(np.int32))

    def bool(self):
        """Cast to bool (as torch's .bool()): a constant, no gradient."""
        return self._cast(np.dtype(bool))

    def _cast(self, dtype):
        """self if already `dtype` (as torch's .float() on float32), else astype(dtype)."""
        return self if dtype == self.dtype else self.astype(dtype)

    def _floating(self):
        """self if it holds floats, else its values in the default float dtype (as torch.erf)."""
        return self if self.dtype.kind == "f" else self.astype(get_default_dtype())

    def _rounding(self, op):
        """floor/ceil/round/trunc/sign: integers are already whole, a copy as torch gives."""
        if self.dtype.kind in "iub" and op != "sign":
            return type(self)(self.data.copy())
        return self._apply(op, self)

    def retain_grad(self):
        """Keep this non-leaf's .grad after backward, as torch; here every tensor that requires
        grad keeps it already (set by the latest backward), so this checks and returns None."""
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad: this tensor {self.shape} does not require grad, so "
                               "it gets no gradient to retain; make an input require grad first")

    @property
    def retains_grad(self):
        """True for a non-leaf that requires grad: its .grad is kept after backward (as torch)."""
        return self.requires_grad and self.record is not None

    # --- in place, as torch: the same tensor changes (see update below) ----------------------
    def __iadd__(self, other): return update(self, "+=", lambda x: x + other)
    def __isub__(self, other): return update(self, "-=", lambda x: x - other)
    def __imul__(self, other): return update(self, "*=", lambda x: x * other)
    def __itruediv__(self, other): return update(self, "/=", lambda x: x / other)
    def __ifloordiv__(self, other): return update(self, "//=", lambda x: x // other)
    def __imod__(self, other): return update(self, "%=", lambda x: x % other)
    def __ipow__(self, other): return update(self, "**=", lambda x: x ** other)

    def __setitem__(self, index, value):
        """x[i] = v writes into x's array, as torch (a leaf that requires grad: under no_grad);
        a tensor in a live graph refuses it: build the new values with tg.where(mask, v, x)."""
        if state.modes.grad_enabled and (self.requires_grad or getattr(value, "requires_grad", 0)):
            raise RuntimeError(f"setitem: x[...] = v on a {self.shape} tensor that is part of a "
                               "graph; write it under `with tg.no_grad():`, or build the new "
                               "values out of place with tg.where(mask, v, x)")
        if not self.data.flags.writeable:
            raise ValueError(f"setitem: {_why_read_only(self.data)} ({self.dtype} {self.shape})")
        index = tuple(getattr(i, "data", i) for i in index) if isinstance(index, tuple) else (
            getattr(index, "data", index))
        *first, index = ints_first(index)           # as torch: ints mixed with arrays first
        (self.data[first[0]] if first else self.data)[index] = getattr(value, "data", value)

    def add_(self, other, alpha=1):
        """self += alpha * other, in place."""
        return update(self, "add_", lambda x: x + (other if alpha == 1 else other * alpha))

    def sub_(self, other, alpha=1):
        """self -= alpha * other, in place."""
        return update(self, "sub_", lambda x: x - (other if alpha == 1 else other * alpha))

    def mul_(self, other):
        """self *= other, in place."""
        return update(self, "mul_", lambda x: x * other)

    def div_(self, other):
        """self /= other, in place (an int tensor cannot hold the result, as in torch)."""
        return update(self, "div_", lambda x: x / other)

    def clamp_(self, min=None, max=None):
        """Clamp into [min, max], in place."""
        return update(self, "clamp_", lambda x: x.clip(min, max))

    def fill_(self, value):
        """Set every element to the number value, in place; no gradient reaches the old values."""
        if np.ndim(value.data if isinstance(value, TorchMethods) else value) != 0:
            raise ValueError(f"fill_: value {np.shape(getattr(value, 'data', value))} is not a "
                             "number or 0-d tensor; use copy_(src) to copy an array in")
        return self.copy_(value)

    def zero_(self):
        """Set every element to 0, in place."""
        return self.copy_(0)

    def copy_(self, src):
        """Copy src's values in (cast to self's dtype; src broadcasts to self's shape), in place;
        the gradient goes to src and none to the old values, as torch."""
        def copied(x):
            value = src if isinstance(src, TorchMethods) else type(self)(np.asarray(src))
            everywhere = type(self)(np.ones((), dtype=bool))
            return self._apply("where", everywhere, value._cast(x.dtype), x)
        return update(self, "copy_", copied)

    # --- elementwise ---------------------------------------------------------------------------
    def add(self, other, *, alpha=1):
        """self + alpha * other, broadcasting (alpha as torch.add)."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        """self - alpha * other, broadcasting (alpha as torch.sub)."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        """self * other, broadcasting."""
        return self * other

    def div(self, other, *, rounding_mode=None):
        """self / other, broadcasting; rounding_mode 'floor' (as //) or 'trunc' (toward 0), as torch."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self // other
        if rounding_mode != "trunc":
            raise ValueError(f"div: rounding_mode={rounding_mode!r}; use None, 'trunc' or 'floor'")
        floor = self // other
        if floor.dtype.kind in "iub":              # integers stay integers, exact at any size
            b = other.data if isinstance(other, TorchMethods) else np.asarray(other)
            return type(self)(floor.data + ((floor.data < 0) & (floor.data * b != self.data)))
        return (self / other).trunc()

    def neg(self):
        """-self."""
        return -self

    def pow(self, exponent):
        """self ** exponent, exponent a number or a tensor (both get gradients)."""
        return self ** exponent

    def matmul(self, other):
        """self @ other with NumPy's rules (1-D, 2-D, batched)."""
        return self @ other

    def rsqrt(self):
        """1 / sqrt(x), elementwise (composed: sqrt then reciprocal, as BN's ivar)."""
        return self.sqrt().reciprocal()

    def log2(self):
        """Base-2 logarithm: log(x) / log(2)."""
        return self.log() * (1 / np.log(2.0))

    def exp2(self):
        """2 ** x = exp(x * log(2))."""
        return (self * np.log(2.0)).exp()

    def expm1(self):
        """exp(x) - 1, exact for tiny x."""
        return self._apply("expm1", self._floating())

    def log1p(self):
        """log(1 + x), exact for tiny x."""
        return self._apply("log1p", self._floating())

    def erf(self):
        """The error function, elementwise (GELU is built on it)."""
        return self._apply("erf", self._floating())

    def sin(self):
        """Sine, elementwise."""
        return self._apply("sin", self._floating())

    def cos(self):
        """Cosine, elementwise."""
        return self._apply("cos", self._floating())

    def floor(self):
        """Largest integer <= x; gradient 0 (as torch)."""
        return self._rounding("floor")

    def ceil(self):
        """Smallest integer >= x; gradient 0 (as torch)."""
        return self._rounding("ceil")

    def round(self):
        """Nearest integer, halves to even (as torch.round); gradient 0."""
        return self._rounding("round")

    def trunc(self):
        """x rounded toward zero; gradient 0 (as torch)."""
        return self._rounding("trunc")

    def sign(self):
        """-1, 0 or 1 by the sign of x; gradient 0 (as torch)."""
        return self._rounding("sign")

    def floor_divide(self, other):
        """self // other (the operator sits in tensor.py): floor(self / other) as in Python and
        torch (1.0 // 0.1 == 9.0); gradient 0."""
        return self // other

    def masked_fill(self, mask, value):
        """value where mask is True, else x (mask broadcasts); no gradient where filled."""
        mask = np.array(mask.data if isinstance(mask, TorchMethods) else mask, dtype=bool)  # a
        # copy: the record saves it, so the caller's mask stays writable
        fill = type(self)(np.asarray(value, dtype=self.dtype))
        return self._apply("where", type(self)(mask), fill, self)

    def tril(self, diagonal=0):
        """Keep the lower triangle of the last two axes (on and below `diagonal`), zero the rest."""
        return self._triangle(np.tri(*self.shape[-2:], k=diagonal, dtype=bool), "tril")

    def triu(self, diagonal=0):
        """Keep the upper triangle of the last two axes (on and above `diagonal`), zero the rest."""
        return self._triangle(~np.tri(*self.shape[-2:], k=diagonal - 1, dtype=bool), "triu")

    def _triangle(self, keep, op):
        if self.ndim < 2:
            raise ValueError(f"{op}: input {self.shape} has {self.ndim} dims; it needs a matrix "
                             "(or a batch of them) in the last two axes")
        zero = type(self)(np.zeros((), dtype=self.dtype))
        return self._apply("where", type(self)(keep), self, zero)

    def dot(self, other):
        """Inner product of two 1-D tensors (torch.dot): self @ other."""
        if self.ndim != 1 or np.ndim(getattr(other, "data", other)) != 1:
            raise ValueError(f"dot: {self.shape} . {np.shape(getattr(other, 'data', other))}: "
                             "both must be 1-D; use x @ y (matmul) for matrices")
        return self @ other

    def mm(self, other):
        """Matrix product of two 2-D tensors (torch.mm): self @ other."""
        if self.ndim != 2 or np.ndim(getattr(other, "data", other)) != 2:
            raise ValueError(f"mm: {self.shape} @ {np.shape(getattr(other, 'data', other))}: "
                             "both must be 2-D; use x @ y (matmul) for other shapes")
        return self @ other

    def clip(self, min=None, max=None):
        """Clamp into [min, max]; gradient 1 inside, ends included (as PyTorch).

        Numbers or arrays as bounds run the clip primitive. Tensor bounds (torch's
        x.clamp(min=lo, max=hi) with tensors) are two wheres, so each bound gets its gradient as
        in torch: lo where x < lo, hi where the result is above hi.
        """
        dtype = result_type(self, min, max, op="clip")
        if isinstance(min, TorchMethods) or isinstance(max, TorchMethods):
            return self._cast(dtype)._clip_by_tensors(min, max, dtype)
        return self._apply("clip", self._cast(dtype), min=min, max=max)

    def _clip_by_tensors(self, lo, hi, dtype):
        """where(x < lo, lo, x), then where(out > hi, hi, out): min(max(x, lo), hi) as np.clip."""
        out = self
        for bound, outside in ((lo, np.less), (hi, np.greater)):
            if bound is not None:
                bound = (bound if isinstance(bound, TorchMethods) else type(self)(bound))
                bound = bound._cast(dtype)
                out = self._apply("where", type(self)(outside(out.data, bound.data)), bound, out)
        return out

    def clamp(self, min=None, max=None):
        """torch's name for clip: clamp into [min, max]; gradient 1 inside, ends included."""
        return self.clip(min, max)

    def clamp_min(self, min):
        """clamp(min=min)."""
        return self.clip(min=min)

    def clamp_max(self, max):
        """clamp(max=max)."""
        return self.clip(max=max)

    # --- reductions ----------------------------------------------------------------------------
    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Max over dim; tied maxima share the gradient equally (as torch.amax); over all
        values the gradient goes to the NaNs if any (as torch.max(x); amax gives NaN there).

        PyTorch's forms: an int dim, x.max(1) or x.max(dim=1), gives (values, indices), the
        gradient going to the index (as torch.max(x, dim), so x.max(1)[0] is the values as
        there); x.max(other_tensor) is tg.maximum. NumPy's x.max(axis=1) and a tuple of dims give
        the values only (as np.max and torch.amax).
        """
        if isinstance(dim, TorchMethods):
            return self.maximum(dim)
        keep = bool(keepdim or keepdims)
        if axis is not None or isinstance(dim, (tuple, list)):
            return self.amax(axis, keep, dim=dim)
        if dim is not None:
            return self._with_indices("max", dim, keep)
        return self._apply("max", self, keepdims=keep, nan_wins=True)  # NaN wins, gets the grad

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Min over dim; tied minima share the gradient equally (as torch.amin); over all
        values the gradient goes to the NaNs if any (as torch.min(x); amin gives NaN there).

        PyTorch's forms: an int dim, x.min(1) or x.min(dim=1), gives (values, indices), the
        gradient going to the index (as torch.min(x, dim), so x.min(1)[0] is the values as
        there); x.min(other_tensor) is tg.minimum. NumPy's x.min(axis=1) and a tuple of dims give
        the values only (as np.min and torch.amin).
        """
        if isinstance(dim, TorchMethods):
            return self.minimum(dim)
        keep = bool(keepdim or keepdims)
        if axis is not None or isinstance(dim, (tuple, list)):
            return self.amin(axis, keep, dim=dim)
        if dim is not None:
            return self._with_indices("min", dim, keep)
        return self._apply("min", self, keepdims=keep, nan_wins=True)  # NaN wins, gets the grad

    def var(self, axis=None, unbiased=None, keepdims=False, *, dim=None, correction=None,
            keepdim=None, ddof=None):
        """Variance sum((x - mean)**2) / (N - correction); unbiased (correction=1) by default,
        as torch.var. correction=0 (or ddof=0, NumPy's name, or unbiased=False) is BN's biased one.
        """
        return self._spread("var", axis, unbiased, keepdims, dim, correction, keepdim, ddof)

    def _spread(self, op, axis, unbiased, keepdims, dim, correction, keepdim, ddof):
        """OPS[op] ('var' or 'std') with torch's and NumPy's ways of saying axis and correction."""
        if isinstance(axis, bool):                 # torch's x.var(False): unbiased comes first
            axis, unbiased = None, axis
        axis, keepdims = reduce_args(op, axis, keepdims, dim, keepdim)
        given = [v for v in (unbiased, correction, ddof) if v is not None]
        if len(given) > 1:
            raise TypeError(f"{op}: give one of unbiased=, correction= and ddof= (they are the "
                            "same setting: unbiased=True is correction=1)")
        ddof = int(given[0]) if given else 1
        return self._apply(op, self._floating(), axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis=None, unbiased=None, keepdims=False, *, dim=None, correction=None,
            keepdim=None, ddof=None):
        """Standard deviation sqrt(var); unbiased (correction=1) by default, as torch.std.
        One primitive, so the gradient is 0 where std is 0 (as torch), not sqrt's 0 * inf."""
        return self._spread("std", axis, unbiased, keepdims, dim, correction, keepdim, ddof)

    def prod(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        """Product over axis; its gradient is the product of the others, exact with zeros."""
        axis, keepdims = reduce_args("prod", axis, keepdims, dim, keepdim)
        x = self if dtype is None else self._cast(as_dtype(dtype))
        return self._apply("prod", x, axis=axis, keepdims=keepdims)

    def cumsum(self, axis=None, *, dim=None, dtype=None):
        """Running sum along axis (the flattened input for axis=None, as np.cumsum)."""
        axis, _ = reduce_args("cumsum", axis, False, dim)
        x = self if dtype is None else self._cast(as_dtype(dtype))
        if axis is None:
            return self._apply("cumsum", x.reshape(-1), axis=0)
        return self._apply("cumsum", x, axis=axis)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """log(sum(exp(x))) over axis without overflow: the max is taken out first (a constant)."""
        axis, keepdims = reduce_args("logsumexp", axis, keepdims, dim, keepdim)
        axes = normalize_axis(axis, self.ndim, "logsumexp")
        m = self.data.max(axis=axes, keepdims=True) if self.size else np.zeros((1,) * self.ndim)
        m = np.where(np.isfinite(m), m, 0)                 # rows of -inf stay -inf, not nan
        total = (self - m).exp().sum(axis=axes, keepdims=keepdims).log()
        return total + (m if keepdims else m.reshape(total.shape))

    def amax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Max over axis; tied maxima share the gradient (torch.amax)."""
        axis, keepdims = reduce_args("amax", axis, keepdims, dim, keepdim)
        return self._apply("max", self, axis=axis, keepdims=keepdims)

    def amin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Min over axis; tied minima share the gradient (torch.amin)."""
        axis, keepdims = reduce_args("amin", axis, keepdims, dim, keepdim)
        return self._apply("min", self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Index of the max along axis (the first one at ties, as torch); int64, no gradient."""
        return self._arg("argmax", axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Index of the min along axis (the first one at ties, as torch); int64, no gradient."""
        return self._arg("argmin", axis, keepdims, dim, keepdim)

    def _arg(self, op, axis, keepdims, dim, keepdim):
        axis, keepdims = reduce_args(op, axis, keepdims, dim, keepdim)
        if isinstance(axis, tuple):
            raise TypeError(f"{op}: axis {axis} of input {self.shape}: give one axis or None")
        if self.size == 0:
            raise ValueError(f"{op}: input {self.shape} is empty, so there is no index to give")
        fn = getattr(np, op)
        if axis is None:
            idx = np.asarray(fn(self.data)).reshape((1,) * self.ndim if keepdims else ())
        else:
            axis = normalize_axis(axis, self.ndim, op)
            idx = fn(self.data, axis=axis[0], keepdims=keepdims) if axis else np.asarray(0)
        return type(self)(np.asarray(idx, dtype=np.int64))

    def _with_indices(self, op, dim, keepdim):
        """torch.max(x, dim) / torch.min(x, dim): (values, indices); the gradient goes to the
        index chosen (the first at ties), as in PyTorch."""
        indices = self._arg("arg" + op, None, True, dim, None)
        values = self.gather(dim, indices)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return MaxResult(values, indices)

    def any(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """True where any value along axis is nonzero; a bool constant."""
        axis, keepdims = reduce_args("any", axis, keepdims, dim, keepdim,
                                     empty_dim_is_all=False)
        axes = normalize_axis(axis, self.ndim, "any")
        return type(self)(np.any(self.data, axis=axes, keepdims=keepdims))

    def all(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """True where every value along axis is nonzero; a bool constant."""
        axis, keepdims = reduce_args("all", axis, keepdims, dim, keepdim,
                                     empty_dim_is_all=False)
        axes = normalize_axis(axis, self.ndim, "all")
        return type(self)(np.all(self.data, axis=axes, keepdims=keepdims))

    def softmax(self, axis=-1, dtype=None, *, dim=None):
        """exp(x) / sum(exp(x)) along axis (dim=): each slice becomes probabilities summing to 1."""
        axis = axis if dim is None else dim
        e = (self if dtype is None else self._cast(as_dtype(dtype)))._minus_max(axis).exp()
        return e / e.sum(axis=axis, keepdims=True)

    def log_softmax(self, axis=-1, dtype=None, *, dim=None):
        """x - logsumexp(x) along axis (dim=): log-probabilities without overflow."""
        axis = axis if dim is None else dim
        z = (self if dtype is None else self._cast(as_dtype(dtype)))._minus_max(axis)
        return z - z.exp().sum(axis=axis, keepdims=True).log()

    def _minus_max(self, axis):
        """x - max(x) along axis, the max a constant: (log-)softmax ignores the shift, so no
        gradient. After it every exp() is <= 1 (no overflow) and the largest is exactly 1."""
        x = self._floating()
        m = x.data.max(axis=axis, keepdims=True)
        return x - np.where(np.isfinite(m), m, 0)       # a row of -inf stays -inf, not nan

    # --- shape ---------------------------------------------------------------------------------
    def _swap(self, d0, d1):
        """torch.transpose(x, d0, d1): swap two axes, the others stay in place."""
        if not (-self.ndim <= d0 < self.ndim and -self.ndim <= d1 < self.ndim):
            raise ValueError(f"transpose: dims ({d0}, {d1}) are out of range for input "
                             f"{self.shape} with {self.ndim} dims; give two dims in "
                             f"{-self.ndim}..{self.ndim - 1} to swap them")
        axes = list(range(self.ndim))
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return self._apply("transpose", self, axes=tuple(axes))

    def broadcast_to(self, shape):
        """Repeat along new or size-1 axes up to shape, as np.broadcast_to."""
        return self._apply("broadcast_to", self, shape=shape_args((shape,), "broadcast_to"))

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes start_dim..end_dim (both included) into one, a reshape, as torch."""
        n = max(self.ndim, 1)
        for d in (start_dim, end_dim):
            if not isinstance(d, (int, np.integer)) or not -n <= d < n:
                raise ValueError(f"flatten: start_dim={start_dim}, end_dim={end_dim} for input "
                                 f"{self.shape} with {self.ndim} dims; use dims in "
                                 f"{-n}..{n - 1}, e.g. x.flatten(1) to keep the batch axis")
        start, end = start_dim % n, end_dim % n
        if start > end:
            raise ValueError(f"flatten: start_dim={start_dim} comes after end_dim={end_dim} "
                             f"for input {self.shape}; give start_dim <= end_dim")
        return self.reshape(*self.shape[:start], -1, *self.shape[end + 1:])

    def pad(self, pad_width, mode="constant", value=0.0):
        """Pad (or crop, with negative widths) in NumPy's convention: pad_width is an int, a
        (before, after) pair, or one pair per axis from the first; F.pad takes torch's order.

        mode: 'constant' (value), 'reflect', 'replicate' ('edge') or 'circular' ('wrap').
        """
        return self._apply("pad", self, pad_width=_pad_width(pad_width, self.shape), mode=mode,
                     value=value)

    def split(self, split_size_or_sections, axis=0, *, dim=None):
        """Pieces along axis: of split_size each (the last may be smaller) or of the listed
        sizes, as torch.split; a tuple of views whose gradients add back into x."""
        axis = normalize_axis(reduce_args("split", axis if dim is None else None, False, dim)[0],
                              self.ndim, "split")[0]
        n, sizes = self.shape[axis], split_size_or_sections
        if isinstance(sizes, (int, np.integer)):
            if sizes <= 0:
                raise ValueError(f"split: split_size={sizes} for input {self.shape}; give a "
                                 "positive size")
            sizes = [min(sizes, n - i) for i in range(0, n, sizes)] or [0]
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {list(sizes)} add up to {sum(sizes)}, but axis {axis} "
                             f"of input {self.shape} has {n}; make them add up to {n}")
        ends = np.cumsum(sizes)
        return tuple(self[(slice(None),) * axis + (slice(int(e - k), int(e)),)]
                     for k, e in zip(sizes, ends))

    def chunk(self, chunks, axis=0, *, dim=None):
        """About equal pieces along axis: ceil(n / chunks) each, as torch.chunk (maybe fewer)."""
        axis = normalize_axis(reduce_args("chunk", axis if dim is None else None, False, dim)[0],
                              self.ndim, "chunk")[0]
        if chunks <= 0:
            raise ValueError(f"chunk: chunks={chunks} for input {self.shape}; give a positive count")
        return self.split(max(-(-self.shape[axis] // chunks), 1), axis)

    def view(self, *shape):
        """torch's name for reshape (arrays here are never required to be contiguous)."""
        return self.reshape(*shape)

    def permute(self, *dims, **kwargs):
        """Reorder all axes: x.permute(2, 0, 1), x.permute((2, 0, 1)) or permute(dims=...)."""
        dims = shape_args(_keyword(dims, kwargs, "dims", "permute"), "permute")
        if len(dims) != self.ndim:
            raise ValueError(f"permute: dims {dims} for input {self.shape} with {self.ndim} "
                             f"dims; give all {self.ndim} axes once, e.g. "
                             f"{tuple(reversed(range(self.ndim)))}")
        return self._apply("transpose", self, axes=dims)

    def t(self):
        """Transpose of a 2-D tensor (1-D and 0-D stay as they are), as torch's x.t()."""
        if self.ndim > 2:
            raise ValueError(f"t: input {self.shape} has {self.ndim} dims; t() is for 2-D, use "
                             "x.transpose(d0, d1) or x.permute(...)")
        return self.transpose()

    def expand(self, *sizes):
        """Broadcast to sizes without copying; -1 keeps a size, new axes go in front (torch)."""
        sizes = shape_args(sizes, "expand")
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {sizes} has fewer dims than input {self.shape}; give at "
                             f"least {self.ndim} sizes (-1 keeps one)")
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n
                      for i, n in enumerate(sizes))
        if any(n < 0 for n in shape):
            raise ValueError(f"expand: {sizes} for input {self.shape}: -1 is only allowed for "
                             "existing axes; give the size of each new leading axis")
        return self.broadcast_to(shape)

    def squeeze(self, axis=None, *, dim=None):
        """Drop axes of size 1 (all of them, or those of axis that have size 1, as torch)."""
        axis, _ = reduce_args("squeeze", axis, False, dim, empty_dim_is_all=False)
        axes = normalize_axis(axis, self.ndim, "squeeze")
        return self.reshape(*(n for i, n in enumerate(self.shape)
                              if not (i in axes and n == 1)))

    def unsqueeze(self, axis=None, *, dim=None):
        """Insert an axis of size 1 at position axis (-1 appends), as torch."""
        axis, _ = reduce_args("unsqueeze", axis, False, dim)
        if axis is None or isinstance(axis, tuple) or not -self.ndim - 1 <= axis <= self.ndim:
            raise ValueError(f"unsqueeze: dim {axis} for input {self.shape}; use one dim in "
                             f"{-self.ndim - 1}..{self.ndim}")
        axis %= self.ndim + 1
        return self.reshape(*self.shape[:axis], 1, *self.shape[axis:])

    def unflatten(self, dim, sizes):
        """Split dim into sizes (one -1 allowed), the inverse of flatten, as torch."""
        axis = normalize_axis(reduce_args("unflatten", dim, False)[0], self.ndim, "unflatten")[0]
        sizes = shape_args((sizes,), "unflatten")
        return self.reshape(*self.shape[:axis], *sizes, *self.shape[axis + 1:])

    def flip(self, *dims, **kwargs):
        """Reverse the order along dims: x.flip(0, 1), x.flip([0, 1]) or flip(dims=...) (axis=
        too). A getitem with ::-1, so the gradient flips back."""
        dims = _keyword(dims, kwargs, "dims", "flip", alias="axis")
        dims = (dims,) if isinstance(dims, (int, np.integer)) else dims
        axes = normalize_axis(shape_args(dims, "flip"), self.ndim, "flip")
        return self[tuple(slice(None, None, -1) if i in axes else slice(None)
                          for i in range(self.ndim))]

    def repeat(self, *sizes):
        """Tile: x.repeat(2, 3) repeats the whole tensor 2 x 3 times, as torch (np.tile)."""
        sizes = shape_args(sizes, "repeat")
        if len(sizes) < self.ndim:
            raise ValueError(f"repeat: {sizes} has fewer entries than input {self.shape} has "
                             f"dims; give one count per dim ({self.ndim} or more)")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        spread = self.reshape(*(m for n in shape for m in (1, n)))
        tiled = spread.broadcast_to(tuple(m for r, n in zip(sizes, shape) for m in (r, n)))
        return tiled.reshape(*(r * n for r, n in zip(sizes, shape)))

    def repeat_interleave(self, repeats, axis=None, *, dim=None):
        """Repeat each element `repeats` times along axis (the flattened input for None), as torch."""
        axis, _ = reduce_args("repeat_interleave", axis, False, dim)
        x = self.reshape(-1) if axis is None else self
        axis = normalize_axis(0 if axis is None else axis, x.ndim, "repeat_interleave")[0]
        repeats = repeats.data if isinstance(repeats, TorchMethods) else repeats
        index = np.repeat(np.arange(x.shape[axis]), repeats)
        return x[(slice(None),) * axis + (index,)]

    def gather(self, dim, index):
        """out[i][j] = x[index[i][j]][j] for dim 0 (and so on), as torch.gather."""
        # a copy: the record keeps its index read-only, which must not lock the caller's array
        index = np.array(index.data if isinstance(index, TorchMethods) else index)
        axis = normalize_axis(reduce_args("gather", dim, False)[0], self.ndim, "gather")[0]
        if self.ndim == 0 or index.ndim != self.ndim or index.dtype.kind not in "iu" or any(
                m > n for i, (m, n) in enumerate(zip(index.shape, self.shape)) if i != axis):
            raise ValueError(f"gather: index {index.dtype} {index.shape} for input {self.shape}: "
                             "it needs integers, the same number of dims (at least 1), and "
                             "sizes no larger than the input's on the other dims")
        grid = [np.arange(m).reshape((1,) * i + (m,) + (1,) * (index.ndim - i - 1))
                for i, m in enumerate(index.shape)]
        grid[axis] = index
        return self[tuple(grid)]

    # --- more of torch's ops: each composed of the primitives above (getitem, where, ...) ------
    def _axis(self, dim, op):
        """One dim (negative counts from the end) -> the axis it names; 0-d or out of range raise."""
        dim = _int(dim, op, "dim")
        if self.ndim == 0:
            raise IndexError(f"{op}: input {self.shape} is 0-d, so it has no dim {dim}; "
                             "reshape(1) it first")
        if not -self.ndim <= dim < self.ndim:
            raise IndexError(f"{op}: dim {dim} is out of range for input {self.shape} with "
                             f"{self.ndim} dims; use a dim in {-self.ndim}..{self.ndim - 1}")
        return dim % self.ndim

    def _along(self, axis, index):
        """self[:, ..., index] with index on `axis`: one getitem record."""
        return self[(slice(None),) * axis + (index,)]

    @property
    def mT(self):
        """The last two axes swapped (each matrix of a batch transposed), as torch's x.mT."""
        if self.ndim < 2:
            raise ValueError(f"mT: input {self.shape} has {self.ndim} dims; mT needs a matrix or "
                             "a batch of them (2 dims or more); for a vector use x.reshape(1, -1)")
        return self._swap(-2, -1)

    def expand_as(self, other):
        """expand(other.shape): broadcast to the shape of another tensor, as torch."""
        return self.expand(*np.shape(getattr(other, "data", other)))

    def where(self, condition, other):
        """self where condition is True, else other: x.where(c, y) is tg.where(c, x, y), as torch.
        condition gets no gradient; self and other do, where they are picked."""
        cond = np.array(getattr(condition, "data", condition), dtype=bool)   # a copy: it is saved
        a, b = _promoted("where", type(self), self, other)
        return self._apply("where", type(self)(cond), a, b)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm over dim (all values for None), as torch.norm: p=2 or 'fro' sqrt(sum x**2),
        1 sum |x|, inf max |x|, -inf min |x|, 0 the count of nonzeros, else (sum |x|**p)**(1/p).

        The gradient is 0 where the norm is 0, as torch (not sqrt's 0 * inf = nan): the zeros
        are swapped for ones by a where before the root, and back after it."""
        if self.dtype.kind != "f" and dtype is None:
            raise TypeError(f"norm: input {self.dtype} {self.shape}: a norm needs floats (as "
                            "torch); cast first, e.g. x.double()")
        if isinstance(p, str) and p != "fro":
            raise ValueError(f"norm: p={p!r} for input {self.shape}; use a number, inf, -inf or "
                             "'fro' ('nuc' is not supported)")
        x = self if dtype is None else self._cast(as_dtype(dtype))
        axis, keepdim = reduce_args("norm", dim, keepdim)
        normalize_axis(axis, self.ndim, "norm")              # a dim out of range names norm
        p = 2.0 if p == "fro" else float(p)
        if p == np.inf:
            return x.abs().amax(axis, keepdim)
        if p == -np.inf:
            return x.abs().amin(axis, keepdim)
        if p == 0:
            return x.sign().abs().sum(axis, keepdim)          # a count, gradient 0
        if p == 1:
            return x.abs().sum(axis, keepdim)
        if p == 2:
            return _zero_at_zero(x.square().sum(axis, keepdim), lambda total: total.sqrt())
        powered = _zero_at_zero(x.abs(), lambda a: a ** p)
        return _zero_at_zero(powered.sum(axis, keepdim), lambda total: total ** (1 / p))

    def unbind(self, dim=0):
        """The slices along dim as a tuple (x.unbind(0) is tuple(x)); gradients add back into x."""
        axis = self._axis(dim, "unbind")
        return tuple(self._along(axis, i) for i in range(self.shape[axis]))

    def select(self, dim, index):
        """The slice at `index` along dim, that dim dropped: x.select(1, 2) is x[:, 2], as torch."""
        axis = self._axis(dim, "select")
        n, index = self.shape[axis], _int(index, "select", "index")
        if not -n <= index < n:
            raise IndexError(f"select: index {index} is out of range for dim {dim} (size {n}) of "
                             f"input {self.shape}; use an index in {-n}..{n - 1}")
        return self._along(axis, index)

    def narrow(self, dim, start, length):
        """`length` values from `start` along dim: x.narrow(0, 1, 2) is x[1:3], as torch."""
        axis = self._axis(dim, "narrow")
        n = self.shape[axis]
        start, length = _int(start, "narrow", "start"), _int(length, "narrow", "length")
        if not -n <= start <= n:
            raise IndexError(f"narrow: start {start} is out of range for dim {dim} (size {n}) of "
                             f"input {self.shape}; use a start in {-n}..{n}")
        start = start + n if start < 0 else start
        if length < 0 or start + length > n:
            raise ValueError(f"narrow: start {start} + length {length} does not fit dim {dim} "
                             f"(size {n}) of input {self.shape}; give 0 <= length <= {n - start}")
        return self._along(axis, slice(start, start + length))

    def index_select(self, dim, index):
        """The slices at the listed indices along dim, as torch.index_select (repeats allowed:
        their gradients add up). index: a 1-D (or 0-d) integer tensor or array."""
        index = np.array(getattr(index, "data", index))     # a copy: the record keeps it
        axis = self._axis(dim, "index_select")
        n = self.shape[axis]
        if index.ndim > 1 or index.dtype.kind not in "iu":
            raise ValueError(f"index_select: index {index.dtype} {index.shape} for input "
                             f"{self.shape}: it must be a 1-D integer tensor, e.g. tg.tensor([0, 2])")
        if index.size and (index.min() < 0 or index.max() >= n):
            raise IndexError(f"index_select: index {index.tolist()} is out of range for dim {dim} "
                             f"(size {n}) of input {self.shape}; use indices in 0..{n - 1}")
        return self._along(axis, index.reshape(-1))

    def roll(self, shifts, dims=None):
        """Shift values along dims, those past the end coming back at the start, as torch.roll;
        without dims the flattened tensor rolls. One getitem per dim, so the gradient rolls back."""
        if dims is None:
            shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
            if len(shifts) != 1:
                raise ValueError(f"roll: shifts {tuple(shifts)} without dims for input "
                                 f"{self.shape}; give one shift, or one dim per shift")
            return self.reshape(-1).roll(shifts[0], 0).reshape(*self.shape)
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims):
            raise ValueError(f"roll: {len(shifts)} shifts {shifts} and {len(dims)} dims {dims} "
                             f"for input {self.shape}; give one shift per dim")
        out = self
        for shift, dim in zip(shifts, dims):
            axis, shift = self._axis(dim, "roll"), _int(shift, "roll", "shift")
            n = self.shape[axis]
            if n:
                out = out._along(axis, (np.arange(n) - shift) % n)
        return out

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the (dim1, dim2) matrices, as a new last axis, as torch.diagonal;
        offset > 0 is above the main diagonal, < 0 below. A getitem with two index arrays."""
        if self.ndim < 2:
            raise ValueError(f"diagonal: input {self.shape} has {self.ndim} dims; it needs a "
                             "matrix or a batch of them (2 dims or more)")
        a1, a2 = self._axis(dim1, "diagonal"), self._axis(dim2, "diagonal")
        offset = _int(offset, "diagonal", "offset")
        if a1 == a2:
            raise ValueError(f"diagonal: dim1={dim1} and dim2={dim2} are the same axis of input "
                             f"{self.shape}; give two different dims")
        rest = [i for i in range(self.ndim) if i not in (a1, a2)]
        x = self if rest + [a1, a2] == list(range(self.ndim)) else self.permute(*rest, a1, a2)
        n1, n2 = self.shape[a1], self.shape[a2]
        length = max(min(n1 + min(offset, 0), n2 - max(offset, 0)), 0)
        rows, cols = np.arange(length) - min(offset, 0), np.arange(length) + max(offset, 0)
        return x[..., rows, cols]

    def trace(self):
        """The sum of the main diagonal of a 2-D tensor, as torch.trace."""
        if self.ndim != 2:
            raise ValueError(f"trace: input {self.shape} has {self.ndim} dims; trace is for a "
                             "matrix (2-D); for a batch use x.diagonal(0, -2, -1).sum(-1)")
        return self.diagonal().sum()

    def lerp(self, end, weight):
        """self + weight * (end - self): linear interpolation, weight a number or a tensor (all
        three broadcast and get gradients), as torch.lerp."""
        start, end = _promoted("lerp", type(self), self, end)
        return start + weight * (end - start)

    def outer(self, vec2):
        """The outer product of two 1-D tensors: out[i, j] = self[i] * vec2[j], as torch.outer."""
        other = vec2 if isinstance(vec2, TorchMethods) else type(self)(vec2)
        if self.ndim != 1 or other.ndim != 1:
            raise ValueError(f"outer: {self.shape} and {other.shape}: both must be 1-D; "
                             "flatten them first, or use broadcasting a[:, None] * b")
        return self.reshape(-1, 1) * other.reshape(1, -1)

    def softplus(self, beta=1.0, threshold=20.0):
        """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as torch):
        exp only sees values up to the threshold, so nothing overflows."""
        x = self._floating()
        smooth = (x.clip(max=threshold / beta) * beta).exp().log1p() * (1 / beta)
        return self._apply("where", type(self)(x.data * beta > threshold), x, smooth)

    def remainder(self, other):
        """self % other: the sign of other, as Python's % and torch.remainder (-7 % 3 == 2)."""
        return self % other

    def fmod(self, other):
        """The remainder of a truncated division, the sign of self, as C's fmod and torch.fmod
        (fmod(-7, 3) == -1, while -7 % 3 == 2). Exact: s * (s*a % t*b) with constant signs s, t,
        so the gradients are torch's: 1 for a, -trunc(a / b) for b."""
        a, b = _promoted("fmod", type(self), self, other)
        s = np.where(np.signbit(a.data), -1, 1).astype(a.dtype)
        t = np.where(np.signbit(b.data), -1, 1).astype(b.dtype)
        return ((a * s) % (b * t)) * s

    def true_divide(self, other):
        """self / other, always a float division, as torch.true_divide."""
        return self / other

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """Sum over dim with NaNs counted as 0 (they get no gradient), as torch.nansum."""
        x = self if dtype is None else self._cast(as_dtype(dtype))
        if x.dtype.kind == "f":
            x = x.masked_fill(np.isnan(x.data), 0)
        return x.sum(dim=dim, keepdim=keepdim)

    def logical_not(self):
        """True where x is 0 (or False): a bool constant, as torch.logical_not."""
        return type(self)(np.logical_not(self.data))

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """Indices that sort along dim (int64, no gradient), as torch.argsort. Always a stable
        sort (ties keep their order, what torch's stable=True gives); NaN sorts as the largest."""
        if self.ndim == 0:                  # a 0-d tensor sorts along dim 0 or -1, as torch
            return self.reshape(1).argsort(dim, descending).reshape(())
        axis = self._axis(dim, "argsort")
        if not descending:
            order = np.argsort(self.data, axis=axis, kind="stable")
        else:   # sort the flipped values and flip back: descending, ties still in their order
            flipped = np.argsort(np.flip(self.data, axis), axis=axis, kind="stable")
            order = self.shape[axis] - 1 - np.flip(flipped, axis)
        return type(self)(order.astype(np.int64))

    def sort(self, dim=-1, descending=False, *, stable=False):
        """(values, indices) sorted along dim, as torch.sort: the indices come from argsort (a
        constant), the values are a gather of x, so the gradient goes back to where each came from."""
        if self.ndim == 0:
            values, indices = self.reshape(1).sort(dim, descending)
            return SortResult(values.reshape(()), indices.reshape(()))
        indices = self.argsort(dim, descending, stable=stable)
        return SortResult(self.gather(dim, indices), indices)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (largest=False: smallest) along dim, as torch.topk;
        always in sorted order (which sorted=False allows too). The values are a gather of x."""
        if self.ndim == 0:
            values, indices = self.reshape(1).topk(k, dim, largest)
            return SortResult(values.reshape(()), indices.reshape(()))
        k, axis = _int(k, "topk", "k"), self._axis(dim, "topk")
        if not 0 <= k <= self.shape[axis]:
            raise ValueError(f"topk: k={k} is out of range for dim {dim} (size "
                             f"{self.shape[axis]}) of input {self.shape}; give 0 <= k <= "
                             f"{self.shape[axis]}")
        indices = self.argsort(dim, descending=largest)._along(axis, slice(0, k))
        return SortResult(self.gather(dim, indices), indices)

    # --- in place, as add_ and mul_: the same tensor changes (see update) ----------------------
    def relu_(self):
        """max(x, 0), in place."""
        return update(self, "relu_", lambda x: x.relu())

    def exp_(self):
        """e ** x, in place (an int tensor cannot hold the result, as in torch)."""
        return update(self, "exp_", lambda x: x.exp())

    def detach_(self):
        """Stop a leaf requiring grad, in place (as torch's x.detach_()); returns self.

        A tensor an op made refuses: records here hold their input tensors (torch's hold its
        grad_fn), so cutting it in place would also cut graphs already built through it."""
        if self.record is not None:
            raise RuntimeError(f"detach_: this tensor {self.shape} was made by {self.record.op}; "
                               "here a graph runs through its tensors, so detaching it in place "
                               "would cut graphs built from it already; write y = y.detach()")
        self._requires_grad = False
        return self


def _promoted(op, cls, *xs):
    """Tensors, arrays and numbers -> tensors of the one dtype result_type gives (as torch); a
    tensor that needs a gradient is converted by a recorded cast."""
    xs = [np.asarray(x) if isinstance(x, (list, tuple)) else x for x in xs]
    dtype = result_type(*xs, op=op)
    return [x._cast(dtype) if isinstance(x, TorchMethods) else cls(np.asarray(x, dtype=dtype))
            for x in xs]


def _zero_at_zero(x, f):
    """f(x), but 0 with gradient 0 where x is 0, as torch's norm: there a root, or a power
    below 1, would be inf or nan, so f sees 1 in those places and its result is replaced."""
    zero = x.data == 0
    return f(x.masked_fill(zero, 1)).masked_fill(zero, 0)


def _pad_width(pad_width, shape):
    """np.pad's pad_width forms (int, pair, pair per axis) -> ((before, after), ...) per axis."""
    arr = np.asarray(pad_width)
    try:
        if arr.dtype.kind not in "iu":
            raise ValueError
        arr = np.broadcast_to(arr, (len(shape), 2))
    except ValueError:
        raise ValueError(f"pad: pad_width={pad_width!r} for input {shape} must be ints: an int, "
                         f"a (before, after) pair or one pair per axis ({len(shape)} here), e.g. "
                         "pad_width=1 or ((0, 0), (1, 2))") from None
    return tuple((int(a), int(b)) for a, b in arr)


def _comparable(x):
    """True for what == and != compare elementwise: tensors, arrays, numbers and lists."""
    return isinstance(x, (TorchMethods, np.ndarray, np.generic, bool, int, float, list, tuple))


def _array(x):
    """The array behind a tensor, or x itself (numbers stay weak in NumPy's comparisons)."""
    return x.data if isinstance(x, TorchMethods) else x
