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


@pytest.mark.parametrize("layout", ["C", "batch last", "other"])
@pytest.mark.parametrize("axes", [(0, 2, 3), (0,), (0, 1), (2, 3), (1, 2, 3), (0, 1, 2)])
def test_blas_sum_is_numpys_sum_in_every_layout_or_declines(layout, axes):
    """Where blas_sum applies (C order) it gives NumPy's sum up to summation order; elsewhere
    (conv's batch-last output, any other layout) it returns None for NumPy to do it."""
    rng = np.random.default_rng(0)
    order = {"C": (0, 1, 2, 3), "batch last": (1, 2, 3, 0), "other": (2, 0, 3, 1)}[layout]
    stored = rng.standard_normal([(32, 8, 8, 8)[i] for i in order]).astype(np.float32) + 3
    a = stored.transpose(np.argsort(order))              # shape (32, 8, 8, 8), memory in `order`
    total = blas.blas_sum(a, axes)
    expected = a.astype(np.float64).sum(axis=axes)
    if total is not None:
        assert total.shape == expected.shape and total.dtype == np.float32
        np.testing.assert_allclose(total, expected, rtol=1e-5)
    assert (total is not None) == (layout == "C" and axes in ((0, 2, 3), (2, 3), (1, 2, 3)))


def test_blas_sum_leaves_small_column_sums_to_numpy():
    """Below BLAS_ROWS values a sum over leading axes only is NumPy's (as fast, no thread switch)."""
    assert blas.blas_sum(np.ones((128, 256), np.float32), (0,)) is None
    assert blas.blas_sum(np.ones((4096, 256), np.float32), (0,)) is not None
