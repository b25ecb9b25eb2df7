"""SGD and Adam: 20 steps of the same MLP and CNN (with BN) here and in PyTorch agree to rtol 1e-9."""
import numpy as np
import pytest

from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn import functional as F
from test_layers import cnn, copy_into_torch, mlp, torch_twin

SETTINGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=1e-2)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2)),
    ("Adam", dict(lr=1e-2, amsgrad=True)),
]


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny tensors: torch's thread pool only fights the other test processes (10x slower)."""
    torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-check skipped")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("make", [mlp, cnn], ids=["mlp", "cnn"])
@pytest.mark.parametrize("name, kwargs", SETTINGS, ids=[f"{n}{k}" for n, k in SETTINGS])
def test_twenty_steps_match_torch(torch, make, name, kwargs):
    nn.init.manual_seed(0)
    model = make()
    twin = torch_twin(torch, model)
    copy_into_torch(torch, model, twin)
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    t_opt = getattr(torch.optim, name)(twin.parameters(), **kwargs)
    rng = np.random.default_rng(1)
    shape = (8, 6) if make is mlp else (8, 2, 6, 6)
    for _ in range(20):
        x, y = rng.standard_normal(shape), rng.integers(0, 3, 8)
        opt.zero_grad()
        F.cross_entropy(model(Tensor(x)), y).backward()
        opt.step()
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y)).backward()
        t_opt.step()
    theirs = twin.state_dict()
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v, theirs[k].numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
    start = make()                                       # the parameters did move
    assert any(not np.allclose(p.data, q.data) for p, q in zip(start.parameters(),
                                                                 model.parameters()))


def test_zero_grad_sets_none_and_parameters_without_grad_are_left_alone():
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=0.5, momentum=0.9)
    (a * 2).sum().backward()
    opt.step()
    np.testing.assert_array_equal(a.data, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_updates_in_place():
    w = nn.Parameter(np.ones(2))
    view = w.data
    (w * 3).sum().backward()
    optim.Adam([w], lr=0.1).step()
    assert w.data is view and np.allclose(view, 0.9)


def test_step_while_the_graph_is_alive_raises():
    w = nn.Parameter(np.ones(2))
    w.grad = np.ones(2)
    out = (w * w).sum()                                    # mul saved w: read-only until backward
    with pytest.raises(RuntimeError, match="before optimizer.step"):
        optim.SGD([w], lr=0.1).step()
    out.backward()
    optim.SGD([w], lr=0.1).step()                          # released: now it works


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov"),
    (lambda p: optim.SGD(p, lr=-1), "lr=-1"),
    (lambda p: optim.SGD([], lr=0.1), "empty"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), "betas"),
])
def test_bad_settings_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make([nn.Parameter(np.ones(1))])
