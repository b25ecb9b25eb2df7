"""Small data sets for training demos (no downloads), a mini-batch iterator, and torch's
Dataset / TensorDataset / DataLoader / random_split for code written for torch.

Everything is deterministic given `seed`, so a run, a plot and a test see the same batches.
"""
import numpy as np

from .creation import get_generator
from .engine import Tensor, stack


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


class Dataset:
    """Base class of map-style data sets, as torch.utils.data.Dataset: define __getitem__(i)
    and __len__, then hand it to a DataLoader."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: define __getitem__(self, index)")


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays or Tensors: ds[i] == (x[i], y[i]), as torch."""

    def __init__(self, *tensors):
        sizes = [len(t) for t in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: the tensors have {sizes} rows; every one needs the "
                             "same number of samples on its first axis")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0]) if self.tensors else 0


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order (what random_split returns)."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def _rng(generator, op):
    """The NumPy Generator to shuffle with: `generator`, or tg.manual_seed's one if None."""
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{op}: generator is a {type(generator).__module__}."
                        f"{type(generator).__name__}; pass a NumPy one, e.g. generator="
                        "np.random.default_rng(42) for torch.Generator().manual_seed(42), or "
                        "leave it out to use tg.manual_seed's")
    return get_generator(generator)


def random_split(dataset, lengths, generator=None):
    """Disjoint random Subsets of the given lengths (or fractions summing to 1; the remainder
    goes one sample each to the first subsets, as torch). Draws from tg.manual_seed's generator
    unless `generator` (a NumPy Generator) is given."""
    n = len(dataset)
    if lengths and all(0 <= f <= 1 for f in lengths) and abs(sum(lengths) - 1) < 1e-9 \
            and sum(lengths) != n:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n or any(k < 0 for k in lengths):
        raise ValueError(f"random_split: lengths {list(lengths)} sum to {sum(lengths)}, but the "
                         f"dataset has {n} samples; pass lengths summing to {n}, or fractions "
                         "summing to 1")
    order = _rng(generator, "random_split").permutation(n)
    stops = np.cumsum(lengths)
    return [Subset(dataset, order[stop - k:stop].tolist()) for k, stop in zip(lengths, stops)]


def default_collate(samples):
    """Stack a list of samples into one batch, as torch: tuples field by field (a list),
    Tensors with tg.stack, numbers and arrays into one Tensor; strings stay a list."""
    first = samples[0]
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, (tuple, list)):
        return [default_collate(list(field)) for field in zip(*samples)]
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, Tensor):
        return stack(samples)
    return Tensor(np.stack([np.asarray(s) for s in samples]))


class DataLoader:
    """Mini-batches of a Dataset, as torch.utils.data.DataLoader: len(loader) batches per pass,
    the last one partial unless drop_last=True; shuffle=True draws a new order every pass from
    tg.manual_seed's generator (or `generator`, a NumPy Generator); batch_size=None yields the
    samples one by one, unbatched. One process: num_workers and pin_memory change nothing."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None,
                 collate_fn=None, num_workers=0, pin_memory=False):
        if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1
                                       or not isinstance(batch_size, (int, np.integer))):
            raise ValueError(f"DataLoader: batch_size={batch_size!r} must be a whole number >= 1 "
                             "(or None for single samples)")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.drop_last, self.generator = drop_last, generator
        self.collate_fn = collate_fn or default_collate

    def __len__(self):
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = _rng(self.generator, "DataLoader").permutation(n) if self.shuffle \
            else np.arange(n)
        if self.batch_size is None:
            yield from (self.dataset[int(i)] for i in order)
            return
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            yield self.collate_fn([self.dataset[int(i)] for i in idx])
