"""Experiment 5: BN before the ReLU (the paper's Linear -> BN -> ReLU) vs after it (Linear -> ReLU -> BN).

A matter of debate in practice; we train both orders from several seeds and compare the spread.
"""
import numpy as np
from _common import digits, figure, save, scaled, show

from tinygrad_bn.train import fit, make_mlp

SEEDS = (0, 1, 2, 3, 4)


def main(scale=1.0, out_dir=None, epochs=8, lr=0.02, hidden=(128, 128, 128)):
    """Final test accuracy of each order over SEEDS (SGD, momentum 0.9): mean, std, per seed."""
    data = digits(scale)
    seeds = SEEDS if scale >= 1 else SEEDS[:2]
    orders = {}
    fig, (ax,) = figure(1, width=6)
    for after in (False, True):
        label = "ReLU -> BN (after)" if after else "BN -> ReLU (before)"
        curves = [fit(make_mlp(hidden=hidden, bn_after_activation=after, seed=seed), data,
                      epochs=scaled(epochs, scale), lr=lr, seed=seed, progress=False)["test_acc"]
                  for seed in seeds]
        final = [c[-1] for c in curves]
        orders[label] = {"mean_test_acc": float(np.mean(final)), "std_test_acc": float(np.std(final)),
                         "per_seed": final}
        mean = 100 * np.mean(curves, axis=0)
        epochs_axis = np.arange(1, len(mean) + 1)
        ax.plot(epochs_axis, mean, marker="o", label=f"{label}: {np.mean(final):.2%} "
                f"+- {np.std(final):.2%}")
        ax.fill_between(epochs_axis, 100 * np.min(curves, axis=0), 100 * np.max(curves, axis=0),
                        alpha=0.2)
    ax.set(xlabel="epoch", ylabel="test accuracy (%)",
           title=f"BN position, {len(hidden)}-hidden-layer MLP: mean, range of {len(seeds)} seeds")
    ax.grid(alpha=0.3)
    ax.legend()
    return {"orders": orders, "plot": save(fig, out_dir, "exp5_bn_relu_order")}


if __name__ == "__main__":
    show(main(out_dir="out/experiments"))
