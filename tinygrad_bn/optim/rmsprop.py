"""RMSprop (Hinton's lecture 6e): per-coordinate step sizes from a running mean of squared
gradients, with torch.optim.RMSprop's exact rule and state names."""
import numpy as np

from .optimizer import Optimizer, _at_least_zero


class RMSprop(Optimizer):
    """Divide the gradient by a running RMS of recent gradients, as torch.optim.RMSprop.

    g = grad + wd*p; v = alpha*v + (1-alpha)*g*g; centered: m = lerp(m, g, 1-alpha) and
    avg = sqrt(v - m*m) (the variance), else avg = sqrt(v); avg += eps; then with momentum
    buf = momentum*buf + g/avg and p -= lr*buf, else p -= lr * g/avg (maximize: g -> -g).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _check(self, group):
        _at_least_zero("RMSprop", group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def _update(self, param, grad, state, group):
        alpha, eps, wd, momentum = (group[k] for k in ("alpha", "eps", "weight_decay", "momentum"))
        grad = -grad if group["maximize"] else grad
        g = grad + wd * param if wd else grad
        state["step"] = state.get("step", 0) + 1
        v = state.setdefault("square_avg", np.zeros_like(param))
        v *= alpha                                  # in place, in torch's order
        v += (1 - alpha) * (g * g)
        if group["centered"]:
            m = state.setdefault("grad_avg", np.zeros_like(param))
            m += (1 - alpha) * (g - m)              # torch's lerp (weight < 0.5): same rounding
            avg = np.sqrt(v - m * m) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(param))
            buf *= momentum
            buf += g / avg
            return group["lr"] * buf
        return group["lr"] * (g / avg)
