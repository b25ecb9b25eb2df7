"""Modes that change what the engine does, per thread: grad mode, anomaly mode, tapes and scopes,
and `effect`, the one door for changes made outside the primitives (so tg.jit can replay them).

Each is a context manager over one per-thread state object, so two training loops in two
threads never see each other's switches.
"""
import contextlib
import itertools
import threading
import traceback
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


class Modes:
    """One thread's switches: grad mode, active tapes, anomaly mode, scope, the recorder that
    runs every effect (tg.jit's, while it records a call) or None, and `released`, weak
    references to the records the latest backward released (see backward.py)."""

    __slots__ = ("grad_enabled", "tapes", "anomaly", "scope", "recorder", "released")

    def __init__(self):
        self.grad_enabled = True
        self.tapes = []
        self.anomaly = False
        self.scope = self.released = ()
        self.recorder = None


class _PerThread(threading.local):
    """Each thread's own Modes, so two threads never share them. Reading an attribute of a
    thread-local costs several times a plain one: the engine reads `state.modes` once per op."""

    def __init__(self):
        self.modes = Modes()


state = _PerThread()


def is_grad_enabled():
    """True when primitives record themselves for backward (the default)."""
    return state.modes.grad_enabled


class _Switch(contextlib.ContextDecorator):
    """Context manager and decorator that sets one of this thread's modes and restores it on exit."""

    mode, value = None, None

    def __new__(cls, func=None):             # the bare @no_grad (no parentheses) decorates func
        return super().__new__(cls) if func is None else cls()(func)

    def __enter__(self):
        self._prev = getattr(state.modes, self.mode)
        setattr(state.modes, self.mode, self.value)

    def __exit__(self, *exc):
        setattr(state.modes, self.mode, self._prev)


class no_grad(_Switch):
    """Run without recording: outputs have no record and need no memory for backward.

    `with no_grad():`, `@no_grad()` and the bare `@no_grad` all work, as in torch."""

    mode, value = "grad_enabled", False


class enable_grad(_Switch):
    """Turn recording back on inside a no_grad block (`with`, `@enable_grad()`, `@enable_grad`)."""

    mode, value = "grad_enabled", True


class detect_anomaly(_Switch):
    """Check every forward and backward result for NaN/inf and name the op and the user line."""

    mode, value = "anomaly", True


_scope_counter = itertools.count()


class ScopeTag(str):
    """A scope's name `name#k`, plus `owner`: the object that opened it (a Module), or None.
    Held strongly, as the records hold its parameters: a loss returned by a function that built
    its model inside still names the model's layers."""

    owner = None


class scope:
    """Tag the records made inside `with scope(name):` with `name#k` (k unique), so a graph can
    draw them as one box.

    Composites such as functional.batch_norm run in a scope; viz.to_dot(collapse=...) uses it.
    Module.__call__ passes itself as `owner`, so pictures name layers and parameters by their
    path in the model without any naming by the user. (A class, not a generator function:
    every layer call opens one, and this costs half as much.)
    """

    __slots__ = ("_tag", "_modes", "_prev")

    def __init__(self, name, owner=None):
        self._tag = ScopeTag(f"{name}#{next(_scope_counter)}")
        if owner is not None:
            self._tag.owner = owner

    def __enter__(self):
        self._modes = modes = state.modes
        self._prev = modes.scope
        modes.scope = self._prev + (self._tag,)

    def __exit__(self, *exc):
        self._modes.scope = self._prev


def _user_frame():
    """(level, frame) of the innermost stack frame outside this package, level 1 being the
    caller of the function that asks; (1, None) if every frame is inside."""
    frames = traceback.extract_stack()[:-2]          # not this helper, not its caller
    for level, frame in enumerate(reversed(frames), 1):
        if not frame.filename.startswith(_PACKAGE_DIR):
            return level, frame
    return 1, None


def user_line():
    """The innermost stack frame outside this package, as `file:line in function: code`."""
    frame = _user_frame()[1]
    if frame is None:
        return "<unknown>"
    return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"


def user_stacklevel():
    """The `stacklevel` for warnings.warn that points at the user's line, wherever it is called."""
    return _user_frame()[0]


def effect(fn, *args, **kwargs):
    """Run fn(*args, **kwargs), a change outside the primitives, through the active recorder
    (tinygrad_bn.effects.replayable makes every call of a function one).

    BN's running statistics, num_batches_tracked, dropout's random draw, zero_grad, an optimizer
    step and backward itself are effects: no record shows them, so a replay (tg.jit, whose
    recorder runs them while it records a call) learns them here.
    """
    recorder = state.modes.recorder
    return fn(*args, **kwargs) if recorder is None else recorder.effect(fn, args, kwargs)

