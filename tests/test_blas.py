"""The BLAS thread policy (fast/blas.py): small products run on one BLAS thread, large ones keep
the threads, and the setting the user had is back after every call, however calls nest or
interleave; its kernels give the reference ops' results."""
import threading

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.engine import KERNELS, OPS
from tinygrad_bn.fast import blas


@pytest.fixture
def two_blas_threads():
    """BLAS set to two threads for the test (skips without threadpoolctl or a controllable BLAS)."""
    threadpoolctl = pytest.importorskip("threadpoolctl", reason="threadpoolctl not installed: "
                                        "the policy is off without it")
    if not blas.blas_controllers():
        pytest.skip("no BLAS library whose threads threadpoolctl can set")
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        yield lambda: {c.get_num_threads() for c in blas.blas_controllers()}


def test_a_small_product_runs_on_one_thread_and_the_setting_comes_back(two_blas_threads):
    with blas.small_product(blas.SMALL - 1):
        assert two_blas_threads() == {1}
    assert two_blas_threads() == {2}


def test_a_large_product_keeps_the_threads(two_blas_threads):
    with blas.small_product(blas.SMALL):
        assert two_blas_threads() == {2}
    assert two_blas_threads() == {2}


def test_the_setting_comes_back_after_an_error(two_blas_threads):
    with pytest.raises(ValueError):
        with blas.small_product(1):
            raise ValueError("inside")
    assert two_blas_threads() == {2}


def test_nested_and_interleaved_calls_restore_the_setting(two_blas_threads):
    """Two blocks closed in the order they opened (as two threads may) leave BLAS as it was."""
    first, second = blas.small_product(1), blas.small_product(1)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert two_blas_threads() == {1}            # the second is still inside a small product
    second.__exit__(None, None, None)
    assert two_blas_threads() == {2}
    with blas.small_product(1):
        with blas.small_product(1):
            pass
        assert two_blas_threads() == {1}
    assert two_blas_threads() == {2}


def test_two_threads_of_small_products_leave_the_setting_as_it_was(two_blas_threads):
    start = threading.Barrier(2)

    def work():
        start.wait()
        for _ in range(200):
            with blas.small_product(1):
                pass
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert two_blas_threads() == {2}


def test_matmul_runs_under_the_policy(two_blas_threads, monkeypatch):
    seen = []
    real = blas.small_product.__enter__

    def spy(self):
        real(self)
        seen.append(two_blas_threads())
    monkeypatch.setattr(blas.small_product, "__enter__", spy)
    a = tg.Tensor(np.ones((4, 3)), requires_grad=True)
    out = a @ tg.Tensor(np.ones((3, 2)))
    out.sum().backward()
    assert seen == [{1}, {1}]                    # forward, backward
    assert two_blas_threads() == {2}


CASES = {"matmul": lambda r: ((r.standard_normal((5, 4)), r.standard_normal((4, 3))), {}),
         "linear": lambda r: ((r.standard_normal((5, 4)), r.standard_normal((3, 4)),
                               r.standard_normal(3)), {}),
         "conv2d": lambda r: ((r.standard_normal((2, 3, 6, 6)), r.standard_normal((4, 3, 3, 3))),
                              {"padding": 1}),
         "conv_transpose2d": lambda r: ((r.standard_normal((2, 3, 4, 4)),
                                         r.standard_normal((3, 2, 3, 3))), {"stride": 2})}


@pytest.mark.parametrize("name", sorted(blas.POLICY))
def test_each_policy_kernel_equals_its_reference_op(name):
    """Registered under the op's name, a subclass of the reference, the same values (float64,
    1e-12) and the same saved keys; records name the implementation that ran."""
    kernel, reference = KERNELS[name], OPS[name]
    assert issubclass(kernel, reference) and kernel.name == name
    arrays, attrs = CASES[name](np.random.default_rng(0))
    needs = (True,) * len(arrays)
    out_k, saved_k = kernel.forward(*arrays, needs_input_grad=needs, **attrs)
    out_r, saved_r = reference.forward(*arrays, needs_input_grad=needs, **attrs)
    np.testing.assert_allclose(out_k, out_r, rtol=1e-12, atol=1e-12)
    assert set(saved_k) >= set(saved_r)
    g = np.random.default_rng(1).standard_normal(out_r.shape)
    for gk, gr in zip(kernel.backward(g, saved_k, needs), reference.backward(g, saved_r, needs)):
        np.testing.assert_allclose(gk, gr, rtol=1e-12, atol=1e-12)
    inputs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    assert tg.engine.apply(reference, *inputs, **attrs).record.impl is kernel
