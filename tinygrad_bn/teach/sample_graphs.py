"""Small example graphs that the CLI, the demo, the figures and the docs draw and explain."""
import numpy as np

EXAMPLES = ("bn", "mlp", "cnn")


def example_loss(name, fused=False, seed=0):
    """The built-in targets of the graph/stepper/explain commands -> a scalar loss.

    "bn": x (4, 2) through batch_norm, then a weighted mean (named tensors inside); "mlp": three
    Linear layers with BatchNorm1d and ReLU between them and cross_entropy; "cnn": Conv2d,
    BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear and cross_entropy on 8x8 images. The models'
    parameters are not named by hand: the pictures find `0.weight`, `1.bias`, ... themselves.
    """
    from .. import Tensor, functional as F, nn
    if name not in EXAMPLES:
        raise ValueError(f"example_loss: no built-in example {name!r}; choose one of {EXAMPLES}")
    rng = np.random.default_rng(seed)
    if name == "bn":
        x = Tensor(rng.standard_normal((4, 2)) * 2 + 1, requires_grad=True, name="x")
        gamma = Tensor(rng.uniform(0.5, 1.5, 2), requires_grad=True, name="gamma")
        beta = Tensor(rng.standard_normal(2), requires_grad=True, name="beta")
        w = Tensor(rng.standard_normal((4, 2)), name="w")
        return (F.batch_norm(x, gamma, beta, fused=fused) * w).mean().named("loss")
    if name == "mlp":
        model = nn.Sequential(nn.Linear(3, 8, generator=rng), nn.BatchNorm1d(8, fused=fused),
                              nn.ReLU(), nn.Linear(8, 8, generator=rng),
                              nn.BatchNorm1d(8, fused=fused), nn.ReLU(),
                              nn.Linear(8, 2, generator=rng))
        x = Tensor(rng.standard_normal((16, 3)), name="x")
    else:
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, generator=rng),
                              nn.BatchNorm2d(4, fused=fused), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(64, 2, generator=rng))
        x = Tensor(rng.standard_normal((4, 1, 8, 8)), name="x")
    labels = rng.integers(0, 2, len(x.data))
    return F.cross_entropy(model(x), labels).named("loss")


def bn_figure(fused=False):
    """The picture of batch norm after backward, values and gradients, top to bottom (demo, docs)."""
    from . import viz
    loss = example_loss("bn", fused=fused)
    loss.backward()
    return viz.to_dot(loss, show_values=True, show_grads=True, rankdir="TB", max_elems=8)
