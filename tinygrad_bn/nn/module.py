"""Module and Parameter: the base layers are built from (containers are in container.py).

Shaped like PyTorch (names such as `0.weight`, `bn.running_mean`), so weights copy across.
Parameters and child modules are found among a module's attributes, in the order they were set.
"""
import warnings

import numpy as np

from ..effects import replayable
from ..engine import Tensor, get_default_dtype, scope
from ..engine.methods import as_dtype
from ..engine.mode import user_stacklevel
from .state import IncompatibleKeys, array_of, cast_exactly, state_mismatches


class Parameter(Tensor):
    """A Tensor a Module learns: requires_grad=True. Lists and numbers take the default dtype and
    float arrays keep theirs, as for Tensor; layers make theirs with `new_array` (the default
    dtype).
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
            for hook in list(self.__dict__.get("_forward_pre_hooks", {}).values()):
                result = hook(self, args)
                if result is not None:                # a new input, as torch
                    args = result if isinstance(result, tuple) else (result,)
            out = self.forward(*args, **kwargs)
            for hook in list(self.__dict__.get("_forward_hooks", {}).values()):
                result = hook(self, args, out)
                out = out if result is None else result
            return out

    def register_forward_pre_hook(self, hook):
        """Call hook(module, args) before each forward; a result other than None replaces the
        input. Returns a handle whose remove() takes the hook off, as torch."""
        return RemovableHandle(self.__dict__.setdefault("_forward_pre_hooks", {}), hook)

    def register_forward_hook(self, hook):
        """Call hook(module, args, output) after each forward (to look at activations); a result
        other than None replaces the output. Returns a handle with remove(), as torch."""
        return RemovableHandle(self.__dict__.setdefault("_forward_hooks", {}), hook)

    def forward(self, *args, **kwargs):
        """The computation of the layer; subclasses define it, call the module to run it."""
        raise NotImplementedError(f"{type(self).__name__}: define forward(self, x)")

    def __setattr__(self, name, value):
        """Set an attribute; a Parameter's slot takes only a Parameter or None, as in torch, so a
        weight is never silently dropped from parameters() and state_dict(). A slot set to None
        (or registered as None) stays a parameter slot."""
        empty = self.__dict__.get("_empty_parameters", set())   # parameter slots holding None
        if (isinstance(self.__dict__.get(name), Parameter) or name in empty) and not (
                value is None or isinstance(value, Parameter)):
            shape = f" {value.shape}" if hasattr(value, "shape") else ""
            raise TypeError(f"{type(self).__name__}.{name}: cannot assign {type(value).__name__}"
                            f"{shape} as parameter {name!r} (nn.Parameter or None expected): a "
                            f"plain Tensor would not be trained nor saved; use self.{name} = "
                            f"nn.Parameter(...), or assign self.{name}.data = ... to change values")
        if value is None and isinstance(self.__dict__.get(name), Parameter):
            self.__dict__.setdefault("_empty_parameters", set()).add(name)
        elif value is not None:
            empty.discard(name)
        buffers = self.__dict__.get("_buffer_names", ())
        if isinstance(value, (Parameter, Module)) and name in buffers:
            buffers.remove(name)                       # no longer a buffer, as torch
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        """del m.name forgets a parameter, child or buffer (its state_dict key too), as torch."""
        object.__delattr__(self, name)
        for names in ("_buffer_names", "_non_persistent", "_empty_parameters"):
            if name in self.__dict__.get(names, ()):
                self.__dict__[names].remove(name)

    def _check_name(self, op, name, kind, taken):
        """TypeError unless `name` is a string, KeyError if it is empty, has a '.', or is an
        attribute other than a `kind` (`taken` says whether it is one), as torch; checked
        before anything is registered, so a refused call leaves the module as it was."""
        where = f"{type(self).__name__}.{op}"
        checked_name(name, where)
        if hasattr(self, name) and not taken:
            raise KeyError(f"{where}: attribute {name!r} already exists and is not a {kind}; "
                           "pick another name")

    def register_buffer(self, name, array, persistent=True):
        """Keep `array` as attribute `name` and in state_dict (not a parameter: no gradient);
        persistent=False keeps it out of state_dict, as torch (a cache rebuilt on load)."""
        names = self.__dict__.setdefault("_buffer_names", [])
        self._check_name("register_buffer", name, "buffer", name in names)
        if not (array is None or isinstance(array, (np.ndarray, np.generic, Tensor))):
            raise TypeError(f"{type(self).__name__}.register_buffer({name!r}): got a "
                            f"{type(array).__name__}; a buffer is a NumPy array (or None), e.g. "
                            "np.zeros(3)")
        if name not in names:
            names.append(name)
        transient = self.__dict__.setdefault("_non_persistent", [])
        if not persistent and name not in transient:
            transient.append(name)
        elif persistent and name in transient:
            transient.remove(name)
        setattr(self, name, array)

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for an absent one) as attribute `name`, as
        torch: setattr for a name computed at run time."""
        self._check_name("register_parameter", name, "parameter",
                         isinstance(self.__dict__.get(name), Parameter)
                         or name in self.__dict__.get("_empty_parameters", ()))
        if not (param is None or isinstance(param, Parameter)):
            raise TypeError(f"{type(self).__name__}.register_parameter({name!r}): got a "
                            f"{type(param).__name__}, not an nn.Parameter or None; wrap it: "
                            "nn.Parameter(tensor.data)")
        setattr(self, name, param)
        if param is None:
            self.__dict__.setdefault("_empty_parameters", set()).add(name)

    def add_module(self, name, module):
        """Register `module` (or None) as the child `name`, as torch: setattr for a name
        computed at run time, e.g. self.add_module(f"block{i}", layer)."""
        self._check_name("add_module", name, "module",
                         isinstance(self.__dict__.get(name, None), Module) or name in vars(self)
                         and vars(self)[name] is None)
        if not (module is None or isinstance(module, Module)):
            raise TypeError(f"{type(self).__name__}.add_module({name!r}): got a "
                            f"{type(module).__name__}, not a Module")
        setattr(self, name, module)

    def register_module(self, name, module):
        """Alias of add_module, as torch."""
        self.add_module(name, module)

    # --- walking the tree ------------------------------------------------------------------------
    def _child_items(self):
        """(name, module) for every direct child slot, repeats included (containers override)."""
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Module)]

    def named_children(self):
        """(attribute name, module) for each distinct direct child, in the order they were set."""
        return Listing(_first_of_each(self._child_items()))

    def children(self):
        """Direct child modules, in the order they were set."""
        return Listing(m for _, m in self.named_children())

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for self and every descendant, parents first ("" is self).

        A module reachable twice (shared layers) is listed once, under its first name, as torch;
        `memo`, a set of modules already listed, skips those (and what is below them).
        """
        seen = set() if memo is None else memo
        out, stack = [], [(prefix, self)]
        while stack:                                  # explicit stack: no recursion
            name, m = stack.pop()
            if remove_duplicate:
                if m in seen:
                    continue
                seen.add(m)
            out.append((name, m))
            m._warn_hidden_modules()
            stack.extend(reversed([(_join(name, k), c) for k, c in m._child_items()]))
        return Listing(out)

    def modules(self):
        """self and every descendant module, parents first, each once."""
        return Listing(m for _, m in self.named_modules())

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

    def _walk(self, prefix, recurse, remove_duplicate):
        """named_modules(), or only (prefix, self) with recurse=False (torch's recurse flag)."""
        return (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse
                else [(prefix, self)])

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter), PyTorch's names and order (e.g. `0.weight`, `0.bias`).

        Each Parameter once, under its first name (tied weights are updated once per step);
        recurse=False lists only this module's own.
        """
        pairs = [(_join(p, k), v) for p, m in self._walk(prefix, recurse, remove_duplicate)
                 for k, v in m._own_parameters()]
        return Listing(_first_of_each(pairs) if remove_duplicate else pairs)

    def parameters(self, recurse=True):
        """Every distinct Parameter, in PyTorch's order (what an optimizer takes)."""
        return Listing(v for _, v in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, ndarray) of every buffer, e.g. `bn.running_mean`, non-persistent ones
        included (as torch)."""
        pairs = [(_join(p, k), v) for p, m in self._walk(prefix, recurse, remove_duplicate)
                 for k, v in m._own_buffers()]
        return Listing(_first_of_each(pairs) if remove_duplicate else pairs)

    def buffers(self, recurse=True):
        """Every buffer array (running_mean, running_var, num_batches_tracked, ...)."""
        return Listing(v for _, v in self.named_buffers(recurse=recurse))

    def get_submodule(self, target):
        """The module at dotted path `target` ('' is self), e.g. 'layers.0', as torch."""
        m = self
        for part in target.split(".") if target else []:
            child = dict(m._child_items()).get(part)
            if child is None:
                kids = [k for k, _ in m._child_items()]
                raise AttributeError(f"{type(m).__name__} has no submodule {part!r} (in "
                                     f"{target!r}); its children are {kids}")
            m = child
        return m

    def get_parameter(self, target):
        """The Parameter at dotted path `target`, e.g. 'layers.0.weight', as torch."""
        return self._get_own(target, "parameter")

    def get_buffer(self, target):
        """The buffer at dotted path `target`, e.g. 'bn.running_mean', as torch."""
        return self._get_own(target, "buffer")

    def _get_own(self, target, kind):
        """The parameter or buffer (`kind`) the last part of `target` names, on the submodule
        the rest names."""
        path, _, name = target.rpartition(".")
        owner = self.get_submodule(path)
        names = [k for k, _ in getattr(owner, f"_own_{kind}s")()]
        if name not in names:
            raise AttributeError(f"{type(owner).__name__} has no {kind} {name!r} (in "
                                 f"{target!r}); it has {names}")
        return getattr(owner, name)

    # --- modes and gradients ---------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode on self and every descendant (BatchNorm and Dropout depend on it)."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__}.train: mode={mode!r} must be True or False "
                             "(as torch); use .train() or .eval()")
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self):
        """Same as train(False)."""
        return self.train(False)

    @replayable
    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (leaf gradients accumulate until then); with
        set_to_none=False zero them in place instead, as torch."""
        clear_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad=True):
        """Switch gradients of every parameter on or off (freeze a layer); returns self (torch)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn):
        """Call fn(module) on every descendant, children before their parent, then on self;
        returns self (torch's order, used for custom initialization)."""
        order, stack = [], [self]
        while stack:                                  # explicit stack: no recursion
            m = stack.pop()
            order.append(m)
            stack.extend(m.children())                # the last child is visited first ...
        for m in reversed(order):                     # ... so reversed, children come in order
            fn(m)
        return self

    def double(self):
        """Cast every float parameter, gradient and buffer to float64 in place; returns self."""
        return self._cast_floats(np.float64)

    def float(self):
        """Cast every float parameter, gradient and buffer to float32 in place; returns self."""
        return self._cast_floats(np.float32)

    def half(self):
        """Cast every float parameter, gradient and buffer to float16 in place; returns self."""
        return self._cast_floats(np.float16)

    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """model.to(device) and model.to(dtype) as torch: 'cpu' is the only device here (a
        no-op), a float dtype casts as .double()/.float() do; returns self."""
        for arg in args:
            if str(arg).split(":")[0] in ("cpu", "cuda", "mps", "meta", "xpu"):
                device = arg
            else:
                dtype = arg.dtype if isinstance(arg, Tensor) else arg
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"{type(self).__name__}.to: device {str(device)!r}: this engine runs "
                             "on NumPy, on the CPU only; use 'cpu' (or leave the device out)")
        if dtype is None:
            return self
        dtype = as_dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: dtype {dtype} is not a float dtype; "
                            "modules cast to floats only (as torch), e.g. np.float32")
        return self._cast_floats(dtype)

    def cpu(self):
        """self: everything here lives in host memory (for code written for torch)."""
        return self

    def _cast_floats(self, dtype):
        """Float parameters keep their identity (an optimizer holding them still works), as torch;
        int buffers such as num_batches_tracked stay ints."""
        for m in self.modules():
            for _, p in m._own_parameters():
                if p.dtype.kind == "f":
                    p.data = p.data.astype(dtype)
                    if isinstance(p.grad, np.ndarray):
                        p.grad = p.grad.astype(dtype)
            for k, b in m._own_buffers():
                if isinstance(b, np.ndarray) and b.dtype.kind == "f":
                    setattr(m, k, b.astype(dtype))
        return self

    # --- saving and loading ----------------------------------------------------------------------
    def state_dict(self, prefix="", keep_vars=False):
        """Copies of parameters and persistent buffers as NumPy arrays, by dotted name, in
        PyTorch's order; `prefix` starts every key, keep_vars=True gives the objects themselves."""
        return {prefix + name: getattr(m, attr) if keep_vars else
                np.array(array_of(getattr(m, attr)), copy=True)
                for name, (m, attr) in self._slots().items()}

    def load_state_dict(self, state, strict=True):
        """Copy arrays from `state` into parameters and buffers, all-or-nothing; returns
        IncompatibleKeys(missing_keys, unexpected_keys), as torch.

        strict=True: every key must match; strict=False loads the keys that do and reports the
        rest. Either way a matching key must have its slot's shape and convert to its dtype
        without losing meaning (no complex or text values, no fractional counts); otherwise a
        RuntimeError lists every problem and nothing is assigned. A buffer a module lists in
        `optional_state` (BatchNorm's num_batches_tracked) may be missing and keeps its value.
        """
        slots = self._required_slots(state)
        current = {k: array_of(getattr(m, attr)) for k, (m, attr) in slots.items()}
        arrays, problems = {}, []
        for k, v in state.items():
            try:
                arrays[k] = array_of(v)
            except (TypeError, ValueError, RuntimeError) as exc:
                problems.append(f"{k} is not an array ({type(v).__name__}: {exc})")
        keys = IncompatibleKeys([k for k in current if k not in arrays],
                                [k for k in arrays if k not in self._slots()])
        expected = current if strict else {k: v for k, v in current.items() if k in arrays}
        given = arrays if strict else {k: v for k, v in arrays.items() if k in current}
        problems = state_mismatches(expected, given) + problems
        new = {}
        for k, old in expected.items():
            if k in arrays and arrays[k].shape == old.shape:
                try:
                    new[k] = cast_exactly(arrays[k], old.dtype)
                except ValueError as exc:
                    problems.append(f"{k}: {exc}")
        if problems:
            raise RuntimeError(f"load_state_dict into {type(self).__name__}: "
                               + "; ".join(problems) + ". Nothing was loaded. Fix: load a "
                               "state_dict saved from the same architecture (same layers, sizes "
                               "and names), or strict=False to load only the keys that match")
        for name, array in new.items():             # every check passed: assignments only
            m, attr = slots[name]
            old = getattr(m, attr)
            if isinstance(old, Tensor):
                old.data = array                     # a fresh array: never writes a locked one
            else:
                setattr(m, attr, array)
        return keys

    def _required_slots(self, names):
        """The slots (as _slots) a state with keys `names` must fill: all but the optional_state
        buffers it leaves out (tg.load checks a file's header with the same rule)."""
        return {k: (m, attr) for k, (m, attr) in self._slots().items()
                if k in names or attr not in m.optional_state}

    def _slots(self):
        """dotted name -> (owner module, attribute) for every parameter then persistent buffer,
        per module.

        Shared modules and tied parameters appear under each of their names, as in torch.
        """
        return {_join(p, k): (m, k) for p, m in self.named_modules(remove_duplicate=False)
                for k, _ in m._own_parameters() + m._own_buffers()
                if k not in m.__dict__.get("_non_persistent", ())}

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


