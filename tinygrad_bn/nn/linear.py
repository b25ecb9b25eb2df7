"""Linear: the fully connected layer, with PyTorch's parameter shapes, order and default init."""
from . import init
from .module import Module, Parameter, new_array


class Linear(Module):
    """out = x @ weight.T + bias; weight (out_features, in_features), as torch, so weights copy."""

    def __init__(self, in_features, out_features, bias=True, generator=None):
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(new_array((out_features, in_features)))
        self.bias = Parameter(new_array(out_features)) if bias else None
        init.default_(self.weight, self.bias, generator)

    def forward(self, x):
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}): input {x.shape} "
                             f"has {x.shape[-1] if x.ndim else 0} features on its last axis, "
                             f"expected {self.in_features}; flatten images first (nn.Flatten())")
        out = x @ self.weight.T
        return out if self.bias is None else out + self.bias

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
