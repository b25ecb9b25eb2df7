"""Threads: grad mode, tapes and anomaly mode are per thread, so two training loops never mix."""
import sys
import threading

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor

from test_memory import data, mlp, train_step


@pytest.fixture
def switch_often():
    """Make the interpreter switch threads every microsecond, so the loops really interleave."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def train(seed, x, y, steps=150, start=None):
    """Losses and final weights of a BN MLP trained from `seed` on a shared (x, y)."""
    params, running = mlp(seed)
    if start is not None:
        start.wait()
    losses = [train_step(params, running, x, y) for _ in range(steps)]
    return losses, {k: t.data for k, t in params.items()}, running


def test_two_threads_equal_one_after_the_other(switch_often):
    x, y = data()                     # both loops read (and lock, while saved) the same arrays
    expected = [train(seed, x, y) for seed in (1, 2)]
    results, start = {}, threading.Barrier(2)

    def run(seed):
        results[seed] = train(seed, x, y, start=start)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed, (losses, weights, running) in zip((1, 2), expected):
        got_losses, got_weights, got_running = results[seed]
        assert got_losses == losses                   # bitwise: nothing leaked between threads
        for k in weights:
            np.testing.assert_array_equal(got_weights[k], weights[k])
        for k in running:
            np.testing.assert_array_equal(got_running[k], running[k])
    assert x.data.flags.writeable                     # every lock on the shared input was released


def run_paused(body, ready, resume):
    """Start a thread that enters `body` (a context manager), signals `ready`, waits for `resume`."""
    def target():
        with body:
            ready.set()
            resume.wait(timeout=10)
    thread = threading.Thread(target=target)
    thread.start()
    ready.wait(timeout=10)
    return thread


def test_no_grad_in_one_thread_does_not_affect_another():
    ready, resume = threading.Event(), threading.Event()
    thread = run_paused(tg.no_grad(), ready, resume)
    try:
        x = Tensor(np.ones(3), requires_grad=True)
        y = (x * 2).sum()
        assert tg.is_grad_enabled() and y.requires_grad and y.record is not None
        y.backward()
        np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    finally:
        resume.set()
        thread.join()


def test_tape_in_one_thread_does_not_record_another():
    ready, resume = threading.Event(), threading.Event()
    tape = tg.Tape()
    thread = run_paused(tape, ready, resume)
    try:
        x = Tensor(np.ones(3), requires_grad=True)
        (x * 2).exp().sum()
    finally:
        resume.set()
        thread.join()
    assert len(tape) == 0


def test_anomaly_mode_is_per_thread():
    ready, resume = threading.Event(), threading.Event()
    thread = run_paused(tg.detect_anomaly(), ready, resume)
    try:
        with np.errstate(divide="ignore"):
            out = Tensor(np.zeros(2), requires_grad=True).log()   # -inf, but no anomaly here
        assert np.all(np.isneginf(out.data))
    finally:
        resume.set()
        thread.join()
