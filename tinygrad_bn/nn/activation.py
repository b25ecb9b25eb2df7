"""Parameter-free layers: activations, Flatten and Dropout, so Sequential can hold them."""
from .. import functional as F
from . import init
from .module import Module


class ReLU(Module):
    """out = max(x, 0)."""

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


class Flatten(Module):
    """Merge axes start_dim..end_dim into one, e.g. (N, C, H, W) -> (N, C*H*W) before a Linear."""

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        return x.reshape(*x.shape[:start], -1, *x.shape[end + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout in training (zero with probability p, scale by 1/(1-p)); identity in eval.

    Masks come from `generator`, or from the shared one nn.init.manual_seed controls.
    """

    def __init__(self, p=0.5, generator=None):
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p={p} is a probability; use 0 <= p <= 1")
        self.p, self.generator = p, generator

    def forward(self, x):
        return F.dropout(x, self.p, self.training, init.get_generator(self.generator))

    def extra_repr(self):
        return f"p={self.p}"
