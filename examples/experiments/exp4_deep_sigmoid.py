"""Experiment 4: a 10-layer sigmoid MLP with and without BN (BN makes deep saturating nets trainable).

Without BN the gradient shrinks by sigmoid' <= 1/4 per layer; BN keeps inputs near sigmoid's slope.
"""
import numpy as np
from _common import digits, figure, save, scaled, show, smooth

from tinygrad_bn import Tensor, functional as F, nn
from tinygrad_bn.train import fit, make_mlp


def first_layer_grad_ratio(model, data):
    """|grad| of the first Linear weight over that of the last, on one batch at init (1 = no decay)."""
    x_train, y_train = data[0][:128], data[1][:128]
    F.cross_entropy(model(Tensor(x_train)), y_train).backward()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    ratio = np.linalg.norm(linears[0].weight.grad) / np.linalg.norm(linears[-1].weight.grad)
    model.zero_grad()
    return float(ratio)


def main(scale=1.0, out_dir=None, depth=10, width=64, epochs=10, lr=0.05):
    """Train the deep sigmoid MLP with and without BN; returns accuracies and gradient ratios."""
    data = digits(scale)
    runs = {}
    fig, (ax,) = figure(1, width=6)
    for bn in (True, False):
        model = make_mlp(bn=bn, hidden=(width,) * depth, activation="sigmoid", seed=0)
        ratio = first_layer_grad_ratio(model, data)
        h = fit(model, data, epochs=scaled(epochs, scale), lr=lr, progress=False)
        label = f"{'with' if bn else 'without'} BN"
        runs[label] = {"grad_ratio_first_over_last": ratio, "final_test_acc": h["test_acc"][-1],
                       "test_acc": h["test_acc"], "final_train_loss": h["train_loss"][-1]}
        ax.plot(smooth(h["step_loss"]),
                label=f"{label}: test acc {h['test_acc'][-1]:.1%}, |dW1|/|dW_last| = {ratio:.1e}")
    ax.set(xlabel="step", ylabel="training loss (20-step average)", yscale="log",
           title=f"{depth}-layer sigmoid MLP (width {width}), SGD lr={lr}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return {"runs": runs, "plot": save(fig, out_dir, "exp4_deep_sigmoid")}


if __name__ == "__main__":
    show(main(out_dir="out/experiments"))
