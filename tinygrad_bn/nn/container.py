"""Containers: Sequential, ModuleList and ModuleDict register the modules they hold as children;
ParameterList and ParameterDict register parameters.

A plain Python list or dict of layers is invisible to parameters(), state_dict(), train() and
eval() (Module warns about it); these containers name their children `0`, `1`, ... or by key,
as PyTorch does, so `layers.0.weight` and `blocks.conv.weight` copy across.
"""
from collections import OrderedDict

import numpy as np

from ..engine import Tensor
from .module import Module, Parameter, checked_name


def _checked(module, where):
    """`module`, or a TypeError saying what was given instead of a Module."""
    if not isinstance(module, Module):
        raise TypeError(f"{where}: got a {type(module).__name__}, not a Module; wrap functions "
                        "in a Module or call them in forward")
    return module


class _ModuleSequence(Module):
    """Modules kept in order: indexing, slicing, len, iteration, append, add_module, extend and
    insert."""

    def __init__(self, modules=()):
        self._list, self._keys = [], []      # the modules and their names, `0`, `1`, ... or keys
        self.extend(modules)

    def _child_items(self):
        """Children by name (position, or Sequential's keys), repeats included, then attributes."""
        return list(zip(self._keys, self._list)) + super()._child_items()

    def _renumber(self):
        """Name the children by position again after an insert or delete, as torch does."""
        self._keys = [str(i) for i in range(len(self._list))]

    def _new(self, pairs):
        """A container of the same kind holding (name, module) `pairs` (what a slice returns)."""
        return type(self)([m for _, m in pairs])

    def __getattr__(self, key):
        """seq.fc1 for a child named 'fc1' (only for names that are not attributes), as torch."""
        keys = self.__dict__.get("_keys", ())
        if key in keys:
            return self._list[keys.index(key)]
        raise AttributeError(f"{type(self).__name__} has no attribute or child {key!r}")

    def _position(self, i):
        """Index i (negative counts from the end) as a position in range, else IndexError."""
        n = len(self._list)
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}: index {i} is out of range for {n} modules")
        return i % n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._new(list(zip(self._keys, self._list))[i])
        return self._list[self._position(i)]

    def __setitem__(self, i, module):
        self._list[self._position(i)] = _checked(module, f"{type(self).__name__}[{i}] =")

    def __delitem__(self, i):
        del self._list[i if isinstance(i, slice) else self._position(i)]
        self._renumber()

    def __len__(self):
        return len(self._list)

    def __iter__(self):
        return iter(list(self._list))

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        """A new container of this kind holding self's modules then other's, as torch."""
        return type(self)(list(self) + list(other)) if isinstance(self, ModuleList) else \
            Sequential(*self, *other)

    def pop(self, i=-1):
        """Remove the module at position `i` (the last by default) and return it; the ones
        after it are renumbered, as torch."""
        module = self[i]
        del self[i]
        return module

    def append(self, module):
        """Add `module` at the end; returns self."""
        self.add_module(str(len(self)), _checked(module, f"{type(self).__name__}.append"))
        return self

    def add_module(self, name, module):
        """Add `module` under `name` at the end, or replace the child already named so in its
        place, as torch (seq.add_module("relu", nn.ReLU()) makes seq.relu)."""
        _checked(module, f"{type(self).__name__}.add_module({name!r})")
        name = checked_name(name, f"{type(self).__name__}.add_module")
        if name not in self._keys and (name in vars(self) or hasattr(type(self), name)):
            raise KeyError(f"{type(self).__name__}.add_module: attribute {name!r} already "
                           "exists; pick another name")
        if name in self._keys:
            self._list[self._keys.index(name)] = module
        else:
            self._list.append(module)
            self._keys.append(name)

    def extend(self, modules):
        """Add each of `modules` at the end, in order; returns self."""
        for i, m in enumerate(list(modules)):
            self._list.append(_checked(m, f"{type(self).__name__}: item {i}"))
            self._keys.append(str(len(self._keys)))
        return self

    def insert(self, index, module):
        """Put `module` before position `index`; the ones after it are renumbered."""
        self._list.insert(index, _checked(module, f"{type(self).__name__}.insert"))
        self._renumber()


class Sequential(_ModuleSequence):
    """Layers applied in order; indexable, iterable, and named `0`, `1`, ... as in PyTorch.

    Sequential(OrderedDict([("fc1", nn.Linear(4, 8)), ...])) names them: seq.fc1, `fc1.weight`.
    """

    def __init__(self, *layers):
        super().__init__()
        named = len(layers) == 1 and isinstance(layers[0], OrderedDict)
        for i, (key, layer) in enumerate(layers[0].items() if named else enumerate(layers)):
            self._list.append(_checked(layer, f"Sequential: argument {key!r}" if named
                                       else f"Sequential: argument {i}"))
            self._keys.append(checked_name(key, "Sequential", "key") if named else str(i))

    def _new(self, pairs):
        return Sequential(OrderedDict(pairs))

    def __mul__(self, times):
        """A new Sequential holding self's modules `times` times over (the same objects, so
        shared), as torch."""
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"Sequential * {times!r}: multiply by a whole number >= 1")
        return Sequential(*(list(self) * times))

    __rmul__ = __mul__

    def __imul__(self, times):
        return self.extend(list((self * times))[len(self):])

    def forward(self, x):
        for layer in self:
            x = layer(x)
        return x


