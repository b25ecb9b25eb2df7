"""Small data sets for training demos (no downloads) and a mini-batch iterator.

Everything is deterministic given `seed`, so a run, a plot and a test see the same batches.
"""
import numpy as np


def load_digits(test_fraction=0.2, seed=0, flat=True):
    """scikit-learn's bundled 8x8 digits in [0, 1], split per class: (x_train, y_train, x_test, y_test).

    flat=True gives (N, 64) rows for MLPs; flat=False gives (N, 1, 8, 8) images for CNNs.
    """
    try:                                                      # an optional extra, imported on use
        from sklearn.datasets import load_digits as sk_digits
    except ImportError as exc:
        raise ImportError("load_digits: the 8x8 digits come with scikit-learn, which is not "
                          "installed; install the examples extra, pip install -e \".[examples]\" "
                          "in a checkout, or just pip install scikit-learn") from exc
    if not 0 < test_fraction < 1:
        raise ValueError(f"load_digits: test_fraction={test_fraction} must be in (0, 1)")
    digits = sk_digits()
    x = (digits.images / 16.0).astype(np.float64)            # pixels are 0..16
    y = digits.target.astype(np.int64)
    train, test = _stratified_split(y, test_fraction, seed)
    if flat:
        x = x.reshape(len(x), -1)
    else:
        x = x[:, None, :, :]
    return x[train], y[train], x[test], y[test]


def _stratified_split(y, test_fraction, seed):
    """Index arrays (train, test) holding test_fraction of every class in test, shuffled."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(test_fraction * len(idx)))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def spirals(n=300, classes=3, noise=0.2, seed=0):
    """`classes` interleaved 2-D spiral arms, n points in all: (x (n, 2), y (n,)).

    The classic CS231n toy set: not linearly separable, so a hidden layer is needed.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    r = rng.uniform(0.0, 1.0, n)
    theta = r * 4.0 + y * (2 * np.pi / classes) + rng.normal(0.0, noise, n)
    x = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    return x, y.astype(np.int64)


def moons(n=300, noise=0.1, seed=0):
    """Two interleaving half circles, n points in all: (x (n, 2), y (n,) in {0, 1})."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.where(y[:, None] == 0, upper, lower) + rng.normal(0.0, noise, (n, 2))
    return x, y.astype(np.int64)


def batches(x, y, batch_size, shuffle=True, seed=0, drop_last=False):
    """Yield (x_batch, y_batch) mini-batches covering the data once, shuffled by `seed`.

    A tail of one sample joins the previous batch instead of coming alone: BatchNorm cannot
    train on a batch of one (its variance is 0). drop_last=True drops any partial tail instead.
    """
    n = len(x)
    if len(y) != n:
        raise ValueError(f"batches: x has {n} samples but y has {len(y)}; pass matching arrays")
    if batch_size < 1:
        raise ValueError(f"batches: batch_size={batch_size} must be at least 1")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    stops = list(range(batch_size, n + 1, batch_size))
    if n % batch_size and not drop_last:
        stops.append(n)
        if n % batch_size == 1 and len(stops) > 1:
            del stops[-2]                                     # merge the 1-sample tail
    start = 0
    for stop in stops:
        idx = order[start:stop]
        yield x[idx], y[idx]
        start = stop
