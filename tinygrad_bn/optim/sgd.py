"""SGD with momentum, dampening, Nesterov and L2 weight decay, with torch.optim.SGD's rules."""
from .optimizer import Optimizer, _at_least_zero


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay.

    As torch.optim.SGD: d = g + wd*p; buf = d (first step) else momentum*buf + (1-dampening)*d;
    d = d + momentum*buf (nesterov) or buf; p -= lr*d (maximize: g -> -g). Settings per group:
    SGD([{"params": a, "lr": 0.1}, {"params": b}], lr=0.01, momentum=0.9).
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check(self, group):
        _at_least_zero("SGD", group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, param, grad, state, group):
        momentum, dampening, wd = group["momentum"], group["dampening"], group["weight_decay"]
        grad = -grad if group["maximize"] else grad
        d = grad + wd * param if wd else grad
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = d.copy()
            else:                                   # in place, in torch's order: mul_ then add_
                buf *= momentum
                buf += d if dampening == 0 else (1 - dampening) * d
            d = d + momentum * buf if group["nesterov"] else buf
        return group["lr"] * d
