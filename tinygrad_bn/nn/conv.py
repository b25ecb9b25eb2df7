"""Conv2d: 2-D convolution with PyTorch's parameter shapes, order and default init."""

from .. import functional as F
from ..engine.ops.conv import pair
from . import init
from .module import Module, Parameter, new_array


class Conv2d(Module):
    """out = conv2d(x, weight) + bias; weight (out_channels, in_channels, kh, kw), as torch."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 generator=None):
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride, self.padding = stride, padding
        self.weight = Parameter(new_array((out_channels, in_channels, *self.kernel_size)))
        self.bias = Parameter(new_array(out_channels)) if bias else None
        init.default_(self.weight, self.bias, generator)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}")
