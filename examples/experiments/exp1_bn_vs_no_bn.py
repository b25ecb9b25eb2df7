"""Experiment 1: the same MLP and CNN trained with and without BN (the BN paper's faster convergence).

Same initial weights, batches and learning rate; only the BatchNorm layers differ.
"""
from _common import digits, figure, save, scaled, show, smooth

from tinygrad_bn.train import fit, make_cnn, make_mlp

RUNS = {"mlp": (make_mlp, True, 10), "cnn": (make_cnn, False, 4)}   # builder, flat input, epochs


def main(scale=1.0, out_dir=None, lr=0.01):
    """Train each model with and without BN (SGD, momentum 0.9); returns their curves and figures."""
    runs = {}
    fig, axes = figure(2)
    for ax, (kind, (build, flat, epochs)) in zip(axes, RUNS.items()):
        data = digits(scale, flat=flat)
        for bn in (True, False):
            h = fit(build(bn=bn, seed=0), data, epochs=scaled(epochs, scale), lr=lr, progress=False)
            label = f"{kind} {'with' if bn else 'without'} BN"
            runs[label] = {"first_epoch_loss": h["train_loss"][0],
                              "final_test_acc": h["test_acc"][-1], "test_acc": h["test_acc"],
                              "step_loss": h["step_loss"]}
            ax.plot(smooth(h["step_loss"]), label=f"{label} (test acc {h['test_acc'][-1]:.1%})")
        ax.set(xlabel="step", ylabel="training loss (20-step average)", yscale="log",
               title=f"{kind.upper()} on digits, SGD lr={lr}")
        ax.grid(alpha=0.3)
        ax.legend()
    return {"runs": runs, "plot": save(fig, out_dir, "exp1_bn_vs_no_bn")}


if __name__ == "__main__":
    show(main(out_dir="out/experiments"))
