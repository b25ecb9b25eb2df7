"""Models to and from PyTorch: `to_torch(model)` and `from_torch(module)` build the same tree of
layers on the other side, with the same settings, weights, buffers and train/eval modes.

One table, LAYERS, pairs each layer type with its torch.nn class (same name) and says how its
constructor arguments are read; adding a layer type is one entry. PyTorch stays optional: it is
imported when a conversion runs, never when tinygrad_bn is.
"""
import collections
from typing import NamedTuple

import numpy as np

from . import nn
from .engine import Tensor

__all__ = ["to_torch", "from_torch", "Layer", "LAYERS"]


class Layer(NamedTuple):
    """One row of the table: a layer type, as tinygrad_bn.nn.<name> and torch.nn.<name>.

    settings: constructor arguments that both keep as attributes of the same name and meaning.
    flags:    constructor flags kept as the tensor they create (bias=False keeps bias None).
    children: how a container passes its children to the constructor: "args" (Sequential(*m)),
              "list" (ModuleList([...])) or "dict" (ModuleDict({...})); None for a layer.
    ours_only: our constructor arguments torch has no counterpart for; they never change
              outputs (from_torch leaves their defaults; e.g. fused BN computes the same), and
              torch's factory keywords device and dtype (the copied arrays carry the dtype).
    """
    ours: type
    settings: tuple = ()
    flags: tuple = ()
    children: str = None
    ours_only: tuple = ()


_FACTORY = ("device", "dtype")
_SEEDED = ("generator",) + _FACTORY      # layers that draw their initial weights
_BN = ("num_features", "eps", "momentum", "affine", "track_running_stats")
_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
         "padding_mode")
_MAX_POOL = ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")
_AVG_POOL = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
LAYERS = [
    Layer(nn.Sequential, children="args"),
    Layer(nn.ModuleList, children="list"),
    Layer(nn.ModuleDict, children="dict"),
    Layer(nn.Linear, ("in_features", "out_features"), ("bias",), ours_only=_SEEDED),
    Layer(nn.Conv1d, _CONV, ("bias",), ours_only=_SEEDED),
    Layer(nn.Conv2d, _CONV, ("bias",), ours_only=_SEEDED),
    Layer(nn.ConvTranspose1d, _CONV + ("output_padding",), ("bias",), ours_only=_SEEDED),
    Layer(nn.ConvTranspose2d, _CONV + ("output_padding",), ("bias",), ours_only=_SEEDED),
    Layer(nn.BatchNorm1d, _BN, ours_only=("fused",) + _FACTORY),
    Layer(nn.BatchNorm2d, _BN, ours_only=("fused",) + _FACTORY),
    Layer(nn.BatchNorm3d, _BN, ours_only=("fused",) + _FACTORY),
    Layer(nn.LayerNorm, ("normalized_shape", "eps", "elementwise_affine"), ("bias",),
          ours_only=_FACTORY),
    Layer(nn.GroupNorm, ("num_groups", "num_channels", "eps", "affine"), ours_only=_FACTORY),
    Layer(nn.InstanceNorm1d, _BN, ours_only=_FACTORY),
    Layer(nn.InstanceNorm2d, _BN, ours_only=_FACTORY),
    Layer(nn.Embedding, ("num_embeddings", "embedding_dim", "padding_idx"),
          ours_only=_SEEDED),
    Layer(nn.Identity),
    Layer(nn.ReLU, ("inplace",)),
    Layer(nn.Sigmoid),
    Layer(nn.Tanh),
    Layer(nn.Flatten, ("start_dim", "end_dim")),
    Layer(nn.Dropout, ("p", "inplace"), ours_only=("generator",)),
    Layer(nn.Dropout2d, ("p", "inplace"), ours_only=("generator",)),
    Layer(nn.Unflatten, ("dim", "unflattened_size")),
    Layer(nn.MaxPool1d, _MAX_POOL),
    Layer(nn.MaxPool2d, _MAX_POOL),
    Layer(nn.AvgPool1d, _AVG_POOL),
    Layer(nn.AvgPool2d, _AVG_POOL + ("divisor_override",)),
    Layer(nn.AdaptiveAvgPool2d, ("output_size",)),
    # activations with torch's constructor arguments (nn/activation.py); losses are not layers
    Layer(nn.LeakyReLU, ("negative_slope", "inplace")),
    Layer(nn.ELU, ("alpha", "inplace")),
    Layer(nn.Hardtanh, ("min_val", "max_val", "inplace")),
    Layer(nn.ReLU6, ("inplace",)),
    Layer(nn.Softplus, ("beta", "threshold")),
    Layer(nn.SiLU, ("inplace",)),
    Layer(nn.GELU, ("approximate",)),
    Layer(nn.LogSigmoid),
    Layer(nn.Hardsigmoid, ("inplace",)),
    Layer(nn.Hardswish, ("inplace",)),
    Layer(nn.Mish, ("inplace",)),
    Layer(nn.Softmax, ("dim",)),
    Layer(nn.LogSoftmax, ("dim",)),
    Layer(nn.Softmin, ("dim",)),
]


