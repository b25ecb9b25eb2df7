"""Experiment 2: learning-rate sweep of the same MLP with and without BN (BN tolerates larger rates).

Each point is a short run from the same initial weights; a diverged run counts as chance (10%).
"""
import numpy as np
from _common import digits, figure, save, scaled, show

from tinygrad_bn.train import fit, make_mlp

LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


def main(scale=1.0, out_dir=None, epochs=3, hidden=(128, 128, 128)):
    """Final test accuracy per learning rate (SGD, momentum 0.9), with and without BN."""
    data = digits(scale)
    lrs = LRS if scale >= 1 else LRS[::3]
    curves = {}
    for bn in (True, False):
        label = "with BN" if bn else "without BN"
        accs, diverged = [], []
        for lr in lrs:
            h = fit(make_mlp(bn=bn, hidden=hidden, seed=0), data, epochs=scaled(epochs, scale),
                    lr=lr, progress=False)
            accs.append(0.1 if h["diverged"] else h["test_acc"][-1])
            diverged.append(h["diverged"])
        curves[label] = {"lr": list(lrs), "test_acc": accs, "diverged": diverged,
                         "best_lr": lrs[int(np.argmax(accs))],
                         "lrs_above_90": [lr for lr, a in zip(lrs, accs) if a >= 0.9]}
    fig, (ax,) = figure(1, width=6)
    for label, c in curves.items():
        ax.plot(c["lr"], 100 * np.asarray(c["test_acc"]), marker="o", label=label)
        ax.scatter([lr for lr, d in zip(c["lr"], c["diverged"]) if d],
                   [10] * sum(c["diverged"]), marker="x", color="red", zorder=3)
    ax.set(xscale="log", xlabel="learning rate (SGD, momentum 0.9)", ylabel="test accuracy (%)",
           title=f"{len(hidden)}-hidden-layer MLP, {scaled(epochs, scale)} epochs (x = diverged)")
    ax.grid(alpha=0.3)
    ax.legend()
    return {"curves": curves, "plot": save(fig, out_dir, "exp2_lr_sweep")}


if __name__ == "__main__":
    show(main(out_dir="out/experiments"))
