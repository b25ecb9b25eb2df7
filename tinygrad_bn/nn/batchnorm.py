"""BatchNorm1d and BatchNorm2d as Modules (PyTorch semantics), and folding BN into the layer before.

In eval mode BN is the affine map y = k * x + b per channel, so it can be folded away.
"""
import warnings

import numpy as np

from .. import functional as F
from .module import Module, Parameter, new_array


class _BatchNorm(Module):
    """Shared state and forward of BatchNorm1d/2d; subclasses say which input ranks they take."""

    ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, fused=False):
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats, self.fused = affine, track_running_stats, fused
        self.weight = Parameter(new_array(num_features, 1.0), name="gamma") if affine else None
        self.bias = Parameter(new_array(num_features, 0.0), name="beta") if affine else None
        tracked = track_running_stats
        self.register_buffer("running_mean", new_array(num_features, 0.0) if tracked else None)
        self.register_buffer("running_var", new_array(num_features, 1.0) if tracked else None)
        self.register_buffer("num_batches_tracked", np.array(0, np.int64) if tracked else None)

    def forward(self, x):
        self._check(x)
        if not self.training and self.track_running_stats and int(self.num_batches_tracked) == 0:
            warnings.warn(f"{type(self).__name__}({self.num_features}): eval mode but the running "
                          "statistics were never updated (num_batches_tracked=0), so outputs use "
                          "mean 0 and var 1; train first, or load a checkpoint", stacklevel=3)
        update = self.training and self.track_running_stats
        factor = self.momentum
        if update and factor is None:               # cumulative average, as PyTorch
            factor = 1.0 / (int(self.num_batches_tracked) + 1)
        out = F.batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var,
                           training=self.training or not self.track_running_stats,
                           momentum=factor, eps=self.eps, fused=self.fused)
        if update:
            self.num_batches_tracked += 1
        return out

    def _check(self, x):
        name = type(self).__name__
        if x.ndim not in self.ranks:
            raise ValueError(f"{name}: input {x.shape} has {x.ndim} dims; {name} takes "
                             f"{self.shapes}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): input {x.shape} has {x.shape[1]} "
                             f"features on axis 1; make the layer {name}({x.shape[1]}) or fix "
                             "the layer before it")

    def fold(self):
        """The eval-mode map as arrays (k, b), y = k * x + b per channel (k = gamma * ivar)."""
        name = type(self).__name__
        if self.training or not self.track_running_stats:
            raise RuntimeError(f"{name}.fold: BN uses batch statistics here (training mode or "
                               "track_running_stats=False), which change every batch; call "
                               ".eval() on a module that tracks running statistics first")
        k = 1.0 / np.sqrt(self.running_var + self.eps)
        if self.affine:
            k = k * self.weight.data
        b = -k * self.running_mean
        return k, (b if not self.affine else b + self.bias.data)

    def extra_repr(self):
        fused = ", fused=True" if self.fused else ""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine="
                f"{self.affine}, track_running_stats={self.track_running_stats}{fused}")


class BatchNorm1d(_BatchNorm):
    """BN over the batch for (N, D) inputs: one mean and variance per feature."""

    ranks = (2,)
    shapes = "(N, D); for (N, C, L) use BatchNorm2d on x.reshape(N, C, L, 1)"


class BatchNorm2d(_BatchNorm):
    """BN per channel over (N, H, W) for (N, C, H, W) inputs, as after a Conv2d."""

    ranks = (4,)
    shapes = "(N, C, H, W); for (N, C, L) use x.reshape(N, C, L, 1), for (N, D) BatchNorm1d"


def fold_into(layer, bn):
    """(weight, bias) of `layer` with the eval-mode `bn` after it folded in: same output, one layer.

    `layer` is anything with .weight (out, in) or (cout, cin, kh, kw) and .bias (or None).
    """
    k, b = bn.fold()
    weight = np.asarray(getattr(layer.weight, "data", layer.weight))
    if weight.shape[0] != k.shape[0]:
        raise ValueError(f"fold_into: layer weight {weight.shape} has {weight.shape[0]} outputs "
                         f"but {type(bn).__name__} has {k.shape[0]} features; fold the BN into "
                         "the layer right before it")
    bias = 0.0 if layer.bias is None else np.asarray(getattr(layer.bias, "data", layer.bias))
    return weight * k.reshape((-1,) + (1,) * (weight.ndim - 1)), k * bias + b
