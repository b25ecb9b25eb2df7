"""Read-only saved arrays: an in-place write after recording raises instead of corrupting gradients.

A saved view of at most half its base (X[:64] of a data set) is copied instead, so a graph on a
batch does not lock the whole data set.

Locks are counted per owner array (a view's base) because several records may save the same
array; the last release makes it writable again, views included. A record freed by the garbage
collector unlocks from its Lock's finalizer, which may run inside lock() on the same thread (any
allocation can start a collection): finalizers therefore never wait for the guard. They queue
their unlock, and whoever holds the guard applies the queue before letting go. Only a record that
locked something has a Lock, so the others cost the collector nothing.
Views the engine makes are read-only from the start (freeze_view).
"""
import collections
import threading

import numpy as np

locks = {}         # id(owner) -> [owner, count, views whose flag to restore (or None), op name]
guard = threading.Lock()
pending = collections.deque()         # unlocks queued by finalizers (append/popleft are atomic)


def _owner(a):
    """The array that owns the memory of `a` (a view's base, followed to the end)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def freeze_view(out, arrays):
    """Make `out` read-only if it is a view into one of `arrays` (reshape, transpose, x[1:], ...).

    NumPy cannot make a view's flag follow its base's, so a view made before its base was
    locked would stay writable and a write through it would corrupt a saved array. Views the
    engine makes are therefore read-only for good; write through the base (x.data) instead.
    """
    own = _owner(out)
    if any(_owner(a) is own for a in arrays):
        out.flags.writeable = False


def lock(saved, op=None):
    """Make every array in `saved` read-only; returns the Lock to release, or None if none needed
    one. op: the name of the op that saved them, for the error an in-place update then gives."""
    copied = {}                              # id(copy) -> id(array it copies), for create_graph
    for key, a in saved.items():             # a small part of a big array (a batch of a data set):
        if isinstance(a, np.ndarray) and a.base is not None and 2 * a.nbytes <= _owner(a).nbytes:
            saved[key] = a.copy()            # a private copy, the rest of it stays writable
            copied[id(saved[key])] = id(a)
    arrays = [a for a in saved.values() if isinstance(a, np.ndarray)]
    if not arrays:
        return None                          # nothing to lock
    owners = []
    with guard:
        for a in arrays:
            own = a if a.base is None else _owner(a)
            entry = locks.get(id(own))
            if entry is None:
                if not own.flags.writeable:
                    continue                 # read-only already: nothing to guard or restore
                entry = locks[id(own)] = [own, 0, None, op]
                own.setflags(write=False)
            if a is not own and a.flags.writeable:
                entry[2] = (entry[2] or []) + [a]    # a view keeps its own flag: restore it on unlock
                a.setflags(write=False)
            entry[1] += 1
            owners.append(own)
    if pending:
        drain()
    return Lock(owners, copied) if owners else None


def locked_by(a):
    """The name of an op whose live record keeps `a` (or its base) read-only, else None."""
    return (locks.get(id(_owner(a))) or [None] * 4)[3]


class Lock:
    """The owners one record locked. release() unlocks them; a record freed without it (a graph
    dropped before backward) unlocks them from this finalizer, through the queue. `copied` maps
    a saved private copy to the input array it was made from (see lock)."""

    __slots__ = ("owners", "copied")

    def __init__(self, owners, copied):
        self.owners, self.copied = owners, copied

    def release(self):
        """Count this lock off its owners now; the last lock of an owner makes it writable."""
        owners, self.owners = self.owners, ()
        with guard:
            _release(owners)
        if pending:
            drain()

    def __del__(self):
        if self.owners:                  # never waits for the guard: gc may run this inside lock()
            pending.append(self.owners)
            drain()


def drain():
    """Apply the queued unlocks whenever the guard is free (never blocks).

    Every holder calls this after letting go, so an unlock queued while it held the guard (by
    its own finalizers or another thread's) is applied before it returns.
    """
    while pending and guard.acquire(blocking=False):
        try:
            while pending:
                _release(pending.popleft())
        finally:
            guard.release()


def _release(owners):
    """Count one lock off each of `owners`; the guard is held."""
    for own in owners:
        entry = locks[id(own)]
        entry[1] -= 1
        if entry[1] == 0:
            del locks[id(own)]
            own.setflags(write=True)
            for view in entry[2] or ():
                view.setflags(write=True)
