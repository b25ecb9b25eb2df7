"""Optimizers: turn each parameter's .grad into an in-place update, with PyTorch's exact rules.

Steps happen after backward, which releases the graph. While a live record still holds a
parameter for its backward, the array is read-only and a step raises instead of corrupting it.
"""
import numpy as np


class Optimizer:
    """Holds the parameters and their per-parameter state; subclasses define `_update`."""

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list; pass "
                             "model.parameters()")
        if lr < 0:
            raise ValueError(f"{type(self).__name__}: lr={lr} must be >= 0")
        self.lr = lr
        self.state = [{} for _ in self.params]     # e.g. momentum buffers, one dict per parameter

    def zero_grad(self):
        """Forget every gradient (.grad = None, as torch's default set_to_none=True)."""
        for p in self.params:
            p.grad = None

    def step(self):
        """Update every parameter that has a gradient; parameters without one are left alone."""
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                _subtract_in_place(p, self._update(p.data, p.grad, state))

    def _update(self, param, grad, state):
        """The amount to subtract from `param`, updating `state`."""
        raise NotImplementedError


def _subtract_in_place(p, delta):
    """p.data -= delta, in place, so arrays shared with the model see the step."""
    try:
        np.subtract(p.data, delta, out=p.data)
    except ValueError as exc:
        if p.data.flags.writeable:
            raise
        raise RuntimeError(f"step: parameter {p.name or ''} {p.shape} is still saved by a "
                           "recorded op that has not run backward yet; call loss.backward() "
                           "(which releases the graph) before optimizer.step()") from exc


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