def to_torch(model):
    """The torch.nn.Module equivalent to `model`: same tree, settings, parameters (dtype and
    requires_grad included), buffers and train/eval mode of every module."""
    return _convert(model, _Ours(), _Torch(_import_torch()), "to_torch")


def from_torch(module):
    """The tinygrad_bn model equivalent to the torch `module` (Sequential/ModuleList/ModuleDict
    trees of the layers in LAYERS): same settings, weights, buffers, dtypes and modes."""
    return _convert(module, _Torch(_import_torch()), _Ours(), "from_torch")


def _import_torch():
    """torch, or an ImportError that says how to install it (it is an optional dependency)."""
    try:
        import torch
    except ImportError as e:
        raise ImportError("tinygrad_bn.interop needs PyTorch, an optional dependency: "
                          "pip install torch (or pip install 'tinygrad_bn[torch]')") from e
    return torch


def _convert(root, src, dst, op):
    """Build `root`'s tree on the other side, module by module; a module or parameter reached
    twice (shared layers, tied weights) is converted once and shared the same way."""
    if not isinstance(root, src.base):
        other = "from_torch" if op == "to_torch" else "to_torch"
        raise TypeError(f"{op} takes a {src.label}, not a "
                        f"{type(root).__module__}.{type(root).__name__}; did you mean {other}?")
    done = {}

    def convert(m, path):
        if id(m) in done:
            return done[id(m)]
        layer = src.layer_of(m)
        if layer is None:
            known = ", ".join(row.ours.__name__ for row in LAYERS)
            raise TypeError(f"{op}: no counterpart for {type(m).__module__}.{type(m).__name__} "
                            f"at {_where(path)}; tinygrad_bn converts trees of {known}. Fix: build "
                            "the model from those layers, or build it on both sides by hand and "
                            "copy the weights with tg.save / tg.load (names match PyTorch's)")
        kids = [(k, convert(c, f"{path}.{k}" if path else k)) for k, c in _items(m, layer)]
        new = dst.build(layer, _settings(m, layer), kids)
        _copy_state(m, new, src, dst, done, path)
        _check_alike(m, new, src, dst, layer, f"{op}: {type(m).__name__} at {_where(path)}")
        new.training = m.training
        done[id(m)] = new
        return new
    return convert(root, "")


def _check_alike(m, new, src, dst, layer, where):
    """ValueError unless `new` has m's child names, settings, parameter and buffer names."""
    names = ([k for k, _ in m.named_children()], [k for k, _ in new.named_children()])
    if names[0] != names[1]:
        raise ValueError(f"{where} names its children {names[0]}, but the converted one names "
                         f"them {names[1]}, so weight names would change")
    src.check_supported(m, new, layer, where)
    held = [sorted(k for k, _ in side.parameters(x) + side.buffers(x))
            for side, x in ((src, m), (dst, new))]
    if held[0] != held[1]:                           # e.g. torch's BatchNorm1d(bias=False)
        raise ValueError(f"{where} holds {held[0]}, but the converted one holds {held[1]}: a "
                         "configuration the other side's layer cannot express")


def _settings(m, layer):
    """The constructor arguments of `m`, read from its attributes (same names on both sides)."""
    out = {k: getattr(m, k) for k in layer.settings}
    out.update({k: getattr(m, k) is not None for k in layer.flags})
    return out


def _copy_state(m, new, src, dst, done, path):
    """Give `new` exactly m's own parameters and buffers: values, dtypes, requires_grad, and the
    same buffers present or None (BN's buffers outlive a later track_running_stats=False)."""
    for name, p in src.parameters(m):
        if id(p) not in done:
            done[id(p)] = dst.parameter(src.array(p, path, name), p.requires_grad)
        dst.set_parameter(new, name, done[id(p)])
    buffers = dict(src.buffers(m))
    for name in {k for k, _ in dst.buffers(new)} - set(buffers):
        dst.set_buffer(new, name, None)
    for name, b in buffers.items():
        dst.set_buffer(new, name, src.array(b, path, name))


def _items(m, layer):
    """A container's (name, child) pairs in constructor order, repeats included; [] for a layer.
    The same on both sides: ModuleDicts have items(), Sequential and ModuleList iterate."""
    if layer.children == "dict":
        return list(m.items())
    if layer.children == "args":                     # Sequential: positions, or OrderedDict keys
        names = [k for k, _ in m.named_modules(remove_duplicate=False) if k and "." not in k]
        return list(zip(names, m))
    return [(str(i), c) for i, c in enumerate(m)] if layer.children else []


