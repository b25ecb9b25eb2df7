"""Read-only saved arrays: an in-place write after recording raises instead of corrupting gradients.

Locks are counted per owner array (a view's base) because several records may save the same
array; the last release makes it writable again, views included.
"""
import threading

import numpy as np

_locks = {}
_locks_guard = threading.Lock()


def _owner(a):
    """The array that owns the memory of `a` (a view's base, followed to the end)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def lock(saved):
    """Make every array in `saved` read-only; returns the owners to hand back to unlock()."""
    locked = []
    with _locks_guard:
        for a in saved.values():
            if not isinstance(a, np.ndarray):
                continue
            own = _owner(a)
            entry = _locks.get(id(own))
            if entry is None:
                if not own.flags.writeable:
                    continue                 # read-only already: nothing to guard or restore
                entry = _locks[id(own)] = [own, 0, []]
                own.flags.writeable = False
            if a is not own and a.flags.writeable:
                entry[2].append(a)           # a view keeps its own flag: restore it on unlock
            entry[1] += 1
            a.flags.writeable = False
            locked.append(own)
    return locked


def unlock(locked):
    """Undo lock(): an owner becomes writable again (views too) when its last lock goes."""
    with _locks_guard:
        for own in locked:
            entry = _locks[id(own)]
            entry[1] -= 1
            if entry[1] == 0:
                del _locks[id(own)]
                own.flags.writeable = True
                for view in entry[2]:
                    view.flags.writeable = True
