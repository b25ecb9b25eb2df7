"""Optimizer: parameter groups, per-parameter state, zero_grad and state_dict, as torch.optim.

Updates are in place, so arrays shared with the model see them. A graph still alive (an output
kept without no_grad, a cell that failed before backward) holds the parameter arrays it saved
read-only; then the step writes a fresh array instead (p.data = p.data - delta), as PyTorch allows
the step, and a later backward through that old graph still uses the values its forward saw.
"""
import copy
import warnings

import numpy as np

from ..engine import Tensor
from ..effects import replayable
from ..engine.mode import user_stacklevel
from ..nn.module import clear_grads


class Optimizer:
    """Holds param_groups (dicts: "params" plus every hyper-parameter) and `state` per parameter.

    Subclasses give their defaults, check a group's settings in `_check` and define `_update`.
    Changing group["lr"] (what a scheduler does) takes effect at the next step.
    """

    def __init__(self, params, defaults):
        name = type(self).__name__
        if isinstance(params, Tensor) or isinstance(params, dict):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got one "
                            f"{type(params).__name__}; pass model.parameters() or [w]")
        self.defaults, self.state, self.param_groups = dict(defaults), {}, []
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list; pass model.parameters()")
        for group in groups if isinstance(groups[0], dict) else [{"params": groups}]:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a dict {"params": ..., "lr": ...}; settings it leaves out take the defaults."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group is a dict with 'params', got "
                            f"{type(group).__name__}; e.g. {{'params': model.parameters()}}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        named = bool(params) and all(isinstance(p, tuple) and len(p) == 2 for p in params)
        if named:                                   # model.named_parameters(), as torch 2.x
            group = {**group, "param_names": [k for k, _ in params]}
            params = [p for _, p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor; "
                                "pass model.parameters()")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (parameter {i}, "
                                 f"{p.shape}, made by {p.op}); optimize the leaf it came from, "
                                 "or w.detach().requires_grad_()")
        group = {**self.defaults, **group, "params": _distinct(params, name)}
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in group["params"]):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group; "
                             "give each parameter to one group only")
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group):
        """ValueError for settings torch refuses (lr < 0, ...); subclasses add theirs."""
        _at_least_zero(type(self).__name__, group, "lr", "weight_decay")

    @replayable
    def zero_grad(self, set_to_none=True):
        """Forget every gradient (.grad = None, torch's default), or zero them in place with
        set_to_none=False."""
        clear_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    @replayable
    def step(self, closure=None):
        """Update every parameter that has a gradient; parameters without one are left alone.

        closure: a function that recomputes and returns the loss (called first), as torch.
        """
        loss = None if closure is None else closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    _subtract(p, self._update(p.data, p.grad, self.state.setdefault(p, {}), group))
        return loss

    def _update(self, param, grad, state, group):
        """The amount to subtract from `param`, updating `state`, with `group`'s settings."""
        raise NotImplementedError

    def state_dict(self):
        """{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}, as torch:
        parameters are numbered in group order, so a new optimizer over a new model loads it."""
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        groups = [{**g, "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": copy.deepcopy(groups)}

    def load_state_dict(self, state_dict):
        """Take the settings and state of `state_dict` (from state_dict()) for the same groups;
        float state is cast to its parameter's dtype, as torch."""
        name, groups = type(self).__name__, state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(groups)} "
                             f"parameter groups, this optimizer {len(self.param_groups)}; build "
                             "the optimizer as the one that was saved")
        sizes = [(len(s["params"]), len(g["params"])) for s, g in zip(groups, self.param_groups)]
        if any(a != b for a, b in sizes):
            raise ValueError(f"{name}.load_state_dict: saved groups hold {[a for a, _ in sizes]} "
                             f"parameters, this optimizer's {[b for _, b in sizes]}; build it "
                             "over the same model")
        params = {}
        for saved, group in zip(groups, self.param_groups):
            params.update(zip(saved["params"], group["params"]))
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = {params[i]: {k: _cast_like(v, params[i]) for k, v in s.items()}
                      for i, s in state_dict["state"].items()}


def _at_least_zero(optimizer, group, *names):
    for key in names:
        if group[key] < 0:
            raise ValueError(f"{optimizer}: invalid {key}={group[key]}; it must be >= 0")


def _cast_like(value, param):
    """A copy of a saved state value; float arrays in the parameter's dtype."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(param.dtype)
    return copy.deepcopy(value)


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
