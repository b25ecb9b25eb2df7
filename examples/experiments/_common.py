"""Shared helpers of the BN experiments: scaled data and run lengths, smoothing, saving plots.

`scale` shrinks every experiment the same way: 1.0 is the documented run, 0.05 a smoke test.
"""
import os

import matplotlib
matplotlib.use("Agg")                    # files only, no display needed
import matplotlib.pyplot as plt          # noqa: E402
import numpy as np                       # noqa: E402

from tinygrad_bn.data import load_digits  # noqa: E402

DOCS_IMG = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img",
                                         "experiments"))


def digits(scale=1.0, flat=True):
    """The digits split (seed 0), train and test cut to a `scale` fraction (at least 100 each)."""
    x_train, y_train, x_test, y_test = load_digits(seed=0, flat=flat)
    n_train, n_test = (max(100, int(scale * len(a))) for a in (x_train, x_test))
    return x_train[:n_train], y_train[:n_train], x_test[:n_test], y_test[:n_test]


def scaled(n, scale):
    """n epochs (or steps) scaled down, never below 1."""
    return max(1, int(round(n * scale)))


def smooth(values, k=20):
    """Moving average over k steps (shorter at the start), so noisy step losses read as curves."""
    values = np.asarray(values, dtype=float)
    csum = np.cumsum(np.insert(values, 0, 0.0))
    lo = np.maximum(np.arange(1, len(values) + 1) - k, 0)
    return (csum[1:] - csum[lo]) / (np.arange(1, len(values) + 1) - lo)


def figure(ncols=1, width=5.0, height=4.0):
    """A row of `ncols` axes, sized for the docs page."""
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, axes[0]


def save(fig, out_dir, name):
    """Write fig as out_dir/name.png (when out_dir is given) and close it; returns the path or None."""
    path = None
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, f"{name}.png")
        fig.tight_layout()
        fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def show(results, indent=""):
    """Print an experiment's results: numbers and short lists, nested dicts indented."""
    for key, value in results.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            show(value, indent + "  ")
        elif isinstance(value, list) and len(value) <= 12:
            print(f"{indent}{key}: [{', '.join(_fmt(v) for v in value)}]")
        elif not isinstance(value, list):
            print(f"{indent}{key}: {_fmt(value)}")


def _fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)
