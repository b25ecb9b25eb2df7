"""Experiment 6: a conv bias right before BN is redundant (BN subtracts the batch mean, bias and all).

Its gradient is zero (up to float rounding) and a model without it trains to the same outputs.
In eval mode the bias survives in the running mean's start value: a residue b * (1 - momentum)**steps.
"""
import numpy as np
from _common import digits, figure, save, scaled, show

from tinygrad_bn import Tensor, functional as F, nn, no_grad
from tinygrad_bn.train import fit, make_cnn


def twin_models(seed=0):
    """(with_bias, without_bias): the same CNN weights; the first also has random conv biases."""
    with_bias = make_cnn(conv_bias=True, dropout=0, seed=seed)
    without = make_cnn(conv_bias=False, dropout=0, seed=seed)
    state = with_bias.state_dict()
    rng = np.random.default_rng(seed)
    for layer in with_bias:
        if isinstance(layer, nn.Conv2d):
            layer.bias.data = rng.normal(0.0, 1.0, layer.bias.shape)   # large, to make the point
    without.load_state_dict({k: v for k, v in state.items() if k in without.state_dict()})
    return with_bias, without


def grad_sizes(model, data):
    """Largest |gradient| of every parameter on one training batch, by name."""
    x, y = data[0][:64], data[1][:64]
    model.zero_grad()
    F.cross_entropy(model(Tensor(x)), y).backward()
    sizes = {name: float(np.abs(p.grad).max()) for name, p in model.named_parameters()}
    model.zero_grad()
    return sizes


def main(scale=1.0, out_dir=None, epochs=3, lr=0.05):
    """Bias gradients at init, then train both twins on the same batches and compare outputs."""
    data = digits(scale, flat=False)
    with_bias, without = twin_models()
    sizes = grad_sizes(with_bias, data)
    bias_names = [f"{i}.bias" for i, m in enumerate(with_bias) if isinstance(m, nn.Conv2d)]
    biases_before = [with_bias[int(n.split(".")[0])].bias.data.copy() for n in bias_names]
    for model in (with_bias, without):
        fit(model, data, epochs=scaled(epochs, scale), lr=lr, progress=False)
    with no_grad():                     # eval first: a train-mode forward moves running stats
        eval_logits = [m.eval()(Tensor(data[2])).data for m in (with_bias, without)]
        logits = [m.train()(Tensor(data[2])).data for m in (with_bias, without)]
    bias_moved = max(float(np.abs(with_bias[int(n.split(".")[0])].bias.data - b).max())
                     for n, b in zip(bias_names, biases_before))
    results = {"max_conv_bias_grad": max(sizes[n] for n in bias_names),
               "min_other_grad": min(v for k, v in sizes.items() if k not in bias_names),
               "conv_bias_change_after_training": bias_moved,
               "max_logit_diff_train_mode": float(np.abs(logits[0] - logits[1]).max()),
               "max_logit_diff_eval_mode": float(np.abs(eval_logits[0] - eval_logits[1]).max()),
               "same_predictions": bool((logits[0].argmax(1) == logits[1].argmax(1)).all())}
    fig, (ax_grad, ax_out) = figure(2)
    names = list(sizes)
    ax_grad.barh(names, [max(sizes[n], 1e-20) for n in names],
                 color=["tab:red" if n in bias_names else "tab:blue" for n in names])
    ax_grad.set(xscale="log", xlabel="max |gradient| at init (one batch)",
                title="conv biases (red) before BN get ~0 gradient")
    ax_out.scatter(logits[1].ravel(), logits[0].ravel(), s=3)
    ax_out.set(xlabel="logits, model without conv bias", ylabel="logits, model with conv bias",
               title=f"after training (batch stats): max |diff| = "
                     f"{results['max_logit_diff_train_mode']:.1e}")
    for ax in (ax_grad, ax_out):
        ax.grid(alpha=0.3)
    results["plot"] = save(fig, out_dir, "exp6_conv_bias")
    return results


if __name__ == "__main__":
    show(main(out_dir="out/experiments"))