class Listing(list):
    """What parameters(), modules(), ... return: a list (print it, index it, take its len) that
    next() also walks, as torch's generators: next(model.parameters()) is the first one."""

    def __next__(self):
        i = self.__dict__.get("_next", 0)
        if i >= len(self):
            raise StopIteration
        self._next = i + 1
        return self[i]


class RemovableHandle:
    """What register_forward_hook returns: remove() (or leaving a `with` block) takes it off."""

    _next_id = 0

    def __init__(self, hooks, hook):
        self.hooks, self.id = hooks, RemovableHandle._next_id
        RemovableHandle._next_id += 1
        hooks[self.id] = hook

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def clear_grads(params, set_to_none=True):
    """Gradients of `params` set to None, or zeroed in place (set_to_none=False), as torch's
    zero_grad; one rule for modules and optimizers."""
    for p in params:
        if set_to_none or p.grad is None:
            p.grad = None
        elif isinstance(p.grad, np.ndarray) and p.grad.flags.writeable:
            p.grad[...] = 0
        else:                                         # a grad with a graph, or read-only
            p.grad = np.zeros_like(array_of(p.grad))


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _first_of_each(pairs):
    """(name, object) pairs keeping only the first name of each object (by identity)."""
    seen = set()
    return [(k, v) for k, v in pairs if not (id(v) in seen or seen.add(id(v)))]


def checked_name(name, where, noun="name"):
    """`name` checked to be usable for a child, parameter or buffer (a dict's `noun` is "key"):
    a non-empty string without '.' (TypeError, KeyError otherwise, as torch)."""
    if not isinstance(name, str):
        raise TypeError(f"{where}: {noun} {name!r} is a {type(name).__name__}; {noun}s are "
                        "strings (they become parameter names such as 'name.weight')")
    if not name or "." in name:
        raise KeyError(f"{where}: {noun} {name!r} cannot be empty or contain '.', which "
                       "separates names in 'blocks.name.weight'; use e.g. '_' instead")
    return name
