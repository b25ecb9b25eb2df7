"""Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay), as torch."""
import numpy as np

from .optimizer import Optimizer, _at_least_zero


class Adam(Optimizer):
    """Adam with bias correction, L2 weight decay added to the gradient (torch's Adam, not AdamW).

    m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; p -= lr/(1-b1**t) * m / (sqrt(v/(1-b2**t)) + eps);
    amsgrad uses the running max of v instead of v; maximize ascends (g -> -g).
    """

    decoupled = False           # AdamW: weight decay shrinks p directly, not through g

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _check(self, group):
        name = type(self).__name__
        _at_least_zero(name, group, "lr", "eps", "weight_decay")
        for i, b in enumerate(group["betas"]):
            if not 0 <= b < 1:
                raise ValueError(f"{name}: invalid beta at index {i}: betas={group['betas']} "
                                 "must both be in [0, 1), e.g. (0.9, 0.999)")

    def _update(self, param, grad, state, group):
        (b1, b2), lr, wd = group["betas"], group["lr"], group["weight_decay"]
        grad = -grad if group["maximize"] else grad
        g = grad + wd * param if wd and not self.decoupled else grad
        t = state["step"] = state.get("step", 0) + 1
        m = state.get("exp_avg", 0.0)
        m = state["exp_avg"] = m + (1 - b1) * (g - m)       # torch's lerp: same rounding
        v = state["exp_avg_sq"] = b2 * state.get("exp_avg_sq", 0.0) + (1 - b2) * g * g
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
        denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + group["eps"]
        step = (lr / (1 - b1 ** t)) * (m / denom)
        return step + (lr * wd) * param if wd and self.decoupled else step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW.

    p -= lr*wd*p, then Adam's step without wd in the gradient; weight_decay defaults to 0.01.
    """

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
