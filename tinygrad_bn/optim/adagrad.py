"""Adagrad (Duchi et al.): per-coordinate step sizes from the sum of all squared gradients so
far, with torch.optim.Adagrad's exact rule and state names."""
import numpy as np

from .optimizer import Optimizer, _at_least_zero


class Adagrad(Optimizer):
    """Step sizes shrinking with the sum of all squared gradients so far, as torch.optim.Adagrad.

    g = grad + wd*p; clr = lr / (1 + (step-1)*lr_decay); sum += g*g;
    p -= clr * g / (sqrt(sum) + eps).
    The sums start at initial_accumulator_value, made for every parameter at construction.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))
        for group in self.param_groups:             # torch's state exists before any step
            for p in group["params"]:
                self.state[p] = _fresh_state(p.data, group)

    def _check(self, group):
        _at_least_zero("Adagrad", group, "lr", "lr_decay", "weight_decay",
                       "initial_accumulator_value", "eps")

    def _update(self, param, grad, state, group):
        if "sum" not in state:                      # a group added after construction
            state.update(_fresh_state(param, group))
        grad = -grad if group["maximize"] else grad
        g = grad + group["weight_decay"] * param if group["weight_decay"] else grad
        step = state["step"] = state["step"] + 1
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state["sum"] += g * g
        return clr * (g / (np.sqrt(state["sum"]) + group["eps"]))


def _fresh_state(param, group):
    """Adagrad's state before its first step: step 0 and the sums at initial_accumulator_value."""
    return {"step": 0, "sum": np.full_like(param, group["initial_accumulator_value"])}
