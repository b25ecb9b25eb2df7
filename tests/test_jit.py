"""tg.jit: a replayed training step gives the eager loop's results bit for bit, records again for a
new input signature, refuses a function whose program changes, and shows its program as r0.. lines."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, functional as F, nn, optim

STEPS = 50


def mlp(fused=False):
    return nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32, fused=fused), nn.ReLU(),
                         nn.Dropout(0.2), nn.Linear(32, 10))


def cnn(fused=False):
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4, fused=fused), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * 4 * 4, 10))


SHAPES = {mlp: (24, 16), cnn: (12, 1, 8, 8)}
OPTIMIZERS = {"sgd": lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
              "adam": lambda p: optim.Adam(p, lr=1e-2)}


def training(make, optimizer, use_jit, batches, fused=False):
    """Run one step per batch; returns (losses, gradients, state_dict, the step, forward calls)."""
    tg.manual_seed(0)
    model = make(fused)
    opt = OPTIMIZERS[optimizer](model.parameters())
    forwards = []
    first = model[0]
    first.forward = lambda x, layer=first: forwards.append(1) or type(layer).forward(layer, x)

    def step(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    step = tg.jit(step) if use_jit else step
    tg.manual_seed(7)                           # dropout masks: the same draws in both loops
    losses = [step(Tensor(x), y).data for x, y in batches]
    grads = [p.grad for p in model.parameters()]
    return losses, grads, model.state_dict(), step, len(forwards)


def data(shape, n=STEPS, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape), rng.integers(0, 10, shape[0])) for _ in range(n)]


def assert_identical(eager, jitted):
    """Losses, gradients, parameters and buffers (BN running stats, num_batches_tracked) bit for bit."""
    for what, a, b in (("loss", eager[0], jitted[0]), ("grad", eager[1], jitted[1]),
                       ("state", list(eager[2].values()), list(jitted[2].values()))):
        assert len(a) == len(b)
        for k, (x, y) in enumerate(zip(a, b)):
            assert x.dtype == y.dtype and np.array_equal(x, y), f"{what} {k} differs"
    assert eager[2].keys() == jitted[2].keys()


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("make", [mlp, cnn], ids=["mlp", "cnn"])
def test_fifty_jitted_steps_equal_the_eager_ones_bit_for_bit(make, optimizer):
    batches = data(SHAPES[make])
    eager = training(make, optimizer, False, batches)
    jitted = training(make, optimizer, True, batches)
    assert_identical(eager, jitted)
    assert jitted[2]["1.num_batches_tracked"] == STEPS
    assert eager[4] == STEPS and jitted[4] == 2, "two recorded calls, then replays only"


def test_the_fused_bn_primitive_replays_too():
    batches = data(SHAPES[mlp], n=6)
    assert_identical(training(mlp, "sgd", False, batches, fused=True),
                     training(mlp, "sgd", True, batches, fused=True))


def test_dropout_draws_advance_the_generator_as_eagerly():
    batches = data(SHAPES[mlp], n=5)
    after = []
    for use_jit in (False, True):
        training(mlp, "sgd", use_jit, batches)
        after.append(tg.rand(4).data)           # the next draw of the package's generator
    assert np.array_equal(*after)


def test_a_new_input_shape_records_another_program():
    """The last, smaller batch of an epoch gets its own program; both replay bit for bit."""
    batches = [b for _ in range(4) for b in data((24, 16), 3, seed=2) + data((10, 16), 1, seed=3)]
    eager = training(mlp, "adam", False, batches)
    jitted = training(mlp, "adam", True, batches)
    assert_identical(eager, jitted)
    assert len(jitted[3].programs) == 2
    assert jitted[4] == 4, "two recorded calls per signature"


def test_a_program_that_changes_raises_naming_the_first_differing_record():
    w = Tensor(np.ones(3), requires_grad=True, name="w")

    @tg.jit
    def step(x):
        y = x * w
        y = y.relu() if y.data.sum() > 0 else y.tanh()      # control flow on a value
        return y.sum()

    step(Tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match=r"r1 is relu\(\(3,\)\).* but tanh\(\(3,\)\).*"
                                           r"without tg.jit"):
        step(Tensor(-np.ones(3)))


def test_a_constant_computed_outside_the_primitives_is_refused():
    w = Tensor(np.ones(3), requires_grad=True)

    @tg.jit
    def step(x):
        return (Tensor(x * 2) * w).sum()              # x * 2 in NumPy: not on the tape

    step(np.ones(3))
    with pytest.raises(RuntimeError, match=r"r0 \(mul.*input 0 is a constant \(3,\) float64"):
        step(np.full(3, 2.0))


def chain(w):
    """A step without zero_grad: w.grad accumulates over calls, the argument gets its own."""
    def step(x):
        y = x * w
        for _ in range(10):
            y = y * 1.001 + 0.01
        y.backward(np.ones(y.shape))
        return y
    return step


def test_a_chain_replays_forward_and_backward_and_accumulates_leaf_gradients():
    results = []
    for use_jit in (False, True):
        w = Tensor(np.full(16, 0.5), requires_grad=True)
        step = tg.jit(chain(w)) if use_jit else chain(w)
        xs = [Tensor(np.linspace(-1, 1, 16) + k, requires_grad=True) for k in range(5)]
        ys = [step(x) for x in xs]
        results.append([w.grad, ys[-1].grad] + [t.data for t in ys] + [x.grad for x in xs])
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_the_tape_lists_the_program_as_r_lines_like_any_tape():
    batches = data(SHAPES[cnn], n=2)
    *_, step, _ = training(cnn, "sgd", True, batches)
    with tg.Tape() as tape:
        step(Tensor(batches[0][0]), batches[0][1])    # under a Tape it runs eagerly, recorded
    assert [r.op for r in step.tape] == [r.op for r in tape]
    lines = str(step.tape).splitlines()
    assert len(lines) == len(tape) and lines[0].startswith("r0: ") and "conv2d" in lines[0]
    program = str(step.program)
    assert f"backward from r{len(tape) - 1}" in program
    assert program.index("Optimizer.zero_grad") < program.index("backward") \
        < program.index("Optimizer.step")


def test_fit_with_jit_equals_fit_without_it():
    """`tinygrad-bn train` jits its step by default; --no-jit gives the same run, bit for bit."""
    from tinygrad_bn.cli import build_parser
    from tinygrad_bn.data import spirals
    from tinygrad_bn.train import fit, make_mlp
    x, y = spirals(50, 3, seed=0)           # 150 samples: batches of 32 and a last one of 22
    runs = []
    for jit in (True, False):
        model = make_mlp(d_in=2, hidden=(8, 8), classes=3, seed=0)
        history = fit(model, (x, y, x, y), epochs=3, lr=0.1, progress=False, cosine=True, jit=jit)
        runs.append((history, model.state_dict()))
    (h1, s1), (h2, s2) = runs
    assert h1 == h2 and all(np.array_equal(s1[k], s2[k]) for k in s1)
    assert not build_parser().parse_args(["train", "mlp", "--no-jit"]).jit
    assert build_parser().parse_args(["train", "cnn"]).jit


def test_a_parameter_changed_by_hand_is_refused():
    """A replay runs only primitives and effects: an update written in NumPy would be lost."""
    w = Tensor(np.ones(3), requires_grad=True, name="w")

    @tg.jit
    def step(x):
        loss = (x * w).sum()
        loss.backward()
        w.data -= 0.1 * w.grad          # micrograd's update, not an optimizer's step
        return loss

    step(np.ones(3))
    with pytest.raises(RuntimeError, match=r"values of parameter w \(3,\) changed outside.*"
                                           r"use an optimizer"):
        step(np.ones(3))
    w.grad = None

    @tg.jit
    def clipped(x):
        loss = (x * w).sum()
        loss.backward()
        w.grad = None                   # by hand: the replay would keep accumulating instead
        return loss

    clipped(np.ones(3))
    with pytest.raises(RuntimeError, match=r"the .grad of parameter w"):
        clipped(np.ones(3))
