"""The BLAS thread policy: small products run on one BLAS thread, large ones keep the threads,
and the setting the user had is back after every call."""
import numpy as np
import pytest

from tinygrad_bn.engine import blas


@pytest.fixture
def two_blas_threads():
    """BLAS set to two threads for the test (skips without threadpoolctl or a controllable BLAS)."""
    threadpoolctl = pytest.importorskip("threadpoolctl", reason="threadpoolctl not installed: "
                                        "the policy is off without it")
    if not blas._blas():
        pytest.skip("no BLAS library whose threads threadpoolctl can set")
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        yield lambda: {c.get_num_threads() for c in blas._blas()}


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


def test_matmul_runs_under_the_policy(two_blas_threads, monkeypatch):
    import tinygrad_bn as tg
    seen = []
    real = blas.small_product.__enter__

    def spy(self):
        real(self)
        seen.append(two_blas_threads())
    monkeypatch.setattr(blas.small_product, "__enter__", spy)
    a = tg.Tensor(np.ones((4, 3)), requires_grad=True)
    (a @ tg.Tensor(np.ones((3, 2)))).sum().backward()
    assert seen == [{1}, {1}]                    # forward, backward
    assert two_blas_threads() == {2}
