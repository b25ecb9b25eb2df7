"""Module and Parameter: the base layers are built from (containers are in container.py).

Shaped like PyTorch (names such as `0.weight`, `bn.running_mean`), so weights copy across.
Parameters and child modules are found among a module's attributes, in the order they were set.
"""
import warnings

import numpy as np

from ..effects import replayable
from ..engine import Tensor, get_default_dtype, scope
from ..engine.mode import user_stacklevel


class Parameter(Tensor):
    """A Tensor a Module learns: requires_grad=True. Lists and numbers take the default dtype and
    float arrays keep theirs, as for Tensor; layers make theirs with `new_array` (the default dtype).
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True, name=None, dtype=None):
        if dtype is None and not isinstance(data, (np.ndarray, Tensor)):
            dtype = get_default_dtype()          # a parameter is learned: [1, 2] means floats
        super().__init__(data, requires_grad=requires_grad, name=name, dtype=dtype)


def new_array(shape, fill=0.0):
    """A new parameter or buffer array in the default dtype (tg.set_default_dtype: one call
    makes a whole float32 model)."""
    return np.full(shape, fill, dtype=get_default_dtype())


class Module:
    """Base class of layers: subclasses set Parameters, Modules and buffers as attributes.

    Buffers are NumPy arrays that are state but not learned (running_mean, ...): declare them
    with `register_buffer` so that state_dict saves them.
    """

    training = True
    optional_state = ()       # buffers load_state_dict may find missing (older torch files)

    def __call__(self, *args, **kwargs):
        """forward(), in a scope named after the class that knows this module: viz.to_dot then
        names parameters by their path (`0.weight`) and draws each layer as one box."""
        with scope(type(self).__name__.lower(), owner=self):
            return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        """The computation of the layer; subclasses define it, call the module to run it."""
        raise NotImplementedError(f"{type(self).__name__}: define forward(self, x)")

    def register_buffer(self, name, array):
        """Keep `array` as attribute `name` and in state_dict (not a parameter: no gradient)."""
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        setattr(self, name, array)

    # --- walking the tree ------------------------------------------------------------------------
    def _child_items(self):
        """(name, module) for every direct child slot, repeats included (containers override)."""
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Module)]

    def named_children(self):
        """(attribute name, module) for each distinct direct child, in the order they were set."""
        return _first_of_each(self._child_items())

    def children(self):
        """Direct child modules, in the order they were set."""
        return [m for _, m in self.named_children()]

    def named_modules(self, prefix="", remove_duplicate=True):
        """(dotted name, module) for self and every descendant, parents first ("" is self).

        A module reachable twice (shared layers) is listed once, under its first name, as torch.
        """
        out, stack = [], [(prefix, self)]
        while stack:                                  # explicit stack: no recursion
            name, m = stack.pop()
            out.append((name, m))
            m._warn_hidden_modules()
            stack.extend(reversed([(_join(name, k), c) for k, c in m._child_items()]))
        return _first_of_each(out) if remove_duplicate else out

    def modules(self):
        """self and every descendant module, parents first, each once."""
        return [m for _, m in self.named_modules()]

    def _warn_hidden_modules(self):
        """Warn once per attribute holding Modules in a plain list, tuple or dict: they are not
        children, so their parameters would be silently missing from parameters() and state."""
        warned = self.__dict__.setdefault("_warned_hidden", set())
        children = {id(c) for _, c in self._child_items()}
        for k, v in vars(self).items():
            items = v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple)) else ()
            if k not in warned and any(isinstance(c, Module) and id(c) not in children
                                       for c in items):
                warned.add(k)
                kind, fix = ("dict", "nn.ModuleDict") if isinstance(v, dict) else \
                    (type(v).__name__, "nn.ModuleList")
                warnings.warn(f"{type(self).__name__}.{k} is a plain {kind} of Modules, so their "
                              "parameters and buffers are invisible to parameters(), state_dict(), "
                              f"train() and eval(); use self.{k} = {fix}(...)",
                              stacklevel=user_stacklevel())

    def _own_parameters(self):
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Parameter)]

    def _own_buffers(self):
        return [(k, getattr(self, k)) for k in self.__dict__.get("_buffer_names", ())
                if getattr(self, k) is not None]

    def named_parameters(self):
        """(dotted name, Parameter), PyTorch's names and order (e.g. `0.weight`, `0.bias`).

        Each Parameter once, under its first name (tied weights are updated once per step).
        """
        return _first_of_each([(_join(p, k), v) for p, m in self.named_modules()
                               for k, v in m._own_parameters()])

    def parameters(self):
        """Every distinct Parameter, in PyTorch's order (what an optimizer takes)."""
        return [v for _, v in self.named_parameters()]

    def named_buffers(self):
        """(dotted name, ndarray) of every buffer, e.g. `bn.running_mean`."""
        return [(_join(p, k), v) for p, m in self.named_modules() for k, v in m._own_buffers()]

    def buffers(self):
        """Every buffer array (running_mean, running_var, num_batches_tracked, ...)."""
        return [v for _, v in self.named_buffers()]

    # --- modes and gradients ---------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode on self and every descendant (BatchNorm and Dropout depend on it)."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self):
        """Same as train(False)."""
        return self.train(False)

    @replayable
    def zero_grad(self):
        """Forget every parameter's gradient (leaf gradients accumulate until then)."""
        for p in self.parameters():
            p.grad = None

    # --- saving and loading ----------------------------------------------------------------------
    def state_dict(self):
        """Copies of parameters and buffers as NumPy arrays, by dotted name, in PyTorch's order."""
        return {name: np.array(_array(getattr(m, attr)), copy=True)
                for name, (m, attr) in self._slots().items()}

    def load_state_dict(self, state):
        """Copy arrays from `state` into parameters and buffers; strict, all-or-nothing.

        Every key must match in name and shape and convert to its slot's dtype without losing
        meaning (no complex or text values, no fractional counts); otherwise a RuntimeError lists
        every problem and nothing is assigned. A buffer a module lists in `optional_state`
        (BatchNorm's num_batches_tracked) may be missing and keeps its value, as in torch.
        """
        slots = self._required_slots(state)
        current = {k: _array(getattr(m, attr)) for k, (m, attr) in slots.items()}
        arrays, problems = {}, []
        for k, v in state.items():
            try:
                arrays[k] = _array(v)
            except (TypeError, ValueError, RuntimeError) as exc:
                problems.append(f"{k} is not an array ({type(v).__name__}: {exc})")
        problems = state_mismatches(current, arrays) + problems
        new = {}
        for k, old in current.items():
            if k in arrays and arrays[k].shape == old.shape:
                try:
                    new[k] = _cast(arrays[k], old.dtype)
                except ValueError as exc:
                    problems.append(f"{k}: {exc}")
        if problems:
            raise RuntimeError(f"load_state_dict into {type(self).__name__}: "
                               + "; ".join(problems) + ". Nothing was loaded. Fix: load a "
                               "state_dict saved from the same architecture (same layers, sizes "
                               "and names)")
        for name, (m, attr) in slots.items():       # every check passed: assignments only
            old = getattr(m, attr)
            if isinstance(old, Tensor):
                old.data = new[name]                 # a fresh array: never writes a locked one
            else:
                setattr(m, attr, new[name])

    def _required_slots(self, names):
        """The slots (as _slots) a state with keys `names` must fill: all but the optional_state
        buffers it leaves out (tg.load checks a file's header with the same rule)."""
        return {k: (m, attr) for k, (m, attr) in self._slots().items()
                if k in names or attr not in m.optional_state}

    def _slots(self):
        """dotted name -> (owner module, attribute) for every parameter then buffer, per module.

        Shared modules and tied parameters appear under each of their names, as in torch.
        """
        return {_join(p, k): (m, k) for p, m in self.named_modules(remove_duplicate=False)
                for k, _ in m._own_parameters() + m._own_buffers()}

    # --- display ---------------------------------------------------------------------------------
    def extra_repr(self):
        """The settings shown inside the parentheses of repr; layers override it."""
        return ""

    def __repr__(self):
        kids = self._child_items()
        if not kids:
            return f"{type(self).__name__}({self.extra_repr()})"
        body = "".join(f"\n  ({k}): " + repr(c).replace("\n", "\n  ") for k, c in kids)
        return f"{type(self).__name__}({self.extra_repr()}{body}\n)"


