"""BatchNorm1d/2d/3d as Modules (PyTorch semantics), and folding BN into the layer before.

In eval mode BN is the affine map y = k * x + b per channel, so it can be folded away.
"""
import warnings

import numpy as np

from .. import functional as F
from ..engine.mode import effect, user_stacklevel
from .module import Module, Parameter, new_array


class _BatchNorm(Module):
    """Shared state and forward of BatchNorm1d/2d/3d; subclasses say which input ranks they take."""

    ranks = ()
    optional_state = ("num_batches_tracked",)      # absent from old torch state dicts

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, fused=False, device=None, dtype=None):
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats, self.fused = affine, track_running_stats, fused
        self.weight = Parameter(new_array(num_features, 1.0), name="gamma") if affine else None
        self.bias = Parameter(new_array(num_features, 0.0), name="beta") if affine else None
        tracked = track_running_stats
        self.register_buffer("running_mean", new_array(num_features, 0.0) if tracked else None)
        self.register_buffer("running_var", new_array(num_features, 1.0) if tracked else None)
        self.register_buffer("num_batches_tracked", np.array(0, np.int64) if tracked else None)
        self.to(device=device, dtype=dtype)     # torch's factory keywords: cast once built

    def forward(self, x):
        """PyTorch's rule: training uses batch statistics and, while track_running_stats is on,
        updates the buffers; eval uses the buffers if they exist (even with the flag turned off
        later), else batch statistics."""
        self._check(x)
        has_buffers = self.running_mean is not None or self.running_var is not None
        use_running = not self.training and has_buffers
        update = self.training and self.track_running_stats and has_buffers
        tracked = self.num_batches_tracked
        if use_running and tracked is not None and int(tracked) == 0:
            warnings.warn(f"{type(self).__name__}({self.num_features}): eval mode but the running "
                          "statistics were never updated (num_batches_tracked=0), so outputs use "
                          "mean 0 and var 1; train first, or load a checkpoint",
                          stacklevel=user_stacklevel())
        factor = self.momentum
        if update and factor is None:               # cumulative average, as PyTorch
            factor = 1.0 / (int(tracked if tracked is not None else 0) + 1)
        running = (self.running_mean, self.running_var) if update or use_running else (None, None)
        out = F.batch_norm(x, self.weight, self.bias, *running, training=not use_running,
                           momentum=factor, eps=self.eps, fused=self.fused)
        if update and tracked is not None:
            effect(np.add, tracked, 1, out=tracked)     # tracked += 1 in place; tg.jit replays it
        return out

    def reset_running_stats(self):
        """Running mean 0, variance 1 and num_batches_tracked 0, in place (if tracked), as torch."""
        if self.track_running_stats:
            for buffer, value in ((self.running_mean, 0), (self.running_var, 1),
                                  (self.num_batches_tracked, 0)):
                if buffer is not None:
                    buffer[...] = value

    def reset_parameters(self):
        """reset_running_stats(), then gamma 1 and beta 0 (fresh arrays: a live graph keeps
        the values it used), as torch."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.data = np.ones_like(self.weight.data)
        if self.bias is not None:
            self.bias.data = np.zeros_like(self.bias.data)

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
        if self.training or self.running_mean is None:
            raise RuntimeError(f"{name}.fold: BN uses batch statistics here (training mode, or "
                               "no running statistics), which change every batch; call .eval() "
                               "on a module built with track_running_stats=True first")
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
    """BN over the batch for (N, C) or (N, C, L) inputs: one mean and variance per feature C."""

    ranks = (2, 3)
    shapes = "(N, C) or (N, C, L); for (N, C, H, W) use BatchNorm2d"


class BatchNorm2d(_BatchNorm):
    """BN per channel over (N, H, W) for (N, C, H, W) inputs, as after a Conv2d."""

    ranks = (4,)
    shapes = "(N, C, H, W); for (N, C) or (N, C, L) use BatchNorm1d"


class BatchNorm3d(_BatchNorm):
    """BN per channel over (N, D, H, W) for (N, C, D, H, W) inputs (volumes, video)."""

    ranks = (5,)
    shapes = "(N, C, D, H, W); for (N, C, H, W) use BatchNorm2d"


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