def _where(path):
    """A module's place in the tree for messages: its dotted path, or "the root"."""
    return f"{path!r}" if path else "the root"


class _Ours:
    """tinygrad_bn's side of a conversion."""

    base, label = nn.Module, "tinygrad_bn.nn.Module"
    by_type = {row.ours: row for row in LAYERS}

    def layer_of(self, m):
        """m's row of the table, or None (exact types: a subclass may change forward)."""
        return self.by_type.get(type(m))

    def build(self, layer, settings, kids):
        """A new module of this side for `layer`, from settings or converted children."""
        return _build(layer.ours, layer, settings, kids)

    def check_supported(self, m, new, layer, where):
        """Every setting of ours is in the table (tests/test_interop.py holds that)."""

    def parameters(self, m):
        """(name, Parameter) held by m itself (a layer; containers hold none)."""
        return m.named_parameters() if not m.named_children() else []

    def buffers(self, m):
        """(name, array) of m's own buffers that are not None."""
        return m.named_buffers() if not m.named_children() else []

    def array(self, value, path, name):
        """A NumPy copy of a parameter or buffer, dtype kept."""
        return np.array(value.data if isinstance(value, Tensor) else value, copy=True)

    def parameter(self, array, requires_grad):
        """A new parameter of this side holding `array`."""
        return nn.Parameter(array, requires_grad=requires_grad)

    def set_parameter(self, m, name, p):
        """Make `p` m's parameter `name`."""
        old = getattr(m, name)
        if isinstance(old, nn.Parameter) and old.name:
            p.name = p.name or old.name               # keep BN's gamma/beta labels for graphs
        setattr(m, name, p)

    def set_buffer(self, m, name, array):
        """Make `array` (or None: no such buffer) m's buffer `name`."""
        m.register_buffer(name, array)


class _Torch:
    """PyTorch's side of a conversion (torch is imported by the caller)."""

    def __init__(self, torch):
        self.torch, self.base, self.label = torch, torch.nn.Module, "torch.nn.Module"
        self.by_type = {getattr(torch.nn, row.ours.__name__): row for row in LAYERS}

    def layer_of(self, m):
        """As _Ours.layer_of; the torch class has the name of ours."""
        return self.by_type.get(type(m))

    def build(self, layer, settings, kids):
        """As _Ours.build."""
        return _build(getattr(self.torch.nn, layer.ours.__name__), layer, settings, kids)

    def check_supported(self, m, new, layer, where):
        """Refuse a torch setting tinygrad_bn lacks (MaxPool2d padding=1, Conv2d groups=2, ...):
        rebuild the torch layer from what we converted and compare torch's own constants."""
        if layer.children:
            return
        rebuilt = self.build(layer, _settings(new, layer), [])
        names = getattr(type(m), "__constants__", ())
        lost = [f"{k}={getattr(m, k)!r}" for k in names if getattr(m, k) != getattr(rebuilt, k)]
        if lost:
            raise ValueError(f"{where} has {', '.join(lost)}, which tinygrad_bn's "
                             f"{type(m).__name__} does not support (it has "
                             f"{_settings(new, layer)}); use the defaults")

    def parameters(self, m):
        """As _Ours.parameters."""
        return list(m.named_parameters(recurse=False))

    def buffers(self, m):
        """As _Ours.buffers."""
        return list(m.named_buffers(recurse=False))

    def array(self, value, path, name):
        """As _Ours.array; a clear TypeError for dtypes NumPy lacks."""
        try:
            return value.detach().cpu().numpy().copy()
        except TypeError as e:                        # bfloat16 and friends
            raise TypeError(f"from_torch: {name} at {_where(path)} is {value.dtype}, which NumPy "
                            "cannot hold; convert the module first, e.g. module.double()") from e

    def parameter(self, array, requires_grad):
        """As _Ours.parameter."""
        return self.torch.nn.Parameter(self.torch.from_numpy(array), requires_grad=requires_grad)

    def set_parameter(self, m, name, p):
        """As _Ours.set_parameter."""
        setattr(m, name, p)

    def set_buffer(self, m, name, array):
        """As _Ours.set_buffer."""
        m.register_buffer(name, None if array is None else self.torch.from_numpy(array))


def _build(cls, layer, settings, kids):
    """A new `cls` from its settings, or (containers) from its converted children."""
    modules = [c for _, c in kids]
    if layer.children == "args":
        named = [k for k, _ in kids] != [str(i) for i in range(len(kids))]
        return cls(collections.OrderedDict(kids)) if named else cls(*modules)
    if layer.children == "list":
        return cls(modules)
    if layer.children == "dict":
        return cls(dict(kids))
    return cls(**settings)
