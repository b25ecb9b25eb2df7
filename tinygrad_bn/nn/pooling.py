"""Pooling layers with torch's arguments and attribute names: max and average over windows of
(N, C, L) or (N, C, H, W), and adaptive average pooling to a fixed output size."""
from .. import functional as F
from .module import Module


class _Pool(Module):
    """Shared by the pools: keeps the arguments as given (stride defaults to kernel_size, as torch)."""
    pool, shown = None, ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0, **options):
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        for name, value in options.items():
            setattr(self, name, value)
        self._options = tuple(options)

    def forward(self, x):
        options = {name: getattr(self, name) for name in self._options}
        return type(self).pool(x, self.kernel_size, self.stride, self.padding, **options)

    def extra_repr(self):
        return ", ".join(f"{name}={getattr(self, name)}" for name in type(self).shown)


class MaxPool1d(_Pool):
    """Max over each window of x (N, C, L); the gradient goes to the first maximum, as torch."""
    pool, shown = staticmethod(F.max_pool1d), _Pool.shown + ("dilation", "ceil_mode")

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation=dilation, ceil_mode=ceil_mode,
                         return_indices=return_indices)


class MaxPool2d(MaxPool1d):
    """Max over each window of x (N, C, H, W); the gradient goes to the first maximum, as torch."""
    pool = staticmethod(F.max_pool2d)


class AvgPool1d(_Pool):
    """Mean over each window of x (N, C, L), as torch.nn.AvgPool1d."""
    pool = staticmethod(F.avg_pool1d)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        single = lambda v: v if isinstance(v, tuple) else (v,)   # noqa: E731  (torch's _single)
        super().__init__(single(kernel_size), single(kernel_size if stride is None else stride),
                         single(padding), ceil_mode=ceil_mode, count_include_pad=count_include_pad)


class AvgPool2d(_Pool):
    """Mean over each window of x (N, C, H, W), as torch.nn.AvgPool2d."""
    pool = staticmethod(F.avg_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad, divisor_override=divisor_override)


class AdaptiveAvgPool2d(Module):
    """Mean over torch's adaptive windows down to output_size; output_size=1 is global pooling."""

    def __init__(self, output_size):
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
