"""Experiment 8: fold each eval-mode BN into the Linear/Conv2d before it: same predictions, fewer layers.

In eval mode BN is y = k * x + b per channel, so W' = k * W and b' = k * bias + b do both at once.
"""
import numpy as np
from _common import digits, figure, save, scaled, show

from tinygrad_bn import Tape, Tensor, nn
from tinygrad_bn.train import fit, make_cnn, make_mlp


def fold_model(model):
    """A new Sequential with every (Linear|Conv2d, BatchNorm) pair replaced by one folded layer."""
    layers, folded = list(model), []
    for layer in layers:
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            prev = folded.pop()
            weight, bias = nn.fold_into(prev, layer)
            folded.append(_with_weights(prev, weight, bias))
        else:
            folded.append(layer)
    return nn.Sequential(*folded).eval()


def _with_weights(layer, weight, bias):
    """A copy of Linear/Conv2d `layer` (now with a bias) holding the given weight and bias."""
    if isinstance(layer, nn.Linear):
        new = nn.Linear(layer.in_features, layer.out_features)
    else:
        new = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                        stride=layer.stride, padding=layer.padding)
    new.weight.data, new.bias.data = weight.copy(), bias.copy()
    return new


def compare(model, x):
    """Logits of the model and its folded copy, eval mode, and their record counts per forward."""
    model.eval()
    folded = fold_model(model)
    outs, records = [], []
    for m in (model, folded):
        with Tape() as tape:                    # counts the primitives one forward runs
            outs.append(m(Tensor(x)).data)
        records.append(len(tape))
    return outs, records, len(model), len(folded)


def main(scale=1.0, out_dir=None, epochs=3, lr=0.05):
    """Train a BN MLP and CNN briefly, fold them, and compare logits, predictions and sizes."""
    results = {}
    fig, axes = figure(2)
    for ax, (kind, build, flat) in zip(axes, (("mlp", make_mlp, True), ("cnn", make_cnn, False))):
        data = digits(scale, flat=flat)
        model = build(seed=0)
        fit(model, data, epochs=scaled(epochs, scale), lr=lr, progress=False)
        (logits, folded_logits), records, n_layers, n_folded = compare(model, data[2])
        diff = float(np.abs(logits - folded_logits).max())
        results[kind] = {"max_logit_diff": diff, "layers": n_layers, "folded_layers": n_folded,
                         "records_per_forward": records[0], "folded_records_per_forward": records[1],
                         "same_predictions": bool((logits.argmax(1) == folded_logits.argmax(1)).all())}
        ax.scatter(logits.ravel(), folded_logits.ravel(), s=3)
        ax.set(xlabel=f"logits, {kind} with BN ({n_layers} layers, {records[0]} records)",
               ylabel=f"logits, folded ({n_folded} layers, {records[1]} records)",
               title=f"{kind.upper()}: max |diff| = {diff:.1e}")
        ax.grid(alpha=0.3)
    results["plot"] = save(fig, out_dir, "exp8_folding")
    return results


if __name__ == "__main__":
    show(main(out_dir="out/experiments"))
