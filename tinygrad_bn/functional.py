"""Composites of primitives, PyTorch's `torch.nn.functional` for this engine (activations and
losses live in activations.py and losses.py and are re-exported here).

A composite never defines a backward: its graph is made of recorded primitives, so backward,
graphs and step views see every node. One that needs its own backward becomes a primitive.
"""
import math
import warnings

import numpy as np

from .activations import (softmax, log_softmax, softmin, relu, sigmoid, tanh,  # noqa: F401
                          leaky_relu, elu, hardtanh, relu6, softplus, logsigmoid, silu, gelu,
                          hardsigmoid, hardswish, mish, one_hot)
from .creation import get_generator
from .engine import OPS, Tensor, apply, scope, where
from .effects import replayable
from .engine.mode import user_stacklevel
from .engine.ops import pool as _pool, windows as _windows
from .losses import (mse_loss, l1_loss, binary_cross_entropy,  # noqa: F401  (re-exported)
                     binary_cross_entropy_with_logits, nll_loss, cross_entropy, huber_loss,
                     smooth_l1_loss, kl_div)
from .normalization import layer_norm, group_norm, instance_norm  # noqa: F401  (re-exported)
from .normalization import (affine as _affine, check_eps as _check_eps, normalize as _normalize,
                            update_running as _update_running)

# --- linear layers ------------------------------------------------------------------------------
def linear(input, weight, bias=None):
    """input @ weight.T + bias for input (..., in), weight (out, in), bias (out,) or None, as torch.

    One `linear` record (nn.Linear's forward). Inputs of different dtypes take the composed path
    (transpose, matmul, add), which promotes them and warns as `@` does.
    """
    input, weight, bias = (t if t is None or isinstance(t, Tensor) else Tensor(t)
                           for t in (input, weight, bias))
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        out = input @ weight.T
        return out if bias is None else out + bias
    return apply(OPS["linear"], input, weight, *(() if bias is None else (bias,)))


# --- batch normalization ------------------------------------------------------------------------
def batch_norm(x=None, gamma=None, beta=None, running_mean=None, running_var=None, training=True,
               momentum=0.1, eps=1e-5, fused=False, *, input=None, weight=None, bias=None):
    """Batch Normalization of x (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W) per channel C.

    Statistics per channel over every axis but 1; gamma, beta (C,) or None, each on its own.
    PyTorch's keyword names work too (input=, weight= for gamma, bias= for beta, running_mean=,
    ...), but training=True is our default (PyTorch's F.batch_norm defaults to False): batch mean
    and biased variance, and running_mean/running_var (NumPy arrays or Tensors, as PyTorch passes
    buffers; both or neither) updated in place as PyTorch does; training=False uses the running statistics. An empty batch gives an
    empty output and leaves them alone. fused=True records the one `batch_norm` primitive instead
    of mean, sub, square, mean, add, sqrt, reciprocal, mul, mul, add; gamma or beta of another
    dtype than x takes the composed path, which promotes and warns as `*` does.
    """
    x, gamma, beta = (_one_of("batch_norm", *pair) for pair in (("x", x, "input", input),
                                                                ("gamma", gamma, "weight", weight),
                                                                ("beta", beta, "bias", bias)))
    if x is None:
        raise TypeError("batch_norm: missing the input; call batch_norm(x, gamma, beta, ...) "
                        "or batch_norm(input=x, weight=gamma, bias=beta, ...)")
    x = x if isinstance(x, Tensor) else Tensor(x)
    gamma, beta = (t if t is None or isinstance(t, Tensor) else Tensor(t) for t in (gamma, beta))
    running_mean, running_var = (a.data if isinstance(a, Tensor) else a     # the Tensor's own
                                 for a in (running_mean, running_var))      # array, updated
    axes, shape, count = _bn_check(x, gamma, beta, running_mean, running_var, training, momentum)
    if training:
        _check_eps("batch_norm", eps)
    with scope("batch_norm"):
        if not training:
            return _bn_composed(x, gamma, beta, axes, shape, eps, (running_mean, running_var))[0]
        if count == 0:      # an empty batch has no statistics (nor a need): mean 0, var 1
            empty_stats = (np.zeros(shape), np.ones(shape))     # give its empty output
            return _bn_composed(x, gamma, beta, axes, shape, eps, empty_stats)[0]
        if fused and all(t is None or t.dtype == x.dtype for t in (gamma, beta)):
            out = apply(OPS["batch_norm"], x, *_fused_affine(x, gamma, beta),
                        axes=axes, eps=eps).named("out")
            if running_mean is not None:    # the batch statistics the primitive computed
                stats = _fused_stats(out, x, axes)
        else:
            out, mu, var = _bn_composed(x, gamma, beta, axes, shape, eps)
            stats = (mu.data, var.data)
    if running_mean is not None:
        _update_running(running_mean, running_var, *stats, count, momentum)
    return out


