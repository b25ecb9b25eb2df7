"""Small example graphs that the CLI, the demo, the figures and the docs draw and explain."""
import numpy as np


def example_loss(name, fused=False, seed=0):
    """The small graphs the graph/stepper/explain commands draw -> loss (named tensors inside).

    "bn": x (4, 2) through batch_norm, then a weighted mean; "mlp": three Linear layers with
    BatchNorm1d and ReLU between them; each layer runs in its own scope (Module.__call__), so it
    collapses to one box.
    """
    from .. import Tensor, functional as F, nn, scope
    rng = np.random.default_rng(seed)
    if name == "bn":
        x = Tensor(rng.standard_normal((4, 2)) * 2 + 1, requires_grad=True, name="x")
        gamma = Tensor(rng.uniform(0.5, 1.5, 2), requires_grad=True, name="gamma")
        beta = Tensor(rng.standard_normal(2), requires_grad=True, name="beta")
        w = Tensor(rng.standard_normal((4, 2)), name="w")
        return (F.batch_norm(x, gamma, beta, fused=fused) * w).mean().named("loss")
    model = nn.Sequential(nn.Linear(3, 8, generator=rng), nn.BatchNorm1d(8, fused=fused), nn.ReLU(),
                          nn.Linear(8, 8, generator=rng), nn.BatchNorm1d(8, fused=fused), nn.ReLU(),
                          nn.Linear(8, 2, generator=rng))
    for pname, p in model.named_parameters():
        p.named(pname)
    h = model(Tensor(rng.standard_normal((16, 3)), requires_grad=True, name="x"))
    with scope("loss"):
        return h.square().mean().named("loss")


def bn_figure(fused=False):
    """The picture of batch norm after backward, values and gradients, top to bottom (demo, docs)."""
    from . import viz
    loss = example_loss("bn", fused=fused)
    loss.backward()
    return viz.to_dot(loss, show_values=True, show_grads=True, rankdir="TB", max_elems=8)