def _array(value):
    """A Tensor's data, or the value (array, int) as an array."""
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _cast(a, dtype):
    """A fresh copy of array `a` in `dtype`; ValueError where the cast would change its meaning."""
    if a.dtype.kind not in "biuf":
        raise ValueError(f"dtype {a.dtype} cannot become {dtype}; expected real numbers")
    if dtype.kind in "iu" and a.dtype.kind == "f":
        info = np.iinfo(dtype)
        if not np.all(np.isfinite(a) & (a == np.round(a)) & (a >= info.min) & (a <= info.max)):
            raise ValueError(f"{a.dtype} value(s) {a.ravel()[:3].tolist()} are not whole "
                             f"numbers that fit {dtype}")
    return np.array(a, dtype=dtype, copy=True)


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _first_of_each(pairs):
    """(name, object) pairs keeping only the first name of each object (by identity)."""
    seen = set()
    return [(k, v) for k, v in pairs if not (id(v) in seen or seen.add(id(v)))]


def state_mismatches(expected, arrays):
    """Readable phrases for each key of `arrays` missing from, unexpected in, or not the shape of
    `expected` (name -> anything with .shape); empty when it fits."""
    missing = [k for k in expected if k not in arrays]
    unexpected = [k for k in arrays if k not in expected]
    wrong = [f"{k} {arrays[k].shape} != expected {v.shape}" for k, v in expected.items()
             if k in arrays and tuple(arrays[k].shape) != tuple(v.shape)]
    return ([f"missing keys {missing}"] if missing else []) + \
        ([f"unexpected keys {unexpected}"] if unexpected else []) + \
        ([f"wrong shapes: {', '.join(wrong)}"] if wrong else [])