def _one_of(op, ours, value, torch_name, torch_value):
    """The argument given under our name or PyTorch's keyword name (not both)."""
    if value is not None and torch_value is not None:
        raise TypeError(f"{op}: got both {ours} and {torch_name}= (PyTorch's name for "
                        f"{ours}); pass one")
    return value if torch_value is None else torch_value


def _fused_affine(x, gamma, beta):
    """The primitive's affine inputs: (), or (gamma, beta) with a constant 1 or 0 for a missing one."""
    if gamma is None and beta is None:
        return ()
    c = x.shape[1]
    return (Tensor(np.ones(c, x.dtype)) if gamma is None else gamma,
            Tensor(np.zeros(c, x.dtype)) if beta is None else beta)


def _fused_stats(out, x, axes):
    """(mean, biased var) of the batch from the fused record; computed again only when nothing
    was recorded (no_grad), since the record is where the primitive hands them over."""
    if out.record is not None:
        return out.record.saved["mean"], out.record.saved["var"]
    return x.data.mean(axis=axes), x.data.var(axis=axes)


def _bn_composed(x, gamma, beta, axes, shape, eps, running=None):
    """The textbook graph, one named primitive per line -> (out, mu, var).

    With `running` = (mean, var) arrays (eval), mu and var are those constants instead.
    """
    if x.ndim > 2:                              # reshaped first, so the ten stay together
        gamma, beta = (t if t is None else t.reshape(shape) for t in (gamma, beta))
    stats = None if running is None else tuple(a.reshape(shape) for a in running)
    xhat, mu, var = _normalize(x, axes, eps, stats)
    return _affine(xhat, gamma, beta, None), mu, var


def _bn_check(x, gamma, beta, running_mean, running_var, training, momentum):
    """Validate everything before anything runs or changes -> (reduced axes, keepdims shape of
    the statistics, values per channel); errors say the fix."""
    if not 2 <= x.ndim <= 5:
        raise ValueError(f"batch_norm: input {x.shape} has {x.ndim} dims; expected (N, C), "
                         "(N, C, L), (N, C, H, W) or (N, C, D, H, W)")
    c, axes = x.shape[1], (0,) + tuple(range(2, x.ndim))
    for name, a in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if a is not None and a.shape != (c,):
            raise ValueError(f"batch_norm: {name} has shape {a.shape} but input {x.shape} has "
                             f"{c} channels (axis 1); pass {name} of shape ({c},)")
    if (running_mean is None) != (running_var is None):
        given = "running_mean" if running_var is None else "running_var"
        raise ValueError(f"batch_norm: only {given} was given; running_mean and running_var "
                         f"must both be given or both be None (as PyTorch), e.g. np.zeros({c}) "
                         f"and np.ones({c})")
    for name, a in (("running_mean", running_mean), ("running_var", running_var)):
        if a is not None and (not isinstance(a, np.ndarray) or a.dtype.kind != "f"
                              or not a.flags.writeable):
            raise TypeError(f"batch_norm: {name} is {type(a).__name__} "
                            f"{getattr(a, 'dtype', '')} {getattr(a, 'shape', '')}; running "
                            f"statistics are writable float arrays (or Tensors) updated in place, e.g. "
                            f"np.zeros({c}) and np.ones({c})")
    if not training and running_mean is None:
        raise ValueError("batch_norm: training=False normalizes with running_mean and "
                         "running_var; pass both, or use training=True for batch statistics")
    if training and running_mean is not None and momentum is None:
        raise ValueError("batch_norm: momentum=None (cumulative average) needs the factor "
                         "1/num_batches_tracked; nn.BatchNorm passes it, here pass a number")
    count = math.prod(x.shape[i] for i in axes)
    if training and count == 1:
        raise ValueError(f"batch_norm: input {x.shape} has 1 value per channel in training, so "
                         "its batch variance is 0 and the output would be all beta; use a batch "
                         "with more than one value per channel, or eval mode (training=False / "
                         "module.eval()) to use the running statistics")
    return axes, (1, c) + (1,) * (x.ndim - 2), count


