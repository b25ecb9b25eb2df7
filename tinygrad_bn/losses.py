"""Losses as composites of primitives, part of `functional` (F.cross_entropy, ...), with torch's
arguments, defaults, reductions and weighting: class dim 1 for (N, C, d1, ...) inputs (0 for an
unbatched (C,) input), 'mean' divides by the summed weights of the targets not ignored.
"""
import functools
import warnings

import numpy as np

from .activations import log_softmax, logsigmoid
from .engine import OPS, Tensor, apply, scope, where
from .engine.mode import user_stacklevel


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _scoped(loss):
    """Run the loss in a scope of its name: collapsed pictures draw it as one box, like a layer."""
    @functools.wraps(loss)
    def run(*args, **kwargs):
        with scope(loss.__name__):
            return loss(*args, **kwargs)
    return run


def _reduction(size_average, reduce, reduction):
    """torch's deprecated size_average/reduce flags -> a reduction, mapped as torch maps them."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def _reduce(loss, reduction, op):
    """Per-element losses -> their mean, their sum, or themselves ('none'), as torch's reduction."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    extra = " (or 'batchmean')" if op == "kl_div" else ""
    raise ValueError(f"{op}: reduction={reduction!r}; use 'mean', 'sum' or 'none'{extra}")


def _same_shape(input, target, op):
    """Element-wise losses need target in input's shape: torch refuses to broadcast them too."""
    t_shape = target.shape if isinstance(target, Tensor) else np.shape(target)
    if input.shape != t_shape:
        raise ValueError(f"{op}: input {input.shape} and target {t_shape} differ; reshape the "
                         f"target to {input.shape} (e.g. y.reshape(-1, 1) for one output column)")


@_scoped
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean (or sum) of (input - target)**2 for a target of input's shape."""
    input = _tensor(input)
    _same_shape(input, target, "mse_loss")
    return _reduce((input - target).square(), _reduction(size_average, reduce, reduction),
                   "mse_loss")


@_scoped
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean (or sum) of |input - target| for a target of input's shape."""
    input = _tensor(input)
    _same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), _reduction(size_average, reduce, reduction), "l1_loss")


@_scoped
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)) for probabilities p; each log clamped at -100, as torch."""
    input = _tensor(input)
    _same_shape(input, target, "binary_cross_entropy")
    if input.size and (input.data.min() < 0 or input.data.max() > 1):
        raise ValueError(f"binary_cross_entropy: input {input.shape} has values outside [0, 1]; "
                         "it takes probabilities: apply sigmoid first, or use "
                         "binary_cross_entropy_with_logits on the raw scores")
    target = _tensor(target)
    loss = -(target * _log_clamped(input) + (1 - target) * _log_clamped(input, complement=True))
    loss = loss if weight is None else loss * weight
    return _reduce(loss, _reduction(size_average, reduce, reduction), "binary_cross_entropy")


def _log_clamped(p, complement=False):
    """max(log(p), -100), or max(log(1 - p), -100), as torch's BCE; where p is exactly 0 (or 1)
    the -100 is a constant, so neither -inf nor a 0 * inf = nan gradient appears."""
    ok = p.data != (1.0 if complement else 0.0)
    safe = where(ok, p, 0.5)
    log = (-safe).log1p() if complement else safe.log()
    return where(ok, log.clip(min=-100.0), -100.0)


@_scoped
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(x), t) without overflow: (1 - t) x - w_pos log sigmoid(x),
    w_pos = (pos_weight - 1) t + 1 weighting the positives, as torch."""
    input = _tensor(input)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    target = _tensor(target)
    log_weight = 1 if pos_weight is None else (target * (_tensor(pos_weight) - 1) + 1)
    loss = (1 - target) * input - logsigmoid(input) * log_weight
    loss = loss if weight is None else loss * weight
    return _reduce(loss, _reduction(size_average, reduce, reduction),
                   "binary_cross_entropy_with_logits")


