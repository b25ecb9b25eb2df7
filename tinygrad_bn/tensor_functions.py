"""The functions torch has beside its Tensor methods: tg.exp(x), tg.sum(x, dim), tg.einsum(...).

Each one calls the method (or primitive) of the same name, so there is one definition per op.
"""
import functools

from .engine import OPS, Tensor, apply, concatenate
from .engine.mode import _Switch, state


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(input):
    """e ** x."""
    return _t(input).exp()


def log(input):
    """Natural logarithm."""
    return _t(input).log()


def log2(input):
    """Base-2 logarithm."""
    return _t(input).log2()


def exp2(input):
    """2 ** x."""
    return _t(input).exp2()


def expm1(input):
    """exp(x) - 1, exact for tiny x."""
    return _t(input).expm1()


def log1p(input):
    """log(1 + x), exact for tiny x."""
    return _t(input).log1p()


def sqrt(input):
    """Square root."""
    return _t(input).sqrt()


def rsqrt(input):
    """1 / sqrt(x)."""
    return _t(input).rsqrt()


def square(input):
    """x ** 2."""
    return _t(input).square()


def reciprocal(input):
    """1 / x."""
    return _t(input).reciprocal()


def abs(input):
    """|x|; gradient 0 at 0."""
    return _t(input).abs()


def sign(input):
    """-1, 0 or 1; gradient 0."""
    return _t(input).sign()


def floor(input):
    """Round down; gradient 0."""
    return _t(input).floor()


def ceil(input):
    """Round up; gradient 0."""
    return _t(input).ceil()


def round(input):
    """Round to nearest, halves to even; gradient 0."""
    return _t(input).round()


def trunc(input):
    """Round toward zero; gradient 0."""
    return _t(input).trunc()


def sin(input):
    """Sine."""
    return _t(input).sin()


def cos(input):
    """Cosine."""
    return _t(input).cos()


def tanh(input):
    """Hyperbolic tangent."""
    return _t(input).tanh()


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return _t(input).sigmoid()


def relu(input):
    """max(x, 0)."""
    return _t(input).relu()


def erf(input):
    """The error function."""
    return _t(input).erf()


def clamp(input, min=None, max=None):
    """Clamp into [min, max] (also tg.clip)."""
    return _t(input).clip(min, max)


clip = clamp


def add(input, other, *, alpha=1):
    """input + alpha * other."""
    return _t(input).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    """input - alpha * other."""
    return _t(input).sub(other, alpha=alpha)


def mul(input, other):
    """input * other."""
    return _t(input) * other


def div(input, other, *, rounding_mode=None):
    """input / other; rounding_mode 'floor' or 'trunc' as torch.div."""
    return _t(input).div(other, rounding_mode=rounding_mode)


def floor_divide(input, other):
    """input // other (floor); gradient 0."""
    return _t(input) // other


def pow(input, exponent):
    """input ** exponent."""
    return _t(input) ** exponent