def dropout(x, p=0.5, training=True, inplace=False, generator=None):
    """Zero each value with probability p, scale the rest by 1/(1-p); the identity in eval.

    Scaling in training (inverted dropout) keeps E[out] = x, so eval needs no rescale. Masks come
    from `generator` (an np.random.Generator) or the package's one, seeded by tg.manual_seed.
    inplace is accepted for PyTorch code; the result is always a new tensor.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p={p} is a probability; use 0 <= p <= 1")
    if not training or p == 0:
        return x
    return x * _dropout_mask(generator, x.shape, p, x.dtype)


@replayable
def _dropout_mask(generator, shape, p, dtype):
    """0 where dropped, 1/(1-p) where kept; a random draw, so an effect tg.jit draws again."""
    keep = get_generator(generator).random(shape) >= p
    return (keep * (0.0 if p == 1 else 1 / (1 - p))).astype(dtype)


def dropout2d(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero whole channels: each (sample, channel) map of input (N, C, H, W) is dropped with
    probability p, the rest scaled by 1/(1-p); the identity in eval, as torch.

    Neighbouring pixels are correlated, so dropping single values barely regularizes a conv
    net; dropping a channel does. The mask has shape (N, C, 1, 1) and comes from the same
    replayable draw as dropout. As torch, a 3-D input is read as (N, C, L) (with a warning).
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout2d: p={p} is a probability; use 0 <= p <= 1")
    input = input if isinstance(input, Tensor) else Tensor(input)
    if input.ndim < 2:
        raise ValueError(f"dropout2d: input {input.shape} has no channel axis; expected "
                         "(N, C, H, W)")
    if input.ndim != 4:
        meaning = ("is read as (N, C, L): whole rows are dropped, not (C, H, W) channels; use "
                   "input[None] for one image" if input.ndim == 3 else
                   "is not (N, C, H, W); use dropout, or dropout2d on 4-D input")
        warnings.warn(f"dropout2d: {input.ndim}-D input {input.shape} {meaning} (torch warns "
                      "the same)", UserWarning, stacklevel=user_stacklevel())
    if not training or p == 0:
        return input
    mask_shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return input * _dropout_mask(generator, mask_shape, p, input.dtype)


# --- distances and embeddings -------------------------------------------------------------------

def _check_dim(op, x, dim):
    """dim as a non-negative axis of x, or torch's IndexError naming the valid range."""
    n = max(x.ndim, 1)
    if not isinstance(dim, (int, np.integer)) or not -n <= dim < n:
        raise IndexError(f"{op}: dim={dim} is out of range for input {x.shape} with {x.ndim} "
                         f"dims; use a dim in [{-n}, {n - 1}], e.g. dim=-1 for the last one")
    return dim % n


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along dim: each slice scaled to norm 1, as torch.

    eps keeps an all-zero slice at zero instead of 0/0; the clamp passes no gradient to the
    norm where it acts, as torch's clamp_min.
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported (tensors here are never written in "
                        "place); use y = F.normalize(x)")
    input = input if isinstance(input, Tensor) else Tensor(input)
    norm = input.norm(p, _check_dim("normalize", input, dim), keepdim=True)
    return input / where(norm.data >= eps, norm, eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (||x1|| ||x2||) along dim, after broadcasting x1 and x2 together, as torch.

    As torch, each input is divided by its own norm first (the result stays in [-1, 1]), and
    a norm below eps counts as eps in value only: its gradient is the norm's own (torch clamps
    under no_grad), so vectors near zero get torch's gradients too.
    """
    x1, x2 = (x if isinstance(x, Tensor) else Tensor(x) for x in (x1, x2))
    shape = _broadcast_shape("cosine_similarity", x1, x2)
    x1, x2 = (x if x.shape == shape else x.broadcast_to(shape) for x in (x1, x2))
    dim = _check_dim("cosine_similarity", x1, dim)
    n1, n2 = (x.norm(2, dim, keepdim=True) for x in (x1, x2))
    n1, n2 = (n + Tensor(np.maximum(n.data, eps) - n.data) for n in (n1, n2))
    return ((x1 / n1) * (x2 / n2)).sum(axis=dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim, broadcasting rows, as torch (eps keeps the norm
    of equal rows off 0, where its gradient would be undefined)."""
    x1, x2 = (x if isinstance(x, Tensor) else Tensor(x) for x in (x1, x2))
    _broadcast_shape("pairwise_distance", x1, x2)
    return (x1 - x2 + eps).norm(p, max(x1.ndim, x2.ndim, 1) - 1, keepdim)


