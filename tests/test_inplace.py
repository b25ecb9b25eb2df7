"""In-place writes against saved arrays: views the engine makes share the protection, NumPy
aliases are caught in anomaly mode, and unlocking from a finalizer under gc cannot deadlock."""
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.engine import readonly

ROOT = Path(__file__).resolve().parents[1]
VIEWS = {"reshape": lambda x: x.reshape(3), "transpose": lambda x: x.transpose(),
         "T": lambda x: x.T, "getitem": lambda x: x[0:], "broadcast_to": lambda x: x.broadcast_to((3,))}


@pytest.mark.parametrize("view", VIEWS.values(), ids=VIEWS.keys())
def test_a_view_made_before_or_after_the_save_cannot_corrupt_the_gradient(view):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    before = view(x)
    y = (x * x).sum()                          # saves x.data
    after = view(x)
    for v in (before, after):
        with pytest.raises(ValueError, match="read-only"):
            v.data[0] = 100.0
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_engine_views_are_read_only_and_the_base_stays_writable():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = x.reshape(6)
    assert not v.data.flags.writeable and x.data.flags.writeable
    x.data[0, 0] = 7.0                          # write through the base: the view sees it
    assert v.data[0] == 7.0
    assert (x * 2).data.flags.writeable         # new arrays (not views) stay writable


def test_a_numpy_alias_made_before_the_tensor_is_caught_in_anomaly_mode():
    a = np.array([1.0, 2.0, 3.0])
    alias = a[:]                                # made before Tensor(a): the engine cannot lock it
    x = Tensor(a, requires_grad=True)
    with tg.detect_anomaly():
        y = (x * x).sum()
        alias[0] = 100.0
        with pytest.raises(RuntimeError, match=r"anomaly: mul saved a \(3,\) for backward, and it "
                                               r"was changed in place after it was recorded \(at "
                                               r".*test_inplace.py"):
            y.backward()


def test_checksums_are_taken_only_in_anomaly_mode():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert (x * x).record.checksums is None
    with tg.detect_anomaly():
        y = (x * x).sum()
        assert set(y.record.inputs[0].record.checksums) == {"a", "b"}
        y.backward()                            # unchanged arrays pass the check
    assert x.grad.tolist() == [2.0, 4.0]


def test_records_freed_by_gc_inside_lock_do_not_deadlock():
    """A Record in a reference cycle, finalized by a collection that starts inside
    readonly.lock(), used to wait for the lock its own thread held (a hang after ~245 steps)."""
    script = textwrap.dedent("""
        import gc, threading
        import numpy as np
        import tinygrad_bn as tg
        from tinygrad_bn.engine import readonly
        gc.enable()
        gc.set_threshold(50)                   # collections start often, also inside lock()

        class Node:
            def __init__(self, t):
                self.t, self.me = t, self      # a cycle: only gc frees the record

        def work():
            for _ in range(3000):
                x = tg.Tensor(np.ones(3), requires_grad=True)
                Node(x * x)
                Node((x * 2).exp())

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        work()
        for t in threads:
            t.join()
        gc.collect()
        print(len(readonly.locks), len(readonly.pending))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "0"]     # every lock released, nothing left queued


def test_a_finalizer_unlock_waits_in_the_queue_while_the_guard_is_held():
    data = np.array([1.0, 2.0])
    locked = readonly.lock({"a": data})
    with readonly.guard:                       # as if gc freed a record inside lock()
        del locked                              # its Lock's finalizer must queue, not wait
        assert not data.flags.writeable and len(readonly.pending) == 1
    readonly.drain()                           # what the guard's holder does on letting go
    assert data.flags.writeable and not readonly.pending


def test_a_lock_released_by_backward_is_not_released_again_when_freed():
    data = np.array([1.0, 2.0])
    first, second = readonly.lock({"a": data}), readonly.lock({"a": data})
    first.release()
    assert not data.flags.writeable             # the second record still holds it
    del first                                   # released already: the finalizer does nothing
    assert not data.flags.writeable and not readonly.pending
    del second                                  # dropped without release: the finalizer unlocks
    assert data.flags.writeable and id(data) not in readonly.locks


def test_only_arrays_that_need_it_are_locked():
    constant, data = np.asarray(2.0), np.array([1.0, 2.0])
    constant.setflags(write=False)
    assert readonly.lock({"c": constant, "shape": (2,)}) is None     # nothing to lock: no Lock
    locked = readonly.lock({"c": constant, "a": data})
    assert locked.owners == [data] and not data.flags.writeable
    locked.release()
    assert data.flags.writeable and not constant.flags.writeable


def test_a_mask_given_to_where_or_masked_fill_stays_the_callers_and_writable():
    """The where record saves a copy of the mask, so the caller may reuse their array (as in
    torch) and the gradient still uses the mask as it was when the op ran."""
    x = tg.Tensor(np.arange(4.0), requires_grad=True)
    picked = np.array([1.0, 0.0, 1.0, 0.0])          # x's gradient where the mask picks x
    for make, grad in ((lambda m: tg.where(m, x, 0.0), picked),
                       (lambda m: x.masked_fill(m, 0.0), 1 - picked)):
        mask = np.array([True, False, True, False])
        y = make(mask)
        mask[:] = ~mask                              # no error: the array is still the caller's
        x.grad = None
        y.sum().backward()
        np.testing.assert_array_equal(x.grad, grad)
