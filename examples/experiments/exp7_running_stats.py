"""Experiment 7: the "forgot to update the running statistics" pitfall, and its fix.

Training uses batch statistics, so it looks fine; eval uses running_mean/var, still at 0 and 1.
"""
import numpy as np
from _common import digits, figure, save, show

from tinygrad_bn import Tensor, nn, no_grad
from tinygrad_bn.data import batches
from tinygrad_bn.train import evaluate, fit, make_mlp


def batch_stat_accuracy(model, x, y):
    """Accuracy with BN in training mode (batch statistics), without learning or updating anything."""
    saved = [(bn.running_mean.copy(), bn.running_var.copy()) for bn in _bns(model)]
    with no_grad():
        acc = float((model.train()(Tensor(x)).data.argmax(1) == y).mean())
    for bn, (mean, var) in zip(_bns(model), saved):
        bn.running_mean[...], bn.running_var[...] = mean, var
    return acc


def recalibrate(model, x, batch_size=64):
    """The fix after the fact: re-estimate running stats with a cumulative average over one pass."""
    for bn in _bns(model):
        bn.running_mean[...], bn.running_var[...] = 0.0, 1.0
        bn.num_batches_tracked[...], bn.momentum = 0, None
    with no_grad():
        for xb, _ in batches(x, np.zeros(len(x)), batch_size):
            model.train()(Tensor(xb))
    for bn in _bns(model):
        bn.momentum = 0.1
    return model.eval()


def _bns(model):
    """The BatchNorm1d layers of the model, in order."""
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]


def main(scale=1.0, out_dir=None, steps=50, lr=0.05):
    """Train `steps` batches with frozen running stats (momentum 0), evaluate, fix two ways."""
    data = digits(scale)
    x_test, y_test = data[2], data[3]
    forgot = make_mlp(seed=0)
    for bn in _bns(forgot):
        bn.momentum = 0.0                       # the bug: running = 1 * running + 0 * batch
    fit(forgot, data, epochs=100, max_steps=steps, lr=lr, progress=False)
    results = {"train_mode_acc": batch_stat_accuracy(forgot, x_test, y_test),
               "eval_acc_stale_stats": evaluate(forgot, x_test, y_test)[1],
               "stale_running_mean_abs_max": float(np.abs(_bns(forgot)[0].running_mean).max())}
    results["eval_acc_after_recalibration"] = evaluate(recalibrate(forgot, data[0]),
                                                       x_test, y_test)[1]
    correct = make_mlp(seed=0)                  # the fix from the start: momentum 0.1
    fit(correct, data, epochs=100, max_steps=steps, lr=lr, progress=False)
    results["eval_acc_momentum_0.1"] = evaluate(correct, x_test, y_test)[1]
    fig, (ax,) = figure(1, width=6)
    labels = ["train mode\n(batch stats)", "eval, stale\nrunning stats", "eval after\nrecalibration",
              "eval, trained\nwith momentum 0.1"]
    values = [100 * results[k] for k in ("train_mode_acc", "eval_acc_stale_stats",
                                         "eval_acc_after_recalibration", "eval_acc_momentum_0.1")]
    bars = ax.bar(labels, values, color=["tab:blue", "tab:red", "tab:green", "tab:green"])
    ax.bar_label(bars, fmt="%.1f%%")
    ax.set(ylabel="test accuracy (%)", ylim=(0, 105),
           title=f"BN MLP after {steps} steps with running stats never updated")
    results["plot"] = save(fig, out_dir, "exp7_running_stats")
    return results


if __name__ == "__main__":
    show(main(out_dir="out/experiments"))
