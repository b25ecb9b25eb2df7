"""Central-difference gradient checks in float64, with a readable table of the worst mismatches:
gradcheck for first derivatives, gradgradcheck for second ones (the gradients, differentiated)."""
import warnings

import numpy as np

from .autograd import grad
from .engine import Tensor, concatenate, enable_grad, no_grad
from .engine.mode import user_stacklevel


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree; the message holds the table."""


def _copy64(arg):
    if isinstance(arg, Tensor) and arg.dtype.kind == "f":
        data = np.array(arg.data, dtype=np.float64, order="C")   # C order: reshape(-1) is a view
        return Tensor(data, requires_grad=arg.requires_grad, name=arg.name)
    return arg


def gradcheck(fn, *tensors, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0, worst=8):
    """Check d(sum(fn(*tensors) * v))/dt for every tensor t with requires_grad, v random.

    Runs on float64 copies (a float32 check is too coarse to mean anything: it warns, like
    PyTorch). Returns True, or raises GradcheckError with the worst mismatches as a table.
    """
    if any(isinstance(t, Tensor) and t.dtype == np.float32 for t in tensors):
        warnings.warn("gradcheck: float32 inputs are checked as float64 copies; central "
                      "differences in float32 are too coarse to trust", stacklevel=user_stacklevel())
    args = [_copy64(t) for t in tensors]
    checked = _checked(args, "gradcheck")
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return _compare("gradcheck", fn, args, checked, out, eps, atol, rtol, seed, worst)


def gradgradcheck(fn, *tensors, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0, worst=8):
    """Check second derivatives: gradcheck of the first-order gradients of fn (taken with
    create_graph=True against a random upstream grad v), as functions of the tensors and of v.

    Same float64 copies and worst-mismatch table as gradcheck (as torch.autograd.gradgradcheck).
    Returns True, or raises GradcheckError.
    """
    args = [_copy64(t) for t in tensors]
    checked = _checked(args, "gradgradcheck")
    with enable_grad():
        shape = fn(*args).shape
    v = Tensor(np.random.default_rng(seed + 1).standard_normal(shape), requires_grad=True,
               name="grad_output")

    def gradients(*xs):
        *inputs, v = xs
        with enable_grad():
            wrt = [inputs[i] for i in checked]
            grads = grad(fn(*inputs), wrt, v, create_graph=True, allow_unused=True)
            return concatenate([Tensor(np.zeros(t.size)) if g is None else g.reshape(-1)
                                for t, g in zip(wrt, grads)])

    out = gradients(*args, v)
    return _compare("gradgradcheck", gradients, [*args, v], checked + [len(args)], out, eps,
                    atol, rtol, seed, worst)


def _checked(args, what):
    """Positions of the float tensors with requires_grad; raises if there is none."""
    checked = [i for i, t in enumerate(args) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError(f"{what}: no input has requires_grad=True, so there is nothing to "
                         "check; create the tensors to check with requires_grad=True")
    return checked


def _compare(what, fn, args, checked, out, eps, atol, rtol, seed, worst):
    """Analytic d(sum(out * v))/dt (one backward) against central differences of fn, for each
    checked t; True, or GradcheckError with the table."""
    v = np.random.default_rng(seed).standard_normal(out.shape)
    if out.requires_grad or what == "gradcheck":    # gradients of a zero-derivative op are
        out.backward(v)                             # constants: their derivative is 0

    rows = []
    for i in checked:
        t = args[i]
        analytic = np.zeros_like(t.data) if t.grad is None else t.grad
        numeric = np.zeros_like(t.data)
        flat = t.data.reshape(-1)            # a view: writing it perturbs t.data
        with no_grad():
            for j in range(flat.size):       # a loop, never recursion
                orig = flat[j]
                flat[j] = orig + eps
                plus = float(np.sum(fn(*args).data * v))
                flat[j] = orig - eps
                minus = float(np.sum(fn(*args).data * v))
                flat[j] = orig
                numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        err = np.abs(analytic - numeric)
        bad = err > atol + rtol * np.abs(numeric)
        for j in np.flatnonzero(bad.reshape(-1)):
            idx = np.unravel_index(j, t.shape)
            a, n = analytic.reshape(-1)[j], numeric.reshape(-1)[j]
            rows.append((err.reshape(-1)[j], t.name or f"input {i}", idx, a, n))
    if not rows:
        return True
    rows.sort(key=lambda r: -r[0])
    lines = [f"{'input':<12} {'index':<14} {'analytic':>14} {'numeric':>14} {'abs err':>10} "
             f"{'rel err':>10}"]
    for e, name, idx, a, n in rows[:worst]:
        lines.append(f"{name:<12} {str(tuple(int(k) for k in idx)):<14} {a:>14.6g} {n:>14.6g} "
                     f"{e:>10.3g} {e / abs(n) if n else np.inf:>10.3g}")
    raise GradcheckError(f"{what}: {len(rows)} gradient entries disagree "
                         f"(atol={atol}, rtol={rtol}); worst {min(worst, len(rows))}:\n"
                         + "\n".join(lines) + "\nAn analytic gradient of 0 or too small often means a "
                         "value went through .data or NumPy and left the graph; otherwise check "
                         "the op's backward")
