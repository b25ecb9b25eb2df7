"""Parameter-free layers: activations, Flatten, Unflatten, Dropout, Dropout2d and
CosineSimilarity, so Sequential can hold them.

Constructor arguments match torch.nn (inplace= is accepted; the result is always a new tensor).
"""
from .. import functional as F
from .module import Module


class ReLU(Module):
    """out = max(x, 0)."""

    def __init__(self, inplace=False):
        self.inplace = inplace

    def forward(self, x):
        return x.relu()


class Sigmoid(Module):
    """out = 1 / (1 + exp(-x))."""

    def forward(self, x):
        return x.sigmoid()


class Tanh(Module):
    """out = tanh(x)."""

    def forward(self, x):
        return x.tanh()


class LeakyReLU(Module):
    """F.leaky_relu: x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope=0.01, inplace=False):
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """F.elu: x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha=1.0, inplace=False):
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Hardtanh(Module):
    """F.hardtanh: x clamped into [min_val, max_val]."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val={min_val} > max_val={max_val}; swap them")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Hardtanh):
    """F.relu6: min(max(x, 0), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)


class Softplus(Module):
    """F.softplus: log(1 + exp(beta x)) / beta, x itself above threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """F.silu: x * sigmoid(x)."""

    def __init__(self, inplace=False):
        self.inplace = inplace

    def forward(self, x):
        return F.silu(x)


class GELU(Module):
    """F.gelu: x * Phi(x), exact ('none') or the tanh approximation."""

    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class LogSigmoid(Module):
    """F.logsigmoid: log(sigmoid(x)) without overflow."""

    def forward(self, x):
        return F.logsigmoid(x)


class Hardsigmoid(Module):
    """F.hardsigmoid: relu6(x + 3) / 6."""

    def __init__(self, inplace=False):
        self.inplace = inplace

    def forward(self, x):
        return F.hardsigmoid(x)


class Hardswish(Module):
    """F.hardswish: x * relu6(x + 3) / 6."""

    def __init__(self, inplace=False):
        self.inplace = inplace

    def forward(self, x):
        return F.hardswish(x)


class Mish(Module):
    """F.mish: x * tanh(softplus(x))."""

    def __init__(self, inplace=False):
        self.inplace = inplace

    def forward(self, x):
        return F.mish(x)


class _SoftmaxFamily(Module):
    """Shared by Softmax, LogSoftmax, Softmin: one function along dim (torch's dim=None is
    deprecated and picks a dim from the rank; here it means the last dim)."""

    fn = None

    def __init__(self, dim=None):
        self.dim = dim

    def forward(self, x):
        return self.fn(x, -1 if self.dim is None else self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxFamily):
    """F.softmax along dim: probabilities that sum to 1."""
    fn = staticmethod(F.softmax)


class LogSoftmax(_SoftmaxFamily):
    """F.log_softmax along dim: log-probabilities."""
    fn = staticmethod(F.log_softmax)


class Softmin(_SoftmaxFamily):
    """F.softmin along dim: softmax(-x)."""
    fn = staticmethod(F.softmin)


class Flatten(Module):
    """Merge axes start_dim..end_dim into one, e.g. (N, C, H, W) -> (N, C*H*W) before a Linear."""

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout in training (zero with probability p, scale by 1/(1-p)); identity in eval.

    Masks come from `generator`, or from the package's one that tg.manual_seed seeds.
    """

    def __init__(self, p=0.5, inplace=False, generator=None):
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: p={p} is a probability; use 0 <= p <= 1")
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, x):
        return F.dropout(x, self.p, self.training, generator=self.generator)

    def extra_repr(self):
        return f"p={self.p}"


class Dropout2d(Dropout):
    """F.dropout2d: drop whole channels of (N, C, H, W) with probability p, scale the rest by
    1/(1-p); identity in eval. Masks come from the same generator as Dropout's."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training, generator=self.generator)


class Unflatten(Module):
    """Split axis dim into unflattened_size, e.g. (N, 784) -> (N, 1, 28, 28): Flatten's inverse."""

    def __init__(self, dim, unflattened_size):
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        return x.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class CosineSimilarity(Module):
    """F.cosine_similarity along dim: the cosine of the angle between x1 and x2."""

    def __init__(self, dim=1, eps=1e-8):
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self):
        return f"dim={self.dim}, eps={self.eps}"

