"""Pooling layers over (N, C, H, W): max and average over kernel_size windows, as torch."""
from .. import functional as F
from .module import Module


class _Pool2d(Module):
    """Shared by the pools: kernel_size, stride (default kernel_size: windows do not overlap)."""
    pool = None

    def __init__(self, kernel_size, stride=None):
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x):
        return type(self).pool(x, self.kernel_size, self.stride)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}"


class MaxPool2d(_Pool2d):
    """Max over each window; the gradient goes to the window's first maximum, as torch."""
    pool = staticmethod(F.max_pool2d)


class AvgPool2d(_Pool2d):
    """Mean over each window."""
    pool = staticmethod(F.avg_pool2d)