def _broadcast_shape(op, x1, x2):
    """The common shape of x1 and x2, or a ValueError naming both shapes."""
    try:
        return np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"{op}: x1 {x1.shape} and x2 {x2.shape} do not broadcast; give them "
                         "the same shape (or size 1 where one is repeated)") from None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """weight[input]: the rows of weight (num_embeddings, embedding_dim) at integer ids, as torch.

    The lookup is the indexing primitive, whose backward adds each row's gradient into the
    rows it read (repeats add up); the padding_idx row is read without gradient. sparse only
    changes torch's gradient format and is ignored; max_norm and scale_grad_by_freq are not
    supported.
    """
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight {weight.shape} must be 2-D (num_embeddings, "
                         "embedding_dim)")
    if max_norm is not None or scale_grad_by_freq:
        raise NotImplementedError("embedding: max_norm and scale_grad_by_freq are not "
                                  "supported; renormalize weight.data yourself, or leave them "
                                  "at their defaults")
    n = weight.shape[0]
    if padding_idx is not None and not -n <= padding_idx < n:
        raise ValueError(f"embedding: padding_idx={padding_idx} must index a row of weight "
                         f"{weight.shape} (-{n} <= padding_idx < {n})")
    return _lookup(input, weight, None if padding_idx is None else padding_idx % n, "embedding")


def _lookup(ids, weight, padding_idx, op):
    """weight[ids] after checking the ids (`op` names the caller in errors); the padding_idx
    row's value is passed on as a constant, so it gets no gradient. Shared with nn.Embedding."""
    ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    n = weight.shape[0]
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: ids are {ids.dtype} {ids.shape}; expected integer ids, "
                        "e.g. np.array([1, 4]) or x.long()")
    if ids.size and not (ids.min() >= 0 and ids.max() < n):
        raise IndexError(f"{op}: ids range {ids.min()}..{ids.max()}, outside 0..{n - 1} "
                         f"(weight {weight.shape} has {n} rows)")
    if padding_idx is not None:
        keep = np.ones((n, 1), weight.dtype)
        keep[padding_idx] = 0
        weight = weight * keep + Tensor(weight.data * (1 - keep))
    return weight[ids]

# --- convolution, pooling and padding (torch's names, argument order and semantics) -------------

def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, *, bias=None):
    """2-D cross-correlation of x (N, Cin, H, W) with w (Cout, Cin/groups, kh, kw), plus b (Cout,).

    As torch's F.conv2d (bias= is accepted for b); padding is an int, a pair, 'same', 'valid' or
    (left, right, top, bottom).
    The bias is a broadcast add after the conv2d primitive: its gradient is g summed per channel.
    """
    b = _one_of("conv2d", "b", b, "bias", bias)
    check_padding_string("conv2d", padding, stride)
    with scope("conv2d"):
        return _one_sample(x, 3, lambda x: _add_bias(apply(
            OPS["conv2d"], x, w, stride=stride, padding=padding, dilation=dilation,
            groups=groups), b))