def matmul(input, other):
    """input @ other."""
    return _t(input) @ other


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over dim (int, tuple/list or None)."""
    return _t(input).sum(dim=dim, keepdim=keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over dim (int, tuple/list or None)."""
    return _t(input).mean(dim=dim, keepdim=keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over dim."""
    return _t(input).prod(dim, keepdim, dtype=dtype)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation, unbiased by default."""
    return _t(input).std(dim, unbiased, keepdim, correction=correction)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance, unbiased by default."""
    return _t(input).var(dim, unbiased, keepdim, correction=correction)


def max(input, dim=None, keepdim=False):
    """torch.max: of all values; (values, indices) along an int dim; tg.maximum for a tensor."""
    input = _t(input)
    if dim is None or isinstance(dim, Tensor):
        return input.max(dim)
    return input.max(dim=dim, keepdim=keepdim)


def min(input, dim=None, keepdim=False):
    """torch.min: of all values; (values, indices) along an int dim; tg.minimum for a tensor."""
    input = _t(input)
    if dim is None or isinstance(dim, Tensor):
        return input.min(dim)
    return input.min(dim=dim, keepdim=keepdim)


def amax(input, dim=None, keepdim=False):
    """Max over dim; ties share the gradient."""
    return _t(input).amax(dim=dim, keepdim=keepdim)


def amin(input, dim=None, keepdim=False):
    """Min over dim; ties share the gradient."""
    return _t(input).amin(dim=dim, keepdim=keepdim)


def argmax(input, dim=None, keepdim=False):
    """Index of the max (first at ties); int64."""
    return _t(input).argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index of the min (first at ties); int64."""
    return _t(input).argmin(dim, keepdim)


def logsumexp(input, dim=None, keepdim=False):
    """log(sum(exp(x))) over dim, without overflow."""
    return _t(input).logsumexp(dim, keepdim)


def cumsum(input, dim=None, *, dtype=None):
    """Running sum along dim."""
    return _t(input).cumsum(dim, dtype=dtype)


def any(input, dim=None, keepdim=False):
    """True where any value is nonzero; bool."""
    return _t(input).any(dim, keepdim)


def all(input, dim=None, keepdim=False):
    """True where every value is nonzero; bool."""
    return _t(input).all(dim, keepdim)


def flip(input, dims):
    """Reverse the order along dims."""
    return _t(input).flip(dims)


def reshape(input, shape):
    """The same values in a new shape."""
    return _t(input).reshape(shape)


def permute(input, dims):
    """Reorder all axes."""
    return _t(input).permute(dims)


def transpose(input, dim0, dim1):
    """Swap two axes."""
    return _t(input).transpose(dim0, dim1)


def squeeze(input, dim=None):
    """Drop axes of size 1."""
    return _t(input).squeeze(dim)


def unsqueeze(input, dim):
    """Insert an axis of size 1."""
    return _t(input).unsqueeze(dim)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim."""
    return _t(input).flatten(start_dim, end_dim)


def unflatten(input, dim, sizes):
    """Split one axis into sizes."""
    return _t(input).unflatten(dim, sizes)


def gather(input, dim, index):
    """out[i][j] = input[index[i][j]][j] for dim 0, and so on."""
    return _t(input).gather(dim, index)


def repeat_interleave(input, repeats, dim=None):
    """Repeat each element along dim."""
    return _t(input).repeat_interleave(repeats, dim)


def cat(tensors, dim=0):
    """Join along an existing dim (torch.cat; tg.concatenate is NumPy's name)."""
    return concatenate(tensors, dim)


def softmax(input, dim=-1, dtype=None):
    """Probabilities along dim (torch.softmax; F.softmax is the same)."""
    return _t(input).softmax(dim, dtype)


def log_softmax(input, dim=-1, dtype=None):
    """Log-probabilities along dim (torch.log_softmax)."""
    return _t(input).log_softmax(dim, dtype)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces along dim (torch.split)."""
    return _t(tensor).split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """About equal pieces along dim (torch.chunk)."""
    return _t(input).chunk(chunks, dim)


def tril(input, diagonal=0):
    """Lower triangle of the last two axes."""
    return _t(input).tril(diagonal)


def triu(input, diagonal=0):
    """Upper triangle of the last two axes."""
    return _t(input).triu(diagonal)


def dot(input, other):
    """Inner product of 1-D tensors."""
    return _t(input).dot(other)


def mm(input, other):
    """Product of 2-D tensors."""
    return _t(input).mm(other)


def masked_fill(input, mask, value):
    """value where mask, else input."""
    return _t(input).masked_fill(mask, value)


def from_numpy(ndarray):
    """A tensor sharing ndarray's memory and dtype (torch.from_numpy)."""
    return Tensor(ndarray)


def numel(input):
    """Number of elements."""
    return _t(input).numel()


def einsum(equation, *operands):
    """Sums of products by subscripts, as torch.einsum / np.einsum: einsum('ij,jk->ik', a, b).

    Operands may also come as one list. One primitive; its gradient is an einsum per operand.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    tensors = [_t(x) for x in operands]
    return apply(OPS["einsum"], *tensors, equation=equation)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The p-norm over dim (2/'fro', 1, inf, -inf, 0 or any p); gradient 0 where it is 0."""
    return _t(input).norm(p, dim, keepdim, dtype)


def unbind(input, dim=0):
    """The slices along dim, as a tuple."""
    return _t(input).unbind(dim)


def sort(input, dim=-1, descending=False, *, stable=False):
    """(values, indices) sorted along dim; ties keep their order."""
    return _t(input).sort(dim, descending, stable=stable)


def argsort(input, dim=-1, descending=False, *, stable=False):
    """Indices that sort along dim; int64."""
    return _t(input).argsort(dim, descending, stable=stable)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (or smallest) along dim."""
    return _t(input).topk(k, dim, largest, sorted)


def roll(input, shifts, dims=None):
    """Shift values along dims, wrapping around (the flattened input without dims)."""
    return _t(input).roll(shifts, dims)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of the (dim1, dim2) matrices, as a new last axis."""
    return _t(input).diagonal(offset, dim1, dim2)


def trace(input):
    """The sum of the main diagonal of a matrix."""
    return _t(input).trace()


def narrow(input, dim, start, length):
    """`length` values from `start` along dim."""
    return _t(input).narrow(dim, start, length)


def select(input, dim, index):
    """The slice at index along dim, that dim dropped."""
    return _t(input).select(dim, index)


def index_select(input, dim, index):
    """The slices at the indices of a 1-D integer tensor along dim."""
    return _t(input).index_select(dim, index)


def lerp(input, end, weight):
    """input + weight * (end - input); weight a number or a tensor."""
    return _t(input).lerp(end, weight)


def outer(input, vec2):
    """The outer product of two 1-D tensors."""
    return _t(input).outer(vec2)


def remainder(input, other):
    """input % other, the sign of other (Python's %)."""
    return _t(input).remainder(other)


def fmod(input, other):
    """The remainder of a truncated division, the sign of input (C's fmod)."""
    return _t(input).fmod(other)


def true_divide(input, other):
    """input / other, a float division."""
    return _t(input).true_divide(other)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over dim with NaNs counted as 0."""
    return _t(input).nansum(dim, keepdim, dtype=dtype)


def logical_not(input):
    """True where input is 0 or False; bool."""
    return _t(input).logical_not()


# --- grad mode as torch spells it: these switch the engine's per-thread grad mode --------------
class set_grad_enabled:
    """Turn recording on (True) or off (False), as torch.set_grad_enabled: called alone it
    switches at once; `with tg.set_grad_enabled(mode):` and `@tg.set_grad_enabled(mode)` switch
    back to what it was on exit."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode={mode!r} ({type(mode).__name__}); pass "
                            "True or False")
        self.mode, self.prev = mode, state.modes.grad_enabled
        state.modes.grad_enabled = mode

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        state.modes.grad_enabled = self.prev

    def __call__(self, func):
        """As a decorator: nothing switches now; each call of func runs in the mode."""
        state.modes.grad_enabled = self.prev

        @functools.wraps(func)
        def in_mode(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)
        return in_mode


class inference_mode(_Switch):
    """Run without recording, as no_grad (torch.inference_mode): `with tg.inference_mode():`,
    `@tg.inference_mode()` and the bare `@tg.inference_mode`; inference_mode(False) changes
    nothing. The tensors made inside are ordinary tensors (torch's refuse autograd later)."""

    mode = "grad_enabled"

    def __new__(cls, mode=True):
        return cls()(mode) if callable(mode) else object.__new__(cls)   # bare @inference_mode

    def __init__(self, mode=True):
        self.enabled = bool(mode)

    def __enter__(self):
        self._prev = state.modes.grad_enabled
        if self.enabled:
            state.modes.grad_enabled = False


__all__ = ["abs", "add", "all", "amax", "amin", "any", "argmax", "argmin", "argsort",
           "cat", "ceil", "chunk", "clamp", "clip", "cos", "cumsum", "diagonal", "div",
           "dot", "einsum", "erf", "exp", "exp2", "expm1", "flatten", "flip", "floor",
           "floor_divide", "fmod", "from_numpy", "gather", "index_select",
           "inference_mode", "lerp", "log", "log1p", "log2", "log_softmax",
           "logical_not", "logsumexp", "masked_fill", "matmul", "max", "mean", "min",
           "mm", "mul", "nansum", "narrow", "norm", "numel", "outer", "permute", "pow",
           "prod", "reciprocal", "relu", "remainder", "repeat_interleave", "reshape",
           "roll", "round", "rsqrt", "select", "set_grad_enabled", "sigmoid", "sign",
           "sin", "softmax", "sort", "split", "sqrt", "square", "squeeze", "std", "sub",
           "sum", "tanh", "topk", "trace", "transpose", "tril", "triu", "true_divide",
           "trunc", "unbind", "unflatten", "unsqueeze", "var"]