class ModuleList(_ModuleSequence):
    """A list of modules registered as children `0`, `1`, ...; forward decides how to use them.

    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)]) names `layers.0.weight`.
    """


class _Keyed(Module):
    """The dict protocol ModuleDict and ParameterDict share: values by string key, in insertion
    order, each checked by `_checked_value` as it goes in (d[key] = value, update)."""

    def __init__(self, entries=None):
        self._entries = {}
        self.update(entries or {})

    def _checked_value(self, value, where):
        raise NotImplementedError

    def __getitem__(self, key):
        if key not in self._entries:
            raise KeyError(f"{type(self).__name__}: no key {key!r}; keys are "
                           f"{list(self._entries)}")
        return self._entries[key]

    def __getattr__(self, key):
        """d.key as d['key'], as torch (only for keys that are not attributes or methods)."""
        held = self.__dict__.get("_entries", {})
        if key in held:
            return held[key]
        raise AttributeError(f"{type(self).__name__} has no attribute or key {key!r}")

    def __setitem__(self, key, value):
        key = checked_name(key, type(self).__name__, "key")
        self._entries[key] = self._checked_value(value, f"{type(self).__name__}[{key!r}] =")

    def __delitem__(self, key):
        del self._entries[key]

    def __len__(self):
        return len(self._entries)

    def __iter__(self):
        return iter(list(self._entries))

    def __contains__(self, key):
        return key in self._entries

    def keys(self):
        """The keys, in insertion order."""
        return list(self._entries)

    def values(self):
        """The values (modules or parameters), in insertion order."""
        return list(self._entries.values())

    def items(self):
        """(key, value) pairs, in insertion order."""
        return list(self._entries.items())

    def update(self, entries):
        """Add or replace values from a dict or (key, value) pairs, keeping their order."""
        pairs = entries.items() if hasattr(entries, "items") else entries
        for key, value in pairs:
            self[key] = value

    def pop(self, key):
        """Remove `key` and return its value."""
        value = self[key]
        del self._entries[key]
        return value

    def clear(self):
        """Remove every entry."""
        self._entries.clear()


class ModuleDict(_Keyed):
    """Modules by string key, registered as children in insertion order (`blocks.key.weight`)."""

    def __init__(self, modules=None):
        super().__init__(modules)

    def _checked_value(self, module, where):
        return _checked(module, where)

    def _child_items(self):
        """Children named by key, in insertion order, then other attributes."""
        return list(self._entries.items()) + super()._child_items()


def _as_parameter(value, where):
    """`value` as a Parameter: a Parameter as is, a Tensor or array wrapped (torch 2.x does)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, (Tensor, np.ndarray)):
        return Parameter(value.data if isinstance(value, Tensor) else value)
    raise TypeError(f"{where}: got a {type(value).__name__}, not a Parameter, Tensor or array")


class ParameterList(Module):
    """Parameters in a list, registered as `0`, `1`, ... (so `plist.0` is a state_dict key), as
    torch; Tensors and arrays given are wrapped in Parameters."""

    def __init__(self, values=None):
        self._params = []
        self.extend(values or [])

    def _own_parameters(self):
        return [(str(i), p) for i, p in enumerate(self._params)] + super()._own_parameters()

    def __getattr__(self, key):
        """plist.0 (getattr(plist, "0")) as plist[0], which load_state_dict uses."""
        held = self.__dict__.get("_params", [])
        if key.isdigit() and int(key) < len(held):
            return held[int(key)]
        raise AttributeError(f"ParameterList has no attribute {key!r}")

    def __getitem__(self, i):
        return ParameterList(self._params[i]) if isinstance(i, slice) else self._params[i]

    def __setitem__(self, i, value):
        self._params[i] = _as_parameter(value, f"ParameterList[{i}] =")

    def __len__(self):
        return len(self._params)

    def __iter__(self):
        return iter(list(self._params))

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        """Add `value` at the end; returns self."""
        self._params.append(_as_parameter(value, "ParameterList.append"))
        return self

    def extend(self, values):
        """Add each of `values` at the end; returns self."""
        for v in list(values):
            self.append(v)
        return self


class ParameterDict(_Keyed):
    """Parameters by string key, in insertion order (`pdict.key` in state_dict), as torch."""

    def __init__(self, parameters=None):
        super().__init__(parameters)

    def _checked_value(self, value, where):
        return _as_parameter(value, where)

    def _own_parameters(self):
        return list(self._entries.items()) + super()._own_parameters()