def check_padding_string(op, padding, stride):
    """torch's checks on a padding string, made before anything runs: 'valid' or 'same', and
    'same' (output size = input size) only with stride 1, where that size is defined."""
    if not isinstance(padding, str):
        return
    if padding not in ("valid", "same"):
        raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', "
                         "'same' (as torch), or numbers, e.g. padding=1")
    if padding == "same" and any(s != 1 for s in np.ravel(stride)):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                         f"(stride={stride}), as in torch; give the padding as numbers, e.g. "
                         "padding=k // 2 for an odd kernel size k")


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     *, bias=None):
    """Transposed conv of x (N, Cin, H, W) with w (Cin, Cout/groups, kh, kw), plus b (Cout,).

    The gradient of conv2d with respect to its input, run forward: it upsamples by `stride`.
    """
    b = _one_of("conv_transpose2d", "b", b, "bias", bias)
    with scope("conv_transpose2d"):
        return _one_sample(x, 3, lambda x: _add_bias(apply(
            OPS["conv_transpose2d"], x, w, stride=stride, padding=padding,
            output_padding=output_padding, groups=groups, dilation=dilation), b))


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, *, bias=None):
    """1-D cross-correlation of x (N, Cin, L) with w (Cout, Cin/groups, k): conv2d on height-1 images."""
    b = _one_of("conv1d", "b", b, "bias", bias)
    with scope("conv1d"):
        return _as_1d(x, "conv1d", lambda x: conv2d(x, _kernel_2d(w, "conv1d"), b, _w(stride, 1),
                                             _w(padding, 0), _w(dilation, 1), groups))


def conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     *, bias=None):
    """Transposed conv of x (N, Cin, L) with w (Cin, Cout/groups, k): conv_transpose2d, height 1."""
    b = _one_of("conv_transpose1d", "b", b, "bias", bias)
    with scope("conv_transpose1d"):
        return _as_1d(x, "conv_transpose1d", lambda x: conv_transpose2d(
            x, _kernel_2d(w, "conv_transpose1d"), b, _w(stride, 1), _w(padding, 0),
            _w(output_padding, 0), groups, _w(dilation, 1)))


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over kernel_size windows of x (N, C, H, W); stride defaults to kernel_size, as torch.

    Padding counts as -inf. return_indices=True also returns, as torch, each maximum's flat
    index into the H*W pixels of its (unpadded) channel, an int64 tensor without gradient.
    """
    def pool(x):
        out = apply(OPS["max_pool2d"], x, kernel_size=kernel_size, stride=stride,
                    padding=padding, dilation=dilation, ceil_mode=ceil_mode)
        if not return_indices:
            return out
        args = _pool.pool_args("max_pool2d", x.shape, kernel_size, stride, padding, dilation,
                               ceil_mode)
        return out, Tensor(_pool.flat_indices(_pool.max_windows(x.data, args)[1], args,
                                              x.shape[3]))
    return _one_sample(x, 3, pool)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over kernel_size windows of x (N, C, H, W); stride defaults to kernel_size, as torch.

    count_include_pad=True divides by the window's size including zero padding (torch's default).
    """
    return _one_sample(x, 3, lambda x: apply(
        OPS["avg_pool2d"], x, kernel_size=kernel_size, stride=stride, padding=padding,
        ceil_mode=ceil_mode, count_include_pad=count_include_pad,
        divisor_override=divisor_override))


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows along the last axis of x (N, C, L): max_pool2d on height-1 images."""
    return _as_1d(x, "max_pool1d", lambda x: max_pool2d(
        x, _w(kernel_size, 1), None if stride is None else _w(stride, 1), _w(padding, 0),
        _w(dilation, 1), ceil_mode, return_indices))


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows along the last axis of x (N, C, L): avg_pool2d on height-1 images."""
    return _as_1d(x, "avg_pool1d", lambda x: avg_pool2d(
        x, _w(kernel_size, 1), None if stride is None else _w(stride, 1), _w(padding, 0),
        ceil_mode, count_include_pad))


def adaptive_avg_pool2d(x, output_size):
    """Mean over torch's adaptive windows, rows [floor(i*H/Ho), ceil((i+1)*H/Ho)): (N, C, Ho, Wo).

    Written as rows @ x @ cols.T with constant averaging matrices: two recorded matmuls.
    output_size: an int, a pair, or None in a pair to keep that size; 1 is global pooling.
    """
    def pool(x):
        _windows.check_4d(x.shape, "adaptive_avg_pool2d")
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
        sizes = [n if o is None else o for n, o in zip(x.shape[2:], sizes)]
        _windows.pair(sizes, "output_size", "adaptive_avg_pool2d")
        rows, cols = (_averaging(n, o, x.dtype) for n, o in zip(x.shape[2:], sizes))
        return Tensor(rows) @ (x @ Tensor(cols.T))
    return _one_sample(x, 3, pool)


