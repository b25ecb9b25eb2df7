"""Data sets and the batch iterator: shapes, ranges, determinism, stratification, coverage."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinygrad_bn.data import batches, load_digits, moons, spirals


def test_digits_shapes_range_and_split():
    x_train, y_train, x_test, y_test = load_digits(test_fraction=0.2, seed=0)
    assert x_train.shape[1:] == (64,) and x_test.shape[1:] == (64,)
    assert len(x_train) + len(x_test) == 1797 and len(x_train) == len(y_train)
    assert x_train.dtype == np.float64 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    # stratified: every class holds about 20% of its samples in test
    for c in range(10):
        n_test, n_all = (y_test == c).sum(), (y_test == c).sum() + (y_train == c).sum()
        assert abs(n_test - 0.2 * n_all) <= 0.5


def test_digits_images_match_flat_rows_and_are_deterministic():
    flat = load_digits(seed=3)
    images = load_digits(seed=3, flat=False)
    assert images[0].shape[1:] == (1, 8, 8)
    np.testing.assert_array_equal(images[0].reshape(len(images[0]), -1), flat[0])
    np.testing.assert_array_equal(images[1], flat[1])
    other = load_digits(seed=4)
    assert not np.array_equal(other[1], flat[1])


def test_digits_train_and_test_are_disjoint():
    x_train, _, x_test, _ = load_digits(seed=0)
    train_rows = {r.tobytes() for r in x_train}
    # the digits set has a few duplicate images, so compare counts, not emptiness
    assert sum(r.tobytes() in train_rows for r in x_test) < 0.02 * len(x_test)


def test_digits_bad_fraction_is_a_clear_error():
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.0)


@pytest.mark.parametrize("make", [lambda s: spirals(90, 3, 0.2, s), lambda s: moons(90, 0.1, s)])
def test_synthetic_sets_are_balanced_and_seeded(make):
    x, y = make(0)
    assert x.shape == (90, 2) and y.shape == (90,)
    counts = np.bincount(y)
    assert counts.min() == counts.max()
    np.testing.assert_array_equal(make(0)[0], x)
    assert not np.array_equal(make(1)[0], x)


def test_moons_classes_are_the_two_half_circles():
    x, y = moons(400, noise=0.0, seed=0)
    np.testing.assert_allclose(np.hypot(*x[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(x[y == 1, 0] - 1.0, x[y == 1, 1] - 0.5), 1.0)


@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(),
       shuffle=st.booleans())
def test_batches_cover_once_and_never_leave_a_lone_tail(n, batch_size, drop_last, shuffle):
    x, y = np.arange(n * 2.0).reshape(n, 2), np.arange(n)
    out = list(batches(x, y, batch_size, shuffle=shuffle, seed=1, drop_last=drop_last))
    seen = np.concatenate([yb for _, yb in out]) if out else np.array([], int)
    for xb, yb in out:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)      # x and y stay paired
    assert len(set(seen)) == len(seen)
    if drop_last:
        assert all(len(yb) == batch_size for _, yb in out)
        assert len(seen) == n - n % batch_size
    else:
        assert sorted(seen) == list(range(n))
        sizes = [len(yb) for _, yb in out]
        assert max(sizes) <= batch_size + 1
        if batch_size > 1 and n > 1:
            assert min(sizes) > 1
    if not shuffle:
        assert list(seen) == sorted(seen)


def test_batches_shuffle_depends_on_seed():
    x, y = np.zeros((20, 1)), np.arange(20)
    first = [yb for _, yb in batches(x, y, 5, seed=0)]
    again = [yb for _, yb in batches(x, y, 5, seed=0)]
    other = [yb for _, yb in batches(x, y, 5, seed=1)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_batches_mismatched_lengths_is_a_clear_error():
    with pytest.raises(ValueError, match="x has 3 samples but y has 2"):
        next(batches(np.zeros((3, 1)), np.zeros(2), 2))


def test_train_without_scikit_learn_says_what_to_install(monkeypatch, tmp_path, capsys):
    """sys.modules[name] = None makes `import name` fail, as on a machine without it."""
    from tinygrad_bn.cli import main
    for name in ("sklearn", "sklearn.datasets"):
        monkeypatch.setitem(__import__("sys").modules, name, None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[examples\]".*pip install '
                                          "scikit-learn"):
        load_digits()
    assert main(["train", "mlp", "--out", str(tmp_path / "run"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "scikit-learn, which is not installed" in err and "pip install scikit-learn" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
