"""The dtype rules, in one place: which dtype a new tensor gets and which dtype an op computes in.

They follow PyTorch: Python numbers are weak (NEP 50), so `x32 * 0.5` stays float32 while an int
or bool tensor meeting a float number, a true division or a float power gives the default float
dtype. Lists keep their kind: `[0, 2]` is int64, `[True]` bool, floats the default float dtype.
"""
import numpy as np

_default_dtype = np.dtype(np.float64)
_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}        # bool < integer < float
_INT = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)


def set_default_dtype(dtype):
    """Set the float dtype given to float lists and numbers, new parameters and buffers.

    Process-wide (every thread), as torch.set_default_dtype; grad mode and tapes are per thread.
    """
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: {dtype} is not a float dtype; use np.float32 or np.float64")
    _default_dtype = dtype


def get_default_dtype():
    """The float dtype of tensors made from float lists and numbers, and of new parameters."""
    return _default_dtype


def _kind_error(op, what, dtype):
    """The one message for values a tensor cannot hold (complex, strings, objects)."""
    return TypeError(f"{op}: {what} has dtype {dtype}; tensors hold real numbers (float, int or "
                     "bool): pass e.g. np.asarray(data, dtype=np.float64)"
                     + (", or the real part z.real" if np.dtype(dtype).kind == "c" else ""))


def as_array(data, dtype=None):
    """Data for a new tensor -> ndarray. Arrays keep their dtype (shared, not copied); Python lists
    and numbers keep their kind: bool stays bool, int becomes int64, float the default float.
    An ndarray subclass (np.matrix) becomes a plain array, so `*` stays elementwise; a masked
    array is refused, since its mask would be silently dropped."""
    if not isinstance(data, np.ndarray) and hasattr(data, "record"):   # a Tensor: share its array
        data = data.data
    if isinstance(data, np.ma.MaskedArray):
        raise TypeError(f"Tensor: a masked array {data.shape} would lose its mask; pass "
                        "data.filled(value) (masked entries set to value) or data.compressed()")
    if isinstance(data, np.ndarray):         # np.asarray: np.matrix becomes a plain 2-D array
        arr = np.asarray(data) if dtype is None else np.asarray(data).astype(dtype, copy=False)
    else:
        arr = np.asarray(data, dtype=dtype)
        if dtype is None and arr.dtype.kind == "f" and not isinstance(data, np.generic):
            arr = arr.astype(_default_dtype, copy=False)
    if arr.dtype.kind not in _RANK:
        raise _kind_error("Tensor", f"the data {arr.shape}", arr.dtype)
    return arr


def _weak_dtype(x, op):
    """The dtype a Python or NumPy scalar stands for: bool, int64 or the default float."""
    kind = np.asarray(x).dtype.kind if isinstance(x, np.generic) else (
        "b" if isinstance(x, bool) else "i" if isinstance(x, int) else
        "f" if isinstance(x, float) else None)
    if kind in ("u", "i"):
        return _INT
    if kind == "b":
        return _BOOL
    if kind == "f":
        return _default_dtype
    raise _kind_error(op, f"the number {x!r}", np.asarray(x).dtype)


def _promote(a, b):
    """Two dtypes of one tier, as torch.promote_types: the higher kind wins, else the wider."""
    if a is None:
        return b
    ra, rb = _RANK[a.kind], _RANK[b.kind]
    if ra != rb:
        return a if ra > rb else b
    return a if a == b else np.promote_types(a, b)


def _combine(higher, lower):
    """A lower tier changes the dtype only when its kind is higher (torch's combine_categories)."""
    if higher is None:
        return lower
    return lower if lower is not None and _RANK[lower.kind] > _RANK[higher.kind] else higher


def result_type(*operands, floating=False, op="Tensor"):
    """The dtype an op on `operands` (tensors, arrays, numbers) computes in, as PyTorch.

    Three tiers, strongest first: tensors with dims, 0-d tensors, Python numbers. Within a tier
    the higher kind (bool < int < float) or the wider type wins; a weaker tier only lifts the
    kind (int tensor * 0.5 -> float), never the width (x32 * 0.5 and x32 * Tensor(2.0) stay float32).
    floating=True (true division, sqrt, ...) turns an int or bool result into the default float.
    op names the operation in errors.
    """
    tiers = [None, None, None]
    for x in operands:
        if x is None:
            continue
        if isinstance(x, (bool, int, float, complex, np.generic)):
            tiers[2] = _promote(tiers[2], _weak_dtype(x, op))
        else:
            if x.dtype.kind not in _RANK:
                raise _kind_error(op, f"an operand {x.shape}", x.dtype)
            tier = 0 if x.ndim else 1
            tiers[tier] = _promote(tiers[tier], x.dtype)
    dtype = _combine(tiers[0], _combine(tiers[1], tiers[2]))
    return _default_dtype if floating and dtype.kind != "f" else dtype
