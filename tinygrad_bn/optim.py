"""Optimizers: turn each parameter's .grad into an update, with PyTorch's exact rules.

Updates are in place, so arrays shared with the model see them. A graph still alive (an output
kept without no_grad, a cell that failed before backward) holds the parameter arrays it saved
read-only; then the step writes a fresh array instead (p.data = p.data - delta), as PyTorch allows
the step, and a later backward through that old graph still uses the values its forward saw.
"""
import warnings

import numpy as np

from .effects import replayable
from .engine.mode import user_stacklevel


class Optimizer:
    """Holds the parameters and their per-parameter state; subclasses define `_update`."""

    def __init__(self, params, lr):
        self.params = _distinct(list(params), type(self).__name__)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list; pass "
                             "model.parameters()")
        if lr < 0:
            raise ValueError(f"{type(self).__name__}: lr={lr} must be >= 0")
        self.lr = lr
        self.state = [{} for _ in self.params]     # e.g. momentum buffers, one dict per parameter

    @replayable
    def zero_grad(self):
        """Forget every gradient (.grad = None, as torch's default set_to_none=True)."""
        for p in self.params:
            p.grad = None

    @replayable
    def step(self):
        """Update every parameter that has a gradient; parameters without one are left alone."""
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                _subtract(p, self._update(p.data, p.grad, state))

    def _update(self, param, grad, state):
        """The amount to subtract from `param`, updating `state`."""
        raise NotImplementedError


def _distinct(params, optimizer):
    """params with repeats dropped (first kept), warning that a repeated one is updated once."""
    seen, out = set(), []
    for i, p in enumerate(params):
        if id(p) in seen:
            warnings.warn(f"{optimizer}: parameter {i} ({p.name or 'unnamed'} {p.shape}) is "
                          "already in the list (tied weights?); it is updated once per step (torch "
                          "warns and updates it twice); pass model.parameters(), which lists each "
                          "parameter once", stacklevel=user_stacklevel())
            continue
        seen.add(id(p))
        out.append(p)
    return out


def _subtract(p, delta):
    """p.data -= delta: in place, or into a fresh array while a live graph keeps the old one."""
    if _writable(p.data):
        np.subtract(p.data, delta, out=p.data)
    else:
        fresh = p.data.copy()                    # same dtype and rounding as the in-place step
        np.subtract(fresh, delta, out=fresh)
        p.data = fresh


def _writable(a):
    """True when writing `a` cannot change an array a recorded op saved (saving makes the owner
    of the memory read-only, and a view keeps its own flag)."""
    while isinstance(a, np.ndarray):
        if not a.flags.writeable:
            return False
        a = a.base
    return True


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay.

    As torch.optim.SGD: d = g + wd*p; buf = d (first step) else momentum*buf + (1-dampening)*d;
    d = d + momentum*buf (nesterov) or buf; p -= lr*d.
    """

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum}, dampening={dampening}")
        self.momentum, self.dampening = momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov

    def _update(self, param, grad, state):
        d = grad + self.weight_decay * param if self.weight_decay else grad
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = d.copy()
            else:                                   # in place, in torch's order: mul_ then add_
                buf *= self.momentum
                buf += d if self.dampening == 0 else (1 - self.dampening) * d
            d = d + self.momentum * buf if self.nesterov else buf
        return self.lr * d


class Adam(Optimizer):
    """Adam with bias correction and L2 weight decay added to the gradient (torch's Adam, not AdamW).

    m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; p -= lr/(1-b1**t) * m / (sqrt(v/(1-b2**t)) + eps);
    amsgrad uses the running max of v instead of v.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False):
        super().__init__(params, lr)
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: betas={betas} must both be in [0, 1)")
        self.betas, self.eps, self.weight_decay, self.amsgrad = betas, eps, weight_decay, amsgrad

    def _update(self, param, grad, state):
        (b1, b2), g = self.betas, grad + self.weight_decay * param if self.weight_decay else grad
        t = state["step"] = state.get("step", 0) + 1
        m = state.get("exp_avg", 0.0)
        m = state["exp_avg"] = m + (1 - b1) * (g - m)       # torch's lerp: same rounding
        v = state["exp_avg_sq"] = b2 * state.get("exp_avg_sq", 0.0) + (1 - b2) * g * g
        if self.amsgrad:
            v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
        denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + self.eps
        return (self.lr / (1 - b1 ** t)) * (m / denom)
