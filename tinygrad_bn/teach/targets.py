"""What the graph, stepper, explain and slides commands draw: a built-in example (bn, mlp, cnn,
and BN's family layernorm, groupnorm, instancenorm) or the user's own `path/to/file.py:function`,
a function with no arguments returning a scalar loss.

Every target is built after `manual_seed(seed)`, so two runs (the slides, the handout, the live
stepper) show the same numbers.
"""
import importlib.util
import inspect
import itertools
import sys
from pathlib import Path

import numpy as np

from ..creation import manual_seed
from ..engine import Tensor
from .sample_graphs import EXAMPLES, example_loss

# BN's family on small inputs: the same chain as `bn`, reducing other axes (x shape, channels)
NORMS = {"layernorm": ((4, 2), 2), "groupnorm": ((2, 4, 3), 4), "instancenorm": ((2, 2, 3), 2)}


_loads = itertools.count()     # each load a fresh module, as each run of a script is


class TargetError(ValueError):
    """A TARGET that names no example, no file or no function, or whose function fails."""


def load_target(target, fused=False, seed=0):
    """TARGET -> its scalar loss Tensor, built fresh after manual_seed(seed) (same seed, same numbers)."""
    manual_seed(seed)
    if target in EXAMPLES:
        return example_loss(target, fused=fused, seed=seed)
    if target in NORMS:
        return norm_loss(target, seed)
    if ":" not in target:
        raise TargetError(f"unknown target {target!r}: use a built-in example "
                          f"({', '.join((*EXAMPLES, *NORMS))}) or path/to/file.py:function")
    path, name = target.rsplit(":", 1)
    return _call(target, _function(Path(path), name))


def norm_loss(name, seed=0):
    """layernorm (over each row's features), groupnorm (2 groups of 2 channels) or instancenorm
    (over each sample's length), then a weighted mean: compare the graph with `bn`'s."""
    from .. import functional as F
    shape, c = NORMS[name]
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal(shape) * 2 + 1, requires_grad=True, name="x")
    gamma = Tensor(rng.uniform(0.5, 1.5, c), requires_grad=True, name="gamma")
    beta = Tensor(rng.standard_normal(c), requires_grad=True, name="beta")
    w = Tensor(rng.standard_normal(shape), name="w")
    out = {"layernorm": lambda: F.layer_norm(x, (c,), gamma, beta),
           "groupnorm": lambda: F.group_norm(x, 2, gamma, beta),
           "instancenorm": lambda: F.instance_norm(x, weight=gamma, bias=beta)}[name]()
    return (out * w).mean().named("loss")


def _import(path):
    """Run the file as Python runs a script's module: its folder on sys.path (sibling imports
    work) and the module in sys.modules under a unique name (dataclasses and pickling find it)."""
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = f"_tinygrad_bn_target_{next(_loads)}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise TargetError(f"importing {path} raised {type(exc).__name__}: {exc}") from None
    return module


def _function(path, name):
    """The function `name` defined in the Python file `path`, imported as a fresh module."""
    if path.suffix != ".py" or not path.is_file():
        raise TargetError(f"{path}: no such Python file; TARGET is path/to/file.py:function")
    module = _import(path)
    fn = getattr(module, name, None)
    if not callable(fn):
        found = sorted(k for k, v in vars(module).items()
                       if inspect.isfunction(v) and v.__module__ == module.__name__)
        raise TargetError(f"{path} has no function {name!r}; its functions: "
                          f"{', '.join(found) or 'none'}")
    required = [p.name for p in inspect.signature(fn).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if required:
        raise TargetError(f"{path}:{name} needs arguments ({', '.join(required)}); give it none "
                          "(build the data inside) or defaults")
    return fn


def _call(target, fn):
    """fn(), checked to be a scalar Tensor that requires grad (a loss backward can start from)."""
    try:
        loss = fn()
    except Exception as exc:
        raise TargetError(f"{target}: calling it raised {type(exc).__name__}: {exc}") from None
    if type(loss).__module__.split(".")[0] == "torch":
        raise TargetError(f"{target} returned a torch {type(loss).__name__}, not a tinygrad_bn "
                          "Tensor; build the model with tinygrad_bn (nn, functional), or convert "
                          "a value with tg.Tensor(t.detach().numpy())")
    if not isinstance(loss, Tensor):
        raise TargetError(f"{target} returned {type(loss).__name__}, not a Tensor; return the loss "
                          "Tensor itself")
    if loss.size != 1:
        raise TargetError(f"{target} returned a Tensor of shape {loss.shape}, not a scalar loss; "
                          "reduce it first, e.g. return out.mean()")
    if not loss.requires_grad:
        raise TargetError(f"{target} returned a loss that does not require grad; create the inputs "
                          "or parameters with requires_grad=True (nn layers do)")
    return loss
