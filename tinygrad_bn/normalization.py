"""BN's family: layer, group and instance norm are the batch-norm chain over other axes.

`normalize` is that chain (mean, sub, square, mean, add eps, sqrt, reciprocal, mul), shared by
F.batch_norm's composed path; each function here differs from BN only in the axes it reduces
(and, for group norm, a reshape around them), so their graphs can be laid side by side.
"""
import math

import numpy as np

from .engine import Tensor
from .effects import replayable


def normalize(x, axes, eps, stats=None):
    """xhat = (x - mu) / sqrt(var + eps) over `axes`, as named primitives -> (xhat, mu, var).

    stats: (mean, var) arrays broadcastable to x (running statistics, eval) instead of the batch's.
    """
    if stats is None:
        mu = x.mean(axis=axes, keepdims=True).named("mu")
        xmu = (x - mu).named("xmu")
        sq = xmu.square().named("sq")
        var = sq.mean(axis=axes, keepdims=True).named("var")
    else:
        mu, var = (Tensor(np.asarray(a).astype(x.dtype, copy=False)).named(name)
                   for a, name in zip(stats, ("mu", "var")))
        xmu = (x - mu).named("xmu")
    eps = Tensor(np.asarray(eps, dtype=x.dtype), name="eps")
    var_eps = (var + eps).named("var_eps")      # eps inside the sqrt: var = 0 stays finite
    sqrtvar = var_eps.sqrt().named("sqrtvar")
    ivar = sqrtvar.reciprocal().named("ivar")
    return (xmu * ivar).named("xhat"), mu, var


def check_eps(op, eps):
    """ValueError unless eps > 0: with batch statistics a constant channel has variance 0, and
    eps is all that keeps 1/sqrt(var + eps) finite."""
    if not (isinstance(eps, (int, float, np.floating, np.integer)) and eps > 0):
        raise ValueError(f"{op}: eps={eps!r} must be a number > 0: a channel whose values are all "
                         "equal has variance 0, and 1/sqrt(0 + eps) divides by zero; use the "
                         "default eps=1e-5")


def affine(xhat, weight, bias, shape):
    """xhat * weight + bias (each optional), the two reshaped to `shape` first when given."""
    out = xhat
    if weight is not None:
        out = ((weight if shape is None else weight.reshape(shape)) * out).named("gammax")
    if bias is not None:
        out = (out + (bias if shape is None else bias.reshape(shape))).named("out")
    return out


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize each sample over its last dims `normalized_shape`, as torch's F.layer_norm.

    weight and bias have shape normalized_shape (one value per normalized element).
    """
    x, weight, bias = _tensors(x, weight, bias)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if not 0 < k <= x.ndim or tuple(x.shape[x.ndim - k:]) != shape:
        raise ValueError(f"layer_norm: normalized_shape={shape} must be the last dims of the "
                         f"input, but the input is {x.shape}; e.g. LayerNorm({x.shape[-1]}) for "
                         "its last axis")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm: {name} has shape {t.shape}; expected {shape}")
    check_eps("layer_norm", eps)
    xhat, _, _ = normalize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    return affine(xhat, weight, bias, None)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each sample's channels in num_groups groups, as torch's F.group_norm.

    x (N, C, *) is reshaped to (N, G, C/G * rest) and normalized over the last axis;
    weight and bias are per channel (C,). G = C is instance norm, G = 1 layer norm over (C, *).
    """
    x, weight, bias = _tensors(x, weight, bias)
    if x.ndim < 2 or num_groups < 1 or x.shape[1] % num_groups:
        raise ValueError(f"group_norm: input {x.shape} has {x.shape[1] if x.ndim > 1 else '?'} "
                         f"channels on axis 1, which num_groups={num_groups} must divide; e.g. "
                         "num_groups=1, or a divisor of the channel count")
    _check_per_channel("group_norm", x, weight, bias)
    check_eps("group_norm", eps)
    n = x.shape[0]
    grouped = x.reshape(n, num_groups, -1)
    xhat, _, _ = normalize(grouped, (2,), eps)
    return affine(xhat.reshape(*x.shape), weight, bias, _channel_shape(x))


def instance_norm(x, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalize each channel of each sample over its spatial dims, as torch's F.instance_norm.

    x (N, C, L) or (N, C, H, W). With use_input_stats (training) running_mean/running_var, if
    given, move toward the samples' mean statistics (unbiased variance), as torch; without it
    they are used instead (eval).
    """
    x, weight, bias = _tensors(x, weight, bias)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: input {x.shape} needs (N, C, L) or (N, C, H, W): "
                         "spatial dims to normalize over; add a batch axis with x.reshape(1, ...)")
    _check_per_channel("instance_norm", x, weight, bias, running_mean, running_var)
    axes, count = tuple(range(2, x.ndim)), math.prod(x.shape[2:])
    if not use_input_stats:
        if running_mean is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                             "running_var; pass both, or use the input's statistics")
        stats = (a.reshape(_channel_shape(x)) for a in (running_mean, running_var))
        return affine(normalize(x, axes, eps, tuple(stats))[0], weight, bias, _channel_shape(x))
    if count == 1:
        raise ValueError(f"instance_norm: input {x.shape} has 1 spatial value per channel, so "
                         "each variance is 0; use longer inputs, or BatchNorm over the batch")
    check_eps("instance_norm", eps)
    xhat, mu, var = normalize(x, axes, eps)
    if running_mean is not None:     # torch: the mean over the samples of each one's statistics
        update_running(running_mean, running_var, mu.data.mean(axis=0), var.data.mean(axis=0),
                       count, momentum)
    return affine(xhat, weight, bias, _channel_shape(x))


@replayable
def update_running(running_mean, running_var, mu, var, n, momentum):
    """PyTorch's rule, in place: running = (1 - momentum) * running + momentum * batch.

    running_var gets the unbiased batch variance var * n / (n - 1).
    """
    running_mean *= 1 - momentum
    running_mean += momentum * mu.reshape(-1)
    running_var *= 1 - momentum
    running_var += momentum * n / (n - 1) * var.reshape(-1)


def _tensors(*values):
    return tuple(t if t is None or isinstance(t, Tensor) else Tensor(t) for t in values)


def _channel_shape(x):
    """(1, C, 1, ...): a per-channel array shaped to broadcast against x."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _check_per_channel(op, x, *arrays):
    for a in arrays:
        if a is not None and tuple(a.shape) != (x.shape[1],):
            raise ValueError(f"{op}: a per-channel argument has shape {tuple(a.shape)} but input "
                             f"{x.shape} has {x.shape[1]} channels (axis 1); pass shape "
                             f"({x.shape[1]},)")
