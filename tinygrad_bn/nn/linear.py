"""Linear: the fully connected layer, with PyTorch's parameter shapes, order and default init."""
import numpy as np

from .. import functional as F
from . import init
from .module import Module, Parameter, new_array


class Linear(Module):
    """out = x @ weight.T + bias; weight (out_features, in_features), as torch, so weights copy.

    in_features=0 is allowed, as in torch: the output is the bias (0 at init).
    """

    def __init__(self, in_features, out_features, bias=True, generator=None, device=None,
                 dtype=None):
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                raise ValueError(f"Linear({in_features!r}, {out_features!r}): {name}={n!r} must "
                                 "be a whole number >= 0, e.g. Linear(x.shape[-1], 10)")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(new_array((out_features, in_features)))
        self.bias = Parameter(new_array(out_features)) if bias else None
        self.reset_parameters(generator)
        self.to(device=device, dtype=dtype)     # torch's factory keywords: cast once built

    def reset_parameters(self, generator=None):
        """Redraw weight and bias with torch's default init (see nn.init), into fresh arrays so
        a graph still alive keeps the values it used."""
        self.weight.data = self.weight.data.copy()
        if self.bias is not None:
            self.bias.data = self.bias.data.copy()
        init.default_(self.weight, self.bias, generator)

    def forward(self, x):
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}): input {x.shape} "
                             f"has {x.shape[-1] if x.ndim else 0} features on its last axis, "
                             f"expected {self.in_features}; flatten images first (nn.Flatten())")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """out = x: a placeholder layer (e.g. to remove a layer from a model), as torch.nn.Identity.

    Any constructor arguments are accepted and ignored, as in torch.
    """

    def __init__(self, *args, **kwargs):
        pass

    def forward(self, x):
        return x