@_scoped
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-input[n, target[n]] for log-probabilities input (N, C, d1, ...), weighted per class;
    'mean' divides by the summed weights of the targets not equal to ignore_index, as torch."""
    return _nll(_tensor(input), target, weight, ignore_index,
                _reduction(size_average, reduce, reduction), "nll_loss")


@_scoped
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """nll_loss(log_softmax(input, class dim), target) from raw scores, as torch.

    target: class indices (input's shape without the class dim; an int array or Tensor), or
    class probabilities (input's shape, float). label_smoothing mixes the target with the
    uniform distribution: (1 - e) * target + e / C.
    Float scores (N, C) with class indices, no weight, no ignored target and no smoothing (a
    classifier's usual call) record one `cross_entropy` primitive, whose gradient is softmax -
    onehot; every other case is composed from log_softmax and nll_loss's primitives.
    """
    input = _tensor(input)
    op, reduction = "cross_entropy", _reduction(size_average, reduce, reduction)
    if input.ndim == 0:
        raise ValueError(f"{op}: input is 0-d; expected scores (C,) or (N, C, ...)")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{op}: label_smoothing={label_smoothing}; use a value in [0, 1]")
    t_shape = target.shape if isinstance(target, Tensor) else np.shape(target)
    if (input.ndim == 2 and t_shape != input.shape and weight is None and not label_smoothing
            and input.dtype.kind == "f" and len(input)):
        t = _class_target(input, target, ignore_index, op)
        if not (t == ignore_index).any():      # the common case: one primitive, softmax - onehot
            return apply(OPS["cross_entropy"], input, Tensor(t.astype(np.intp)),
                         reduction=reduction)
    dim = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, dim)
    if t_shape == input.shape:
        return _soft_targets(logp, target, weight, ignore_index, reduction, label_smoothing, dim)
    nll = _nll(logp, target, weight, ignore_index, reduction, op)
    if not label_smoothing:
        return nll
    t = _class_target(logp, target, ignore_index, op)
    kept = t != ignore_index
    smooth = -(logp if weight is None else logp * _class_weights(weight, logp, dim)).sum(axis=dim)
    smooth = smooth if kept.all() else smooth * kept
    if reduction == "mean":
        w = np.ones(input.shape[dim]) if weight is None else np.asarray(_data(weight))
        smooth = smooth.sum() / w[t[kept]].sum()
    else:
        smooth = _reduce(smooth, reduction, op)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / input.shape[dim])


def _soft_targets(logp, target, weight, ignore_index, reduction, label_smoothing, dim):
    """Cross-entropy with class probabilities: -sum(target * log p) per sample, as torch."""
    target = _tensor(target)
    if target.dtype.kind != "f":
        raise TypeError(f"cross_entropy: target {target.dtype} {target.shape} has the input's "
                        "shape, so it is read as class probabilities and must be float; for "
                        "class indices drop the class dim")
    if ignore_index >= 0:
        raise ValueError("cross_entropy: ignore_index is for class-index targets; with class "
                         "probabilities give the ignored samples all-zero rows instead")
    c = logp.shape[dim]
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / c
    terms = logp * target
    terms = terms if weight is None else terms * _class_weights(weight, logp, dim)
    if reduction == "mean":
        return -terms.sum() / (logp.size // c)
    return -_reduce(terms.sum(axis=dim), reduction, "cross_entropy")


def _nll(logp, target, weight, ignore_index, reduction, op):
    """The weighted negative log-likelihood of the target classes, reduced as torch's nll_loss."""
    t = _class_target(logp, target, ignore_index, op)
    c = logp.shape[0 if logp.ndim == 1 else 1]
    rows = logp if logp.ndim == 2 else _classes_last(logp).reshape(-1, c)
    flat = t.reshape(-1)
    ignored = flat == ignore_index
    safe = np.where(ignored, 0, flat)
    loss = -rows[np.arange(len(flat)), safe]
    if weight is not None or ignored.any():
        w = np.ones(c, logp.dtype) if weight is None else np.asarray(_data(weight), logp.dtype)
        per = w[safe] * ~ignored
        loss = loss * per
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):   # all ignored: nan, as torch
                return loss.sum() / per.sum()
    return _reduce(loss if logp.ndim == 2 else loss.reshape(t.shape), reduction, op)


def _classes_last(x):
    """(N, C, d1, ...) -> (N, d1, ..., C); (C,) stays."""
    return x if x.ndim < 3 else x.permute(0, *range(2, x.ndim), 1)


def _class_weights(weight, logp, dim):
    """weight (C,) shaped to broadcast along the class dim of logp."""
    w = np.asarray(_data(weight), dtype=logp.dtype)
    if w.shape != (logp.shape[dim],):
        raise ValueError(f"cross_entropy: weight {w.shape} for input {logp.shape} with "
                         f"{logp.shape[dim]} classes; pass one weight per class")
    return w.reshape((-1,) + (1,) * (logp.ndim - dim - 1))


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _class_target(logp, target, ignore_index, op):
    """target as an int array, after checking it against the scores; clear errors otherwise."""
    t = np.asarray(_data(target))
    dim = 0 if logp.ndim == 1 else 1
    c, expected = logp.shape[dim], logp.shape[:dim] + logp.shape[dim + 1:]
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target has dtype {t.dtype} {t.shape}; expected integer class "
                        "indices, e.g. labels.astype(np.int64) (from one-hot rows: "
                        "labels.argmax(axis=1)), or float class probabilities of the input's "
                        f"shape {logp.shape}")
    if t.shape != expected:
        raise ValueError(f"{op}: target has shape {t.shape} for input {logp.shape}; expected "
                         f"{expected}, one class index per sample (class dim {dim} removed)")
    if not t.size or 0 <= t.min() and t.max() < c:
        return t                                    # every target in range: nothing to skip
    valid = t[t != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= c):
        raise ValueError(f"{op}: target ranges over [{valid.min()}, {valid.max()}] but input "
                         f"{logp.shape} has {c} classes; targets must be in [0, {c}) "
                         f"(or ignore_index={ignore_index})")
    return t


@_scoped
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d**2 where |d| < delta, delta * (|d| - 0.5 delta) beyond, for d = input - target:
    squared near the target, linear (robust to outliers) far away, as torch. weight: per element."""
    input = _tensor(input)
    _same_shape(input, target, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta={delta}; it must be > 0 (the width of the "
                         "quadratic zone), e.g. delta=1.0")
    loss = _quadratic_then_linear(input - target, delta, 0.5, delta)
    if weight is not None:
        if np.shape(_data(weight)) != input.shape:
            raise ValueError(f"huber_loss: weight {np.shape(_data(weight))} and input "
                             f"{input.shape} differ; give one weight per element of the input")
        loss = loss * weight
    return _reduce(loss, reduction, "huber_loss")


@_scoped
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d**2 / beta where |d| < beta, |d| - 0.5 beta beyond: huber_loss / beta, so the linear
    part has slope 1 like l1_loss (which beta=0 gives), as torch."""
    input = _tensor(input)
    _same_shape(input, target, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta={beta}; it must be >= 0 (0 gives l1_loss)")
    d = input - target
    loss = d.abs() if beta == 0 else _quadratic_then_linear(d, beta, 0.5 / beta, 1.0)
    return _reduce(loss, _reduction(size_average, reduce, reduction), "smooth_l1_loss")


def _quadratic_then_linear(d, width, a, slope):
    """a * d**2 inside |d| < width, slope * (|d| - width / 2) outside; the two meet smoothly."""
    inside = np.abs(d.data) < width
    return where(inside, d.square() * a, (d.abs() - 0.5 * width) * slope)


@_scoped
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence with input as LOG-probabilities, as torch: per element
    target * (log(target) - input) (0 where target is 0), or with log_target=True (target given
    as log-probabilities too) exp(target) * (target - input).

    reduction='batchmean' divides the sum by the batch size input.shape[0]: the true KL per
    sample. 'mean' (the default, as torch) divides by the number of elements and warns as torch.
    """
    input = _tensor(input)
    _same_shape(input, target, "kl_div")
    reduction = _reduction(size_average, reduce, reduction)
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, the KL "
                      "divergence's definition (torch warns the same)", UserWarning,
                      stacklevel=user_stacklevel())
    target = _tensor(target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        nonzero = target.data != 0          # 0 * log 0 counts as 0, as torch's xlogy
        t_log_t = where(nonzero, target * where(nonzero, target, 1.0).log(), 0.0)
        loss = t_log_t - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


__all__ = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "nll_loss", "cross_entropy", "huber_loss", "smooth_l1_loss", "kl_div"]
