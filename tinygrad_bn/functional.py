"""Composites of primitives, PyTorch's `torch.nn.functional` for this engine.

A composite never defines a backward: its graph is made of recorded primitives, so backward,
graphs and step views see every node. One that needs its own backward becomes a primitive.
"""
import numpy as np

from .engine import OPS, Tensor, apply, scope

# --- batch normalization ------------------------------------------------------------------------
def batch_norm(x=None, gamma=None, beta=None, running_mean=None, running_var=None, training=True,
               momentum=0.1, eps=1e-5, fused=False, *, input=None, weight=None, bias=None):
    """Batch Normalization of x (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W) per channel C.

    Statistics per channel over every axis but 1; gamma, beta (C,) or None, each on its own.
    PyTorch's keyword names work too (input=, weight= for gamma, bias= for beta, running_mean=,
    ...), but training=True is our default (PyTorch's F.batch_norm defaults to False): batch mean
    and biased variance, and running_mean/running_var (NumPy arrays, both or neither) updated in
    place as PyTorch does; training=False uses the running statistics. An empty batch gives an
    empty output and leaves them alone. fused=True records the one `batch_norm` primitive instead
    of mean, sub, square, mean, add, sqrt, reciprocal, mul, mul, add.
    """
    x, gamma, beta = (_one_of(*pair) for pair in (("x", x, "input", input),
                                                  ("gamma", gamma, "weight", weight),
                                                  ("beta", beta, "bias", bias)))
    if x is None:
        raise TypeError("batch_norm: missing the input; call batch_norm(x, gamma, beta, ...) "
                        "or batch_norm(input=x, weight=gamma, bias=beta, ...)")
    x = x if isinstance(x, Tensor) else Tensor(x)
    gamma, beta = (t if t is None or isinstance(t, Tensor) else Tensor(t) for t in (gamma, beta))
    axes, shape, count = _bn_check(x, gamma, beta, running_mean, running_var, training, momentum)
    with scope("batch_norm"):
        if not training:
            return _bn_composed(x, gamma, beta, axes, shape, eps, (running_mean, running_var))[0]
        if count == 0:      # an empty batch has no statistics (nor a need): mean 0, var 1
            empty_stats = (np.zeros(shape), np.ones(shape))     # give its empty output
            return _bn_composed(x, gamma, beta, axes, shape, eps, empty_stats)[0]
        if fused:
            out = apply(OPS["batch_norm"], x, *_fused_affine(x, gamma, beta),
                        axes=axes, eps=eps).named("out")
            if running_mean is not None:    # the primitive saves only what backward needs,
                stats = (x.data.mean(axis=axes), x.data.var(axis=axes))   # so recompute these
        else:
            out, mu, var = _bn_composed(x, gamma, beta, axes, shape, eps)
            stats = (mu.data, var.data)
    if running_mean is not None:
        _update_running(running_mean, running_var, *stats, count, momentum)
    return out


def _one_of(ours, value, torch_name, torch_value):
    """The argument given under our name or PyTorch's keyword name (not both)."""
    if value is not None and torch_value is not None:
        raise TypeError(f"batch_norm: got both {ours} and {torch_name}= (PyTorch's name for "
                        f"{ours}); pass one")
    return value if torch_value is None else torch_value


def _fused_affine(x, gamma, beta):
    """The primitive's affine inputs: (), or (gamma, beta) with a constant 1 or 0 for a missing one."""
    if gamma is None and beta is None:
        return ()
    c = x.shape[1]
    return (Tensor(np.ones(c, x.dtype)) if gamma is None else gamma,
            Tensor(np.zeros(c, x.dtype)) if beta is None else beta)


def _bn_composed(x, gamma, beta, axes, shape, eps, running=None):
    """The textbook graph, one named primitive per line -> (out, mu, var).

    With `running` = (mean, var) arrays (eval), mu and var are those constants instead.
    """
    if x.ndim > 2:                              # reshaped first, so the ten stay together
        gamma, beta = (t if t is None else t.reshape(shape) for t in (gamma, beta))
    if running is None:
        mu = x.mean(axis=axes, keepdims=True).named("mu")
        xmu = (x - mu).named("xmu")
        sq = xmu.square().named("sq")
        var = sq.mean(axis=axes, keepdims=True).named("var")
    else:
        mu, var = (Tensor(a.reshape(shape).astype(x.dtype, copy=False)).named(name)
                   for a, name in zip(running, ("mu", "var")))
        xmu = (x - mu).named("xmu")
    eps = Tensor(np.asarray(eps, dtype=x.dtype), name="eps")
    var_eps = (var + eps).named("var_eps")      # eps inside the sqrt: var = 0 stays finite
    sqrtvar = var_eps.sqrt().named("sqrtvar")
    ivar = sqrtvar.reciprocal().named("ivar")
    out = xhat = (xmu * ivar).named("xhat")
    if gamma is not None:
        out = (gamma * xhat).named("gammax")
    if beta is not None:
        out = (out + beta).named("out")
    return out, mu, var


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
                            f"statistics are writable float NumPy arrays updated in place, e.g. "
                            f"np.zeros({c}) and np.ones({c})")
    if not training and running_mean is None:
        raise ValueError("batch_norm: training=False normalizes with running_mean and "
                         "running_var; pass both, or use training=True for batch statistics")
    if training and running_mean is not None and momentum is None:
        raise ValueError("batch_norm: momentum=None (cumulative average) needs the factor "
                         "1/num_batches_tracked; nn.BatchNorm passes it, here pass a number")
    count = int(np.prod([x.shape[i] for i in axes]))
    if training and count == 1:
        raise ValueError(f"batch_norm: input {x.shape} has 1 value per channel in training, so "
                         "its batch variance is 0 and the output would be all beta; use a batch "
                         "with more than one value per channel, or eval mode (training=False / "
                         "module.eval()) to use the running statistics")
    return axes, (1, c) + (1,) * (x.ndim - 2), count


def _update_running(running_mean, running_var, mu, var, n, momentum):
    """PyTorch's rule, in place: running = (1 - momentum) * running + momentum * batch.

    running_var gets the unbiased batch variance var * n / (n - 1).
    """
    running_mean *= 1 - momentum
    running_mean += momentum * mu.reshape(-1)
    running_var *= 1 - momentum
    running_var += momentum * n / (n - 1) * var.reshape(-1)


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
