"""replayable: every call of a function marked with it is an effect (engine.mode.effect), a change
outside the primitives that tg.jit hears while it records a step and runs again when it replays.
"""
import functools

from .engine.mode import effect


def replayable(fn):
    """Decorator: every call of fn is an `effect` (an optimizer's step, BN's running update)."""
    return functools.wraps(fn)(lambda *args, **kwargs: effect(fn, *args, **kwargs))
