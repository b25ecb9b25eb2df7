"""Keeping losses (`losses.append(loss)`) after backward must not keep their graphs' arrays,
while the latest graph, a graph recorded inside a Tape, or one kept with retain_graph=True
stays drawable."""
import gc
import tracemalloc

import numpy as np

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn.engine import records_of


def mlp(width=128, depth=7):
    layers = []
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def test_kept_losses_do_not_keep_their_activations():
    """40 steps of a 7-layer MLP keeping every loss: growth stays bounded (torch's habit)."""
    tg.manual_seed(0)
    model, rng = mlp(), np.random.default_rng(0)
    opt = optim.SGD(model.parameters(), lr=1e-3)
    x, y = Tensor(rng.standard_normal((128, 128))), Tensor(rng.standard_normal((128, 1)))
    losses = []

    def step():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss)

    tracemalloc.start()
    try:
        for _ in range(5):
            step()
        gc.collect()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(40):
            step()
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    activations = 7 * 2 * 128 * 128 * 8                 # one step's hidden layers, in bytes
    print(f"\ngrowth over 40 kept losses: {growth / 1e6:.3f} MB (one step's activations: "
          f"{activations / 1e6:.1f} MB)")
    assert growth < activations / 4
    assert losses[-1].item() < losses[0].item()
    assert losses[-1].requires_grad and losses[-1].op == "mean"     # still says what made it


def test_a_released_loss_says_how_to_go_through_it_again():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    try:
        loss.backward()
    except RuntimeError as e:
        assert "retain_graph=True" in str(e)
    else:
        raise AssertionError("a second backward through released records must raise")


def test_a_graph_inside_a_tape_stays_drawable_after_backward():
    x = Tensor(np.ones((4, 3)), requires_grad=True, name="x")
    with tg.Tape() as tape:
        loss = (x.exp() * x).sum()
    loss.backward()
    assert [r.op for r in tape] == ["exp", "mul", "sum"]
    assert tape[1].inputs[1] is x and records_of(loss) == list(tape)
    assert "exp" in tg.viz.to_dot(loss).source


def test_retain_graph_keeps_the_graph_drawable():
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    assert [r.op for r in records_of(loss)] == ["exp", "mul", "sum"]
    assert "exp" in tg.viz.to_dot(loss).source


def test_the_latest_graph_stays_drawable_until_the_next_backward():
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    first = (x.exp() * x).sum()
    first.backward()
    assert [r.op for r in records_of(first)] == ["exp", "mul", "sum"]     # check_by_hand, to_dot
    second = (x * 3).sum()
    second.backward()
    assert [r.op for r in records_of(first)] == ["sum"] and first.record.inputs == ()
    assert [r.op for r in records_of(second)] == ["mul", "sum"]