def _averaging(size, out, dtype):
    """(out, size) matrix whose row i averages torch's adaptive window i of `size` values."""
    starts = np.arange(out) * size // out
    ends = -(-(np.arange(out) + 1) * size // out)
    cells = np.arange(size)
    inside = (cells >= starts[:, None]) & (cells < ends[:, None])
    return (inside / (ends - starts)[:, None]).astype(dtype)


def pad(x, pad, mode="constant", value=None):
    """torch's F.pad: `pad` lists (before, after) from the LAST axis backwards, e.g. (left, right,
    top, bottom); negative widths crop. Tensor.pad takes NumPy's pad_width (first axis first).

    mode: 'constant' (value, default 0), 'reflect', 'replicate' or 'circular'. With a negative
    width, 'reflect' mirrors about the input's own ends, as torch does (pad < size per side).
    """
    widths = tuple(pad) if isinstance(pad, (tuple, list)) else None
    if (widths is None or len(widths) % 2 or len(widths) > 2 * x.ndim
            or not all(isinstance(v, (int, np.integer)) for v in widths)):
        raise ValueError(f"pad: pad={pad!r} for input {x.shape} must be a tuple of ints, "
                         "(before, after) pairs from the last axis backwards, at most "
                         f"{2 * x.ndim} of them, e.g. (1, 1) for the last axis or (1, 1, 2, 2) "
                         "for (left, right, top, bottom)")
    pairs = [(0, 0)] * (x.ndim - len(widths) // 2) + list(zip(widths[::2], widths[1::2]))[::-1]
    if mode == "reflect" and min(widths) < 0:    # crop and mirror in one gather
        return x[np.ix_(*(_reflect_index(n, b, a, pad, x.shape) for n, (b, a) in zip(x.shape, pairs)))]
    return x.pad(pairs, mode=mode, value=0.0 if value is None else value)


def _reflect_index(n, before, after, pad, shape):
    """Indices of one axis padded by reflection (mirror, edge not repeated), cropped where a
    width is negative: position i of the result reads x[index[i]]."""
    if max(before, after) >= n or n + before + after < 0:
        raise ValueError(f"pad: reflect padding {pad} does not fit input {shape}: each width must "
                         f"be less than its axis size ({n} here) and crops must leave >= 0 values")
    period = 2 * (n - 1)
    index = np.arange(-before, n + after)
    index = np.mod(index, period) if period else np.zeros_like(index)
    return np.where(index >= n, period - index, index)


def _add_bias(out, b):
    """out + b per channel (axis 1), or out itself without a bias."""
    return out if b is None else out + b.reshape(1, -1, *(1,) * (out.ndim - 2))


def _one_sample(x, ndim, fn):
    """torch's unbatched input: x with `ndim` dims is one sample, so run fn on x[None] and drop
    the batch axis again (of every output, for those returning indices too)."""
    if x.ndim != ndim:
        return fn(x)
    out = fn(x.reshape(1, *x.shape))
    return tuple(o.reshape(o.shape[1:]) for o in out) if isinstance(out, tuple) else \
        out.reshape(out.shape[1:])


def _as_1d(x, op, fn):
    """A 1-D op on x (N, C, L) (or unbatched (C, L)) as its 2-D op on (N, C, 1, L)."""
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: input has shape {x.shape}; expected (N, C, L) or "
                         "(C, L), e.g. x.reshape(N, 1, L) for one channel")
    x = x.reshape(*x.shape[:-1], 1, x.shape[-1])
    out = fn(x)
    return tuple(o.reshape(*o.shape[:-2], o.shape[-1]) for o in out) if isinstance(out, tuple) \
        else out.reshape(*out.shape[:-2], out.shape[-1])


def _w(value, height):
    """A 1-D argument (an int or a 1-tuple) as the 2-D pair (height, value)."""
    value = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    return value if isinstance(value, str) else (height, value)


def _kernel_2d(w, op):
    """A 1-D kernel (Cout, Cin, k) as the 2-D kernel (Cout, Cin, 1, k)."""
    if w.ndim != 3:
        raise ValueError(f"{op}: weight has shape {w.shape}; expected (out, in/groups, k)")
    return w.reshape(w.shape[0], w.shape[1], 1, w.shape[2])
