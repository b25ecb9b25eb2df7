"""Experiment 3: weights scaled x0.01 and x10 at init, with and without BN (insensitivity to init).

BN divides each layer's output by its batch std, so scaling the weights before it cancels out.
"""
import numpy as np
from _common import digits, figure, save, scaled, show, smooth

from tinygrad_bn import nn
from tinygrad_bn.train import fit, make_mlp

SCALES = (0.01, 1.0, 10.0)


def scaled_mlp(bn, factor, hidden, seed=0):
    """make_mlp with every Linear weight multiplied by `factor` (the bad initialisation)."""
    model = make_mlp(bn=bn, hidden=hidden, seed=seed)
    for layer in model:
        if isinstance(layer, nn.Linear):
            layer.weight.data *= factor
    return model


def main(scale=1.0, out_dir=None, epochs=5, lr=0.01, hidden=(128, 128, 128)):
    """Train each (BN, weight scale) pair with SGD; returns final test accuracy and loss curves."""
    data = digits(scale)
    runs = {}
    fig, axes = figure(2)
    for ax, bn in zip(axes, (True, False)):
        for factor in SCALES:
            h = fit(scaled_mlp(bn, factor, hidden), data, epochs=scaled(epochs, scale), lr=lr,
                    progress=False)
            acc = 0.1 if h["diverged"] else h["test_acc"][-1]
            runs[f"{'with' if bn else 'without'} BN, weights x{factor:g}"] = {
                "final_test_acc": acc, "diverged": h["diverged"],
                "final_train_loss": h["train_loss"][-1]}
            ax.plot(smooth(h["step_loss"]), label=f"weights x{factor:g} (test acc {acc:.1%})")
        ax.set(xlabel="step", ylabel="training loss (20-step average)", yscale="log",
               title=f"MLP {'with' if bn else 'without'} BN, SGD lr={lr}")
        ax.grid(alpha=0.3)
        ax.legend()
    spread = {bn: float(np.ptp([r["final_test_acc"] for k, r in runs.items()
                                if k.startswith(f"{bn} BN")])) for bn in ("with", "without")}
    return {"runs": runs, "accuracy_spread_with_bn": spread["with"],
            "accuracy_spread_without_bn": spread["without"],
            "plot": save(fig, out_dir, "exp3_bad_init")}


if __name__ == "__main__":
    show(main(out_dir="out/experiments"))
