"""Training small classifiers: model builders, the training loop and evaluation.

Used by `tinygrad-bn train` and the BN experiments, so both train exactly the same way.
"""
import numpy as np

from . import functional as F, nn, optim
from .data import batches
from .engine import Tensor, no_grad
from .fast.jit import jit as replayed

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def make_mlp(bn=True, d_in=64, hidden=(128, 128), classes=10, activation="relu",
             bn_after_activation=False, seed=0):
    """Linear -> [BatchNorm1d] -> activation per hidden layer, then a Linear to the class logits.

    bn_after_activation=True puts BN after the activation instead (experiment 5).
    """
    rng = np.random.default_rng(seed)                 # PyTorch's default init, reproducibly
    layers, width = [], d_in
    for h in hidden:
        block = [nn.Linear(width, h, generator=rng), ACTIVATIONS[activation]()]
        if bn:
            block.insert(2 if bn_after_activation else 1, nn.BatchNorm1d(h))
        layers += block
        width = h
    return nn.Sequential(*layers, nn.Linear(width, classes, generator=rng))


def make_cnn(bn=True, channels=(16, 32), classes=10, image=8, conv_bias=None, dropout=0.3,
             seed=0):
    """[Conv3x3 -> BatchNorm2d -> ReLU -> MaxPool2] per entry of `channels`, Flatten, Dropout, Linear.

    conv_bias=None gives the convs a bias only without BN (BN's beta makes it redundant).
    """
    rng = np.random.default_rng(seed)                 # PyTorch's default init, reproducibly
    bias = (not bn) if conv_bias is None else conv_bias
    layers, cin = [], 1
    for cout in channels:
        layers.append(nn.Conv2d(cin, cout, 3, padding=1, bias=bias, generator=rng))
        layers += [nn.BatchNorm2d(cout)] if bn else []
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        cin, image = cout, image // 2
    head = [nn.Dropout(dropout, generator=rng)] if dropout else []
    return nn.Sequential(*layers, nn.Flatten(), *head,
                         nn.Linear(cin * image * image, classes, generator=rng))


MODELS = {"mlp": make_mlp, "cnn": make_cnn}
# Hyperparameters of `tinygrad-bn train` (measured in docs/experiments.md: >= 97% / >= 98%).
DEFAULTS = {"mlp": {"epochs": 20, "lr": 0.05, "batch_size": 32, "optimizer": "sgd", "cosine": True},
            "cnn": {"epochs": 12, "lr": 0.05, "batch_size": 32, "optimizer": "sgd", "cosine": True}}


def make_optimizer(name, params, lr):
    """'sgd' (momentum 0.9) or 'adam': the two optimizers the CLI and experiments use."""
    if name == "sgd":
        return optim.SGD(params, lr, momentum=0.9)
    if name == "adam":
        return optim.Adam(params, lr)
    raise ValueError(f"make_optimizer: unknown optimizer {name!r}; use 'sgd' or 'adam'")


def evaluate(model, x, y, batch_size=512):
    """(mean loss, accuracy) of `model` in eval mode on (x, y); restores the previous mode."""
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    with no_grad(), np.errstate(all="ignore"):       # a diverged model gives nan, not warnings
        for xb, yb in batches(x, y, batch_size, shuffle=False):
            logits = model(Tensor(xb))
            total_loss += F.cross_entropy(logits, yb, reduction="sum").item()
            correct += int((logits.data.argmax(axis=1) == yb).sum())
    model.train(was_training)
    return total_loss / len(x), correct / len(x)


def fit(model, data, epochs=10, lr=0.05, batch_size=32, seed=0, optimizer="sgd", progress=True,
        max_steps=None, cosine=False, jit=True):
    """Train on data = (x_train, y_train, x_test, y_test); returns the history dict of curves.

    cosine=True decays the learning rate from lr to 0 along a half cosine, for a settled end.
    jit=True replays the recorded step (tg.jit): the same results as jit=False, bit for bit.
    history: step_loss (per step), and per epoch train_loss, train_acc, test_loss, test_acc.
    Training stops early (history["diverged"] = True) as soon as the loss is not finite.
    """
    from threadpoolctl import threadpool_limits     # both optional extras, with scikit-learn
    from tqdm import tqdm
    max_steps = max_steps or epochs * -(-len(data[0]) // batch_size)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    # Our matmuls are small: one BLAS thread is faster, and on a busy machine many times faster.
    with threadpool_limits(limits=1, user_api="blas"), \
            tqdm(total=max_steps, unit="step", leave=False, disable=not progress) as bar:
        return _fit(model, data, opt, epochs, lr, batch_size, seed, max_steps, cosine, bar, jit)


def _fit(model, data, opt, epochs, lr, batch_size, seed, max_steps, cosine, bar, jit):
    """The loop of fit: one training step per batch, an evaluation per epoch."""
    step = train_step(model, opt)
    step = replayed(step) if jit else step
    x_train, y_train, x_test, y_test = data
    history = {k: [] for k in ("step_loss", "train_loss", "train_acc", "test_loss", "test_acc")}
    for epoch in range(epochs):
        model.train()
        correct = seen = 0
        first = len(history["step_loss"])
        for xb, yb in batches(x_train, y_train, batch_size, seed=seed + epoch):
            if cosine:
                rate = lr * 0.5 * (1 + np.cos(np.pi * len(history["step_loss"]) / max_steps))
                for group in opt.param_groups:
                    group["lr"] = rate
            with np.errstate(all="ignore"):           # a diverging run is a result, not a warning
                loss, logits = step(Tensor(xb), yb)
            loss, hits = loss.item(), int((logits.data.argmax(axis=1) == yb).sum())
            history["step_loss"].append(loss)
            correct, seen = correct + hits, seen + len(yb)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", acc=f"{correct / seen:.3f}")
            if not np.isfinite(loss) or len(history["step_loss"]) == max_steps:
                break
        history["train_loss"].append(float(np.mean(history["step_loss"][first:])))
        history["train_acc"].append(correct / seen)
        for key, value in zip(("test_loss", "test_acc"), evaluate(model, x_test, y_test)):
            history[key].append(value)
        if not np.isfinite(loss) or len(history["step_loss"]) == max_steps:
            break
    history["diverged"] = not np.isfinite(history["step_loss"][-1])
    return history


def train_step(model, opt):
    """step(xb, yb) -> (loss, logits): one forward, backward and update, the function fit jits."""
    def step(xb, yb):
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss, logits
    return step


def plot_history(history, path, title=""):
    """Save loss and accuracy curves (per epoch, train and test) as a PNG at `path`."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "test"):
        ax_loss.plot(epochs, history[f"{split}_loss"], marker=".", label=split)
        ax_acc.plot(epochs, 100 * np.asarray(history[f"{split}_acc"]), marker=".", label=split)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
