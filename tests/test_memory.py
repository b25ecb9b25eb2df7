"""Memory: backward frees what it saved, a long training loop stays flat, dropped graphs are freed."""
import gc
import tracemalloc
import weakref

import numpy as np

import tinygrad_bn as tg
from tinygrad_bn import Tensor, functional as F
from tinygrad_bn.engine.graph import graph_of


def mlp(seed=0):
    """A 4-16-1 MLP with composed batch norm: weights, BN parameters and running statistics."""
    rng = np.random.default_rng(seed)
    params = {"w1": rng.standard_normal((4, 16)) * 0.5, "gamma": np.ones(16), "beta": np.zeros(16),
              "w2": rng.standard_normal((16, 1)) * 0.5, "b2": np.zeros(1)}
    params = {k: Tensor(v, requires_grad=True, name=k) for k, v in params.items()}
    running = {"running_mean": np.zeros(16), "running_var": np.ones(16)}
    return params, running


def train_step(params, running, x, y, lr=0.05):
    """One SGD step of a BN MLP on (x, y); returns the loss. Plain tensor maths, no optimizer."""
    p = params
    h = F.batch_norm(x @ p["w1"], p["gamma"], p["beta"], **running).relu()
    loss = ((h @ p["w2"] + p["b2"] - y) ** 2).mean()
    loss.backward()
    for t in p.values():
        t.data = t.data - lr * t.grad
        t.grad = None
    return loss.item()


def data(seed=0, n=32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    return Tensor(x), Tensor(np.sin(x.sum(axis=1, keepdims=True)))


def test_backward_releases_saved_arrays():
    params, running = mlp()
    x, y = data()
    with tg.Tape() as tape:
        h = F.batch_norm(x @ params["w1"], params["gamma"], params["beta"], **running).relu()
        loss = (h @ params["w2"]).sum()
    assert tape.nbytes > 0
    loss.backward()
    assert all(r.released and r.saved is None for r in tape)
    assert tape.nbytes == 0
    assert all(t.data.flags.writeable for t in params.values())   # the read-only locks are gone


def test_retain_graph_keeps_saved_arrays():
    x = Tensor(np.ones(3), requires_grad=True)
    with tg.Tape() as tape:
        loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    assert all(not r.released for r in tape) and tape.nbytes > 0
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * 2 * np.e * np.ones(3))   # d(x e^x) = (1 + x) e^x, twice


def test_composed_bn_backward_peaks_at_its_live_set_plus_one_temporary():
    """After composed BN's backward the drawing keeps 5 x-sized activations (xmu, sq, xhat, gammax,
    out) and 5 gradients (theirs but out's, which is g, and x's): 10 x-sizes. The walk adds one
    temporary at a time: a leaf's fan-in is summed once into its .grad, and a drained step's arrays
    are gone before the next record runs."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((512, 256)).astype(np.float32), requires_grad=True)
    gamma, beta = (Tensor(np.ones(256, np.float32), requires_grad=True) for _ in range(2))
    g = rng.standard_normal(x.shape).astype(np.float32)
    tracemalloc.start()
    try:
        out = F.batch_norm(x, gamma, beta)
        out.backward(g)
        live, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 10 <= live / x.data.nbytes < 10.5
    assert peak / x.data.nbytes < 11.5          # 12 before either change
    grads = [t.grad for t in graph_of(out).tensors if t.grad is not None and t.grad.size == x.data.size]
    assert len({id(a) for a in grads}) == len(grads) and x.grad is not None


def test_thousand_steps_have_flat_memory():
    """Memory growth between step 100 and step 1000 of a BN MLP, measured by tracemalloc."""
    params, running = mlp()
    x, y = data()
    tracemalloc.start()
    try:
        losses = [train_step(params, running, x, y) for _ in range(100)]
        gc.collect()        # a full collection also empties CPython's free lists: count live memory
        at_100 = tracemalloc.get_traced_memory()[0]
        losses += [train_step(params, running, x, y) for _ in range(900)]
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - at_100
    finally:
        tracemalloc.stop()
    print(f"\nmemory growth from step 100 to step 1000: {growth / 1e6:.4f} MB")
    assert losses[-1] < losses[0]                     # it did train
    assert growth < 1e6


def _owner(a):
    return a if not isinstance(a.base, np.ndarray) else _owner(a.base)


def test_graph_dropped_without_backward_is_freed():
    x = Tensor(np.random.default_rng(0).standard_normal((8, 3)), requires_grad=True)
    gamma, beta = Tensor(np.ones(3), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)
    with tg.Tape() as tape:
        out = F.batch_norm(x, gamma, beta)
    mine = {id(t.data) for t in (x, gamma, beta)}
    saved = {id(_owner(a)): _owner(a) for r in tape for a in r.saved.values()
             if isinstance(a, np.ndarray) and id(_owner(a)) not in mine}
    refs = [weakref.ref(out)] + [weakref.ref(r) for r in tape] + [weakref.ref(a) for a in saved.values()]
    assert len(refs) > 10 and not gamma.data.flags.writeable  # gamma is saved (by gammax)
    del out, tape, saved
    assert all(ref() is None for ref in refs)         # freed by refcounts alone, no gc needed
    assert gamma.data.flags.writeable                 # dropping the graph unlocked gamma


def test_no_grad_records_nothing():
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    with tg.Tape() as tape, tg.no_grad():
        y = F.batch_norm(x, Tensor(np.ones(3)), Tensor(np.zeros(3)))
        z = (y * 2).sum()
    assert len(tape) == 0 and tape.nbytes == 0
    assert y.record is None and z.record is None and not z.requires_grad
    assert x.data.flags.writeable
