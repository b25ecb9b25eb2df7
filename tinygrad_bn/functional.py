"""Composites of primitives, PyTorch's `torch.nn.functional` for this engine.

A composite never defines a backward: its graph is made of recorded primitives, so backward,
graphs and step views see every node. One that needs its own backward becomes a primitive.
"""
import numpy as np

from .ops import OPS
from .tape import scope
from .tensor import Tensor, apply

# --- batch normalization ------------------------------------------------------------------------

# --- activations and losses ---------------------------------------------------------------------

def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`: each slice becomes probabilities that sum to 1."""
    e = _minus_max(x, axis).exp()
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`: log-probabilities without overflow for large logits."""
    z = _minus_max(x, axis)
    return z - z.exp().sum(axis=axis, keepdims=True).log()


def _minus_max(x, axis):
    """x - max(x) along `axis`, the max a constant: (log-)softmax ignores the shift, so no gradient.

    After it every exp() is <= 1: no overflow, and the largest term is exactly 1 (no log(0)).
    """
    return x - Tensor(x.data.max(axis=axis, keepdims=True))


def cross_entropy(logits, labels, reduction="mean"):
    """-log softmax(logits)[n, labels[n]], averaged (or summed) over the batch, as torch.

    logits (N, K) are raw scores; labels (N,) are integer classes in [0, K), an array or Tensor.
    """
    labels = _class_labels(logits, labels)
    logp = log_softmax(logits, axis=1)
    return _reduce(-logp[np.arange(len(labels)), labels], reduction, "cross_entropy")


def _class_labels(logits, labels):
    """labels as an int array, after checking them against logits (N, K); clear errors otherwise."""
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits have shape {logits.shape}; expected (N, K) "
                         "scores, one row per sample, e.g. logits.reshape(N, -1)")
    n, k = logits.shape
    if labels.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: labels have dtype {labels.dtype} {labels.shape}; expected "
                        "integer class indices, e.g. labels.astype(np.int64) (from one-hot rows: "
                        "labels.argmax(axis=1))")
    if labels.shape != (n,):
        raise ValueError(f"cross_entropy: labels have shape {labels.shape} for logits {logits.shape}; "
                         f"expected ({n},), one class index per row")
    if n and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"cross_entropy: labels range over [{labels.min()}, {labels.max()}] but "
                         f"logits {logits.shape} have {k} classes; labels must be in [0, {k})")
    return labels


def mse_loss(a, b, reduction="mean"):
    """Mean (or sum) of (a - b)**2 for a regression target b of a's shape.

    Unequal shapes raise: torch only warns before broadcasting them, a classic silent bug.
    """
    b_shape = b.shape if isinstance(b, Tensor) else np.shape(b)
    if a.shape != b_shape:
        raise ValueError(f"mse_loss: input {a.shape} and target {b_shape} differ; reshape the "
                         f"target to {a.shape} (e.g. y.reshape(-1, 1) for one output column)")
    return _reduce((a - b).square(), reduction, "mse_loss")


def _reduce(loss, reduction, op):
    """Per-element losses -> their mean, their sum, or themselves ('none'), as torch's reduction."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction={reduction!r}; use 'mean', 'sum' or 'none'")


def dropout(x, p=0.5, training=True, generator=None):
    """Zero each value with probability p, scale the rest by 1/(1-p); the identity in eval.

    Scaling in training (inverted dropout) keeps E[out] = x, so eval needs no rescale.
    generator: an np.random.Generator, for reproducible masks.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p={p} is a probability; use 0 <= p <= 1")
    if not training or p == 0:
        return x
    rng = np.random.default_rng() if generator is None else generator
    keep = rng.random(x.shape) >= p
    return x * (keep * (0.0 if p == 1 else 1 / (1 - p))).astype(x.dtype)


# --- convolution and pooling --------------------------------------------------------------------

def conv2d(x, w, b=None, stride=1, padding=0):
    """2-D cross-correlation of x (N, Cin, H, W) with w (Cout, Cin, kh, kw), plus a bias (Cout,).

    The bias is a broadcast add after the conv2d primitive: its gradient is g summed per channel.
    """
    with scope("conv2d"):
        out = apply(OPS["conv2d"], x, w, stride=stride, padding=padding)
        return out if b is None else out + b.reshape(1, -1, 1, 1)


def max_pool2d(x, kernel_size, stride=None):
    """Max over kernel_size windows of x (N, C, H, W); stride defaults to kernel_size, as torch."""
    return apply(OPS["max_pool2d"], x, kernel_size=kernel_size, stride=stride)


def avg_pool2d(x, kernel_size, stride=None):
    """Mean over kernel_size windows of x (N, C, H, W); stride defaults to kernel_size, as torch."""
    return apply(OPS["avg_pool2d"], x, kernel_size=kernel_size, stride=stride)
