"""Gradient clipping, as torch.nn.utils: rescale or clamp the .grad of parameters in place
between backward and the optimizer's step (the usual cure for exploding gradients in RNNs).

Both change gradients outside the recorded ops, so each is a replayable effect: tg.jit runs
it again on every replay, like the optimizer's step.
"""

import numpy as np

from ..effects import replayable
from ..engine import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)), as torch; returns
    total_norm, the norm_type-norm of all gradients seen as one vector (a 0-d Tensor).

    norm_type: a number, or inf (the largest |g|). error_if_nonfinite=True raises instead of
    scaling by a nan or inf norm. foreach is accepted for torch code and changes nothing.
    """
    return _clip_norm(_listed(parameters, "clip_grad_norm_"), float(max_norm), float(norm_type),
                      error_if_nonfinite)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value] in place, as torch; returns
    None."""
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value={clip_value}; it must be >= 0 (the "
                         "bound on |g|)")
    _clip_value(_listed(parameters, "clip_grad_value_"), float(clip_value))


def _listed(parameters, op):
    """parameters (one Tensor, or any iterable of them) as a list, checked."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: parameter {i} is a {type(p).__name__}, not a Tensor; pass "
                            "model.parameters()")
    return params


@replayable
def _clip_norm(params, max_norm, norm_type, error_if_nonfinite):
    grads = [_array(p.grad) for p in params if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    total = _norm(np.array([_norm(g, norm_type) for g in grads]), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is {total}, non-finite, so it cannot be clipped; find the "
                           "nan/inf gradient (tg.detect_anomaly()), or set "
                           "error_if_nonfinite=False to scale by it anyway (as torch)")
    coef = min(max_norm / (total + 1e-6), 1.0)      # always multiplied, as torch (no branch)
    for p in params:
        if p.grad is not None:
            _set_grad(p, _array(p.grad) * np.asarray(coef, _array(p.grad).dtype))
    return Tensor(np.asarray(total, grads[0].dtype))


@replayable
def _clip_value(params, clip_value):
    for p in params:
        if p.grad is not None:
            _set_grad(p, np.clip(_array(p.grad), -clip_value, clip_value))


def _norm(a, p):
    """The p-norm of the array a seen as a vector, as torch.linalg.vector_norm (0 if empty)."""
    a = np.ravel(a)
    return np.linalg.norm(a, ord=p) if a.size else a.dtype.type(0)


def _array(grad):
    return grad.data if isinstance(grad, Tensor) else np.asarray(grad)


def _set_grad(p, new):
    """Write new into p.grad in place when it is a writable array (torch's mul_), else replace
    it."""
    if isinstance(p.grad, np.ndarray) and p.grad.flags.writeable:
        p.grad[...] = new
    else:
        p.grad = new
