"""BN running-statistics conventions (PyTorch = ours, Keras, cs231n, the study notes), side by side.

They disagree on which value `momentum` weights, the initial running_var, biased or unbiased
batch variance, and whether eps is stored inside running_var. Same maths, different numbers.
"""
from dataclasses import dataclass

import numpy as np

from .reference import per_feature, reduce_axes


@dataclass(frozen=True)
class Convention:
    """One way to keep running stats: running = a * running + b * batch, as the source writes it."""
    name: str
    momentum: float       # the number as the framework spells it
    weights_old: bool     # True: momentum weights the old running value (Keras, cs231n, the notes)
    init_var: float       # running_var before the first batch (running_mean always starts at 0)
    unbiased: bool        # batch variance with 1/(n-1) (Bessel) instead of 1/n
    eps_in_var: bool      # eps folded into the stored variance; eval then divides by sqrt(var)

    @property
    def new_weight(self):
        """Weight of the new batch value: our (PyTorch's) momentum for this convention."""
        return 1 - self.momentum if self.weights_old else self.momentum


PYTORCH = Convention("pytorch (ours)", 0.1, False, 1.0, True, False)
KERAS = Convention("keras", 0.99, True, 1.0, False, False)       # Keras 3: ops.moments, biased
CS231N = Convention("cs231n (note 004)", 0.9, True, 0.0, False, False)
EPS_FOLDED = Convention("note 001 (eps folded)", 0.9, True, 0.0, False, True)
CONVENTIONS = (PYTORCH, KERAS, CS231N, EPS_FOLDED)


def batch_stats(x):
    """Per-feature mean, biased variance and count n of one (N, D) or (N, C, H, W) batch."""
    axes = reduce_axes(x.ndim)
    return x.mean(axis=axes), x.var(axis=axes), x.size // x.shape[1]


def running_stats(conv, batches, eps=1e-5):
    """Feed the batches through one convention's update; returns (running_mean, running_var)."""
    mean, var = np.zeros(batches[0].shape[1]), np.full(batches[0].shape[1], conv.init_var)
    for x in batches:
        mu, v, n = batch_stats(x)
        if conv.unbiased:
            if n < 2:
                raise ValueError(f"{conv.name}: unbiased variance needs n >= 2 values per "
                                 f"feature, batch {x.shape} has {n}; use a bigger batch")
            v = v * n / (n - 1)
        v = v + eps if conv.eps_in_var else v
        m = conv.momentum
        a, b = (m, 1 - m) if conv.weights_old else (1 - m, m)
        mean, var = a * mean + b * mu, a * var + b * v
    return mean, var


def to_ours(conv, running_var, steps, n, eps=1e-5):
    """The running_var our BN (momentum=conv.new_weight) would hold after the same batches.

    Exact when each of the `steps` batches had n values per feature: remove the initial value
    and any folded eps, rescale biased variances by n/(n-1), put our initial 1 back.
    Running means need no mapping: all start at 0 and only the momentum spelling differs.
    """
    decay = (1 - conv.new_weight) ** steps
    s = np.asarray(running_var, dtype=np.float64) - conv.init_var * decay
    s = s - eps * (1 - decay) if conv.eps_in_var else s
    return decay + (s if conv.unbiased else s * n / (n - 1))


def eval_output(conv, x, running_mean, running_var, gamma, beta, eps=1e-5):
    """Eval-mode BN under a convention: eps is added here unless it is already in running_var."""
    mean, var, gamma, beta = (per_feature(v, x.ndim) for v in (running_mean, running_var,
                                                               gamma, beta))
    var_eps = var + (0.0 if conv.eps_in_var else eps)
    return (x - mean) / np.sqrt(var_eps) * gamma + beta


def _fmt(a):
    return np.array2string(np.asarray(a).ravel(), precision=5, floatmode="maxprec", separator=" ")


def compare_conventions(batches, x_eval, gamma=None, beta=None, eps=1e-5):
    """A printable table: the same batches under each convention, and mapped onto ours.

    Equal batch sizes are assumed for the mapping column; eval rows use x_eval[0].
    """
    d = batches[0].shape[1]
    gamma = np.ones(d) if gamma is None else gamma
    beta = np.zeros(d) if beta is None else beta
    n = batch_stats(batches[0])[2]
    lines = [f"{len(batches)} batches of {n} values per feature, eps={eps}",
             f"{'convention':<22} {'spelled':<18} {'ours':<10} {'init var':>8} {'var':>9} "
             f"{'eps kept':>8} | running_mean | running_var | running_var as ours | eval x[0]"]
    for c in CONVENTIONS:
        mean, var = running_stats(c, batches, eps)
        spelled = f"momentum={c.momentum} " + ("old" if c.weights_old else "new")
        y = eval_output(c, x_eval, mean, var, gamma, beta, eps)[0]
        lines.append(f"{c.name:<22} {spelled:<18} {'m=' + format(c.new_weight, '.3g'):<10} "
                     f"{c.init_var:>8} {'1/(n-1)' if c.unbiased else '1/n':>9} "
                     f"{'yes' if c.eps_in_var else 'no':>8} | {_fmt(mean)} | {_fmt(var)} | "
                     f"{_fmt(to_ours(c, var, len(batches), n, eps))} | {_fmt(y)}")
    return "\n".join(lines)
