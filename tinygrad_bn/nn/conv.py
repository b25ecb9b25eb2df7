"""Convolution layers with PyTorch's constructor arguments, attribute names, weight shapes and init.

Conv1d/Conv2d: weight (out_channels, in_channels/groups, *kernel_size); ConvTranspose1d/2d:
weight (in_channels, out_channels/groups, *kernel_size); then bias (out_channels,), as torch.
"""
from .. import functional as F
from ..engine.ops.windows import padding_pairs
from . import init
from .module import Module, Parameter, new_array

PADDING_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
                 "circular": "circular"}


def _tuple(value, dims):
    """An int -> a tuple of `dims` copies; a sequence -> a tuple (torch's _pair/_single)."""
    return (value,) * dims if isinstance(value, int) else tuple(value)


class _ConvNd(Module):
    """Shared by the conv layers: checks and keeps torch's arguments under torch's names."""
    dims, transposed = 2, False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, padding_mode, output_padding, generator):
        name = type(self).__name__
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels={in_channels} and out_channels={out_channels} "
                             f"must both be divisible by groups={groups}")
        if padding_mode not in PADDING_MODES or (self.transposed and padding_mode != "zeros"):
            modes = "'zeros'" if self.transposed else "'zeros', 'reflect', 'replicate', 'circular'"
            raise ValueError(f"{name}: padding_mode={padding_mode!r}; use {modes}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = _tuple(kernel_size, self.dims), _tuple(stride, self.dims)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, self.dims)
        self.dilation = _tuple(dilation, self.dims)
        self.output_padding = _tuple(output_padding, self.dims)
        self.padding_mode = padding_mode
        channels = ((in_channels, out_channels // groups) if self.transposed
                    else (out_channels, in_channels // groups))
        self.weight = Parameter(new_array(channels + self.kernel_size))
        self.bias = Parameter(new_array(out_channels)) if bias else None
        init.default_(self.weight, self.bias, generator)

    def extra_repr(self):
        """torch's layout: the channels and kernel, then every argument that is not its default."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in (("padding", (0,) * self.dims), ("dilation", (1,) * self.dims),
                              ("output_padding", (0,) * self.dims), ("groups", 1)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        text += ", bias=False" if self.bias is None else ""
        return text + (f", padding_mode={self.padding_mode}" if self.padding_mode != "zeros" else "")


class _Conv(_ConvNd):
    """Conv1d/Conv2d forward: padding_mode other than 'zeros' pads with F.pad, then convolves."""
    conv = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", generator=None, device=None,
                 dtype=None):
        F.check_padding_string(type(self).__name__, padding, stride)   # at construction, as torch
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, 0, generator)
        self.to(device=device, dtype=dtype)     # torch's factory keywords: cast once built

    def forward(self, x):
        padding = self.padding
        if self.padding_mode != "zeros":
            kernel = (1,) * (2 - self.dims) + self.kernel_size
            dilation = (1,) * (2 - self.dims) + self.dilation
            stride = (1,) * (2 - self.dims) + self.stride
            (top, bottom), (left, right) = padding_pairs(
                padding if isinstance(padding, str) else (0,) * (2 - self.dims) + padding,
                type(self).__name__, kernel, dilation, stride)
            x = F.pad(x, (left, right, top, bottom)[:2 * self.dims], PADDING_MODES[self.padding_mode])
            padding = 0
        return type(self).conv(x, self.weight, self.bias, self.stride, padding, self.dilation,
                               self.groups)


class Conv1d(_Conv):
    """out = conv1d(x, weight) + bias on x (N, in_channels, L), as torch.nn.Conv1d."""
    dims, conv = 1, staticmethod(F.conv1d)


class Conv2d(_Conv):
    """out = conv2d(x, weight) + bias on x (N, in_channels, H, W), as torch.nn.Conv2d."""
    dims, conv = 2, staticmethod(F.conv2d)


class _ConvTranspose(_ConvNd):
    """ConvTranspose1d/2d forward: the transposed conv with torch's argument order."""
    transposed, conv = True, None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 generator=None, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, output_padding, generator)
        self.to(device=device, dtype=dtype)     # torch's factory keywords: cast once built

    def forward(self, x):
        return type(self).conv(x, self.weight, self.bias, self.stride, self.padding,
                               self.output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """out = conv_transpose1d(x, weight) + bias on x (N, in_channels, L), as torch."""
    dims, conv = 1, staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """out = conv_transpose2d(x, weight) + bias on x (N, in_channels, H, W), as torch."""
    dims, conv = 2, staticmethod(F.conv_transpose2d)
