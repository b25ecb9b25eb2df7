"""LayerNorm, GroupNorm and InstanceNorm1d/2d: BN's family as Modules, with torch's parameter
names and shapes (weight, bias; InstanceNorm's optional running buffers), so weights copy across.

Each forward is the batch-norm chain over other axes (see tinygrad_bn.normalization).
"""
import numpy as np

from .. import functional as F
from .module import Module, Parameter, new_array


class LayerNorm(Module):
    """Normalize each sample over its last dims normalized_shape (transformers, RNNs), as torch.

    weight and bias have shape normalized_shape; elementwise_affine=False or bias=False drop them.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape, self.eps = tuple(shape), eps
        self.elementwise_affine = elementwise_affine
        self.weight = Parameter(new_array(self.normalized_shape, 1.0)) if elementwise_affine \
            else None
        self.bias = Parameter(new_array(self.normalized_shape, 0.0)) if elementwise_affine \
            and bias else None
        self.to(device=device, dtype=dtype)     # torch's factory keywords: cast once built

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Normalize each sample's channels in num_groups groups (small-batch CNNs), as torch.

    weight and bias are per channel (num_channels,).
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None):
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm({num_groups}, {num_channels}): num_channels must be "
                             "divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = (num_groups, num_channels,
                                                                     eps, affine)
        self.weight = Parameter(new_array(num_channels, 1.0)) if affine else None
        self.bias = Parameter(new_array(num_channels, 0.0)) if affine else None
        self.to(device=device, dtype=dtype)     # torch's factory keywords: cast once built

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(Module):
    """Shared state and forward of InstanceNorm1d/2d; subclasses give the input rank."""

    rank = 0
    optional_state = ("num_batches_tracked",)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None):
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(new_array(num_features, 1.0)) if affine else None
        self.bias = Parameter(new_array(num_features, 0.0)) if affine else None
        tracked = track_running_stats
        self.register_buffer("running_mean", new_array(num_features, 0.0) if tracked else None)
        self.register_buffer("running_var", new_array(num_features, 1.0) if tracked else None)
        self.register_buffer("num_batches_tracked", np.array(0, np.int64) if tracked else None)
        self.to(device=device, dtype=dtype)     # torch's factory keywords: cast once built

    def forward(self, x):
        """Each sample's own statistics in training or without running stats; in eval with
        track_running_stats the running ones, as torch. An unbatched input (C, ...) works too."""
        name = type(self).__name__
        if x.ndim not in (self.rank - 1, self.rank):
            raise ValueError(f"{name}: input {x.shape} has {x.ndim} dims; expected "
                             f"{self.rank} (N, C, ...) or {self.rank - 1} (C, ...)")
        batched = x if x.ndim == self.rank else x.reshape(1, *x.shape)
        if batched.shape[1] != self.num_features and (self.affine or self.track_running_stats):
            raise ValueError(f"{name}({self.num_features}): input {x.shape} has "
                             f"{batched.shape[1]} channels; make it {name}({batched.shape[1]})")
        # as torch: num_batches_tracked is kept for state_dict but never moves
        out = F.instance_norm(batched, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out if x.ndim == self.rank else out.reshape(*x.shape)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine="
                f"{self.affine}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Normalize each channel of each sample over its length L: input (N, C, L) or (C, L)."""

    rank = 3


class InstanceNorm2d(_InstanceNorm):
    """Per image and channel, normalize over H, W (style transfer): (N, C, H, W) or (C, H, W)."""

    rank = 4
