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


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("name, kwargs", [SETTINGS[1], SETTINGS[4]], ids=["SGD", "Adam"])
def test_steps_with_an_old_output_alive_match_torch(torch, name, kwargs):
    """An eval output kept without no_grad holds the weights in its graph: steps still work."""
    nn.init.manual_seed(2)
    model = mlp()
    twin = torch_twin(torch, model)
    copy_into_torch(torch, model, twin)
    rng = np.random.default_rng(3)
    probe = rng.standard_normal((4, 6))
    with pytest.warns(UserWarning, match="never updated"):
        kept = model.eval()(Tensor(probe))              # a live graph saving every weight
    kept_t = twin.eval()(torch.tensor(probe))
    model.train(), twin.train()
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    t_opt = getattr(torch.optim, name)(twin.parameters(), **kwargs)
    for _ in range(3):
        x, y = rng.standard_normal((8, 6)), rng.integers(0, 3, 8)
        opt.zero_grad(), t_opt.zero_grad()
        F.cross_entropy(model(Tensor(x)), y).backward()
        torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step(), t_opt.step()
    theirs = twin.state_dict()
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v, theirs[k].numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(kept.data, kept_t.detach().numpy(), rtol=1e-12)   # unchanged


def test_backward_through_a_stale_graph_uses_the_values_its_forward_saw(torch):
    """torch refuses this backward (mul saved w, then w changed in place); ours gives the right
    gradient of the old forward, d(sum w*w)/dw = 2 * w_old, and the old graph's values intact."""
    w = nn.Parameter(np.array([1.0, -2.0, 3.0]))
    out = (w * w).sum()
    w.grad = np.ones(3)
    optim.SGD([w], lr=0.5).step()                        # out's graph still saves w
    np.testing.assert_array_equal(w.data, [0.5, -2.5, 2.5])
    w.grad = None
    out.backward()
    np.testing.assert_array_equal(w.grad, [2.0, -4.0, 6.0])
    w_t = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    out_t = (w_t * w_t).sum()
    w_t.grad = torch.ones(3)
    torch.optim.SGD([w_t], lr=0.5).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out_t.backward()


def test_backward_through_a_stale_graph_that_saved_no_parameter_matches_torch(torch):
    """Where torch allows the stale backward (the op saved nothing of w), both agree."""
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    w = nn.Parameter(np.array([0.5, -1.0]))
    w_t = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    out, out_t = ((Tensor(x) + w) * 2).sum(), ((torch.tensor(x) + w_t) * 2).sum()
    for p in (w, w_t):
        p.grad = np.ones(2) if p is w else torch.ones(2, dtype=torch.float64)
    optim.Adam([w], lr=0.1).step(), torch.optim.Adam([w_t], lr=0.1).step()
    w.grad, w_t.grad = None, None
    out.backward(), out_t.backward()
    np.testing.assert_allclose(w.grad, w_t.grad.numpy())
    np.testing.assert_allclose(w.data, w_t.detach().numpy(), rtol=1e-12)


def test_a_step_after_the_out_of_place_one_is_in_place_again():
    w = nn.Parameter(np.ones(2))
    (w * w).sum()                                        # a graph that is never released
    w.grad = np.ones(2)
    opt = optim.SGD([w], lr=0.1)
    opt.step()
    fresh = w.data
    assert fresh.flags.writeable
    opt.step()
    assert w.data is fresh and np.allclose(fresh, 0.8)


def test_repeated_parameters_warn_and_are_updated_once(torch):
    w = nn.Parameter(np.ones(2), name="w")
    with pytest.warns(UserWarning, match=r"SGD: parameter 1 \(w \(2,\)\) is already in the list"):
        opt = optim.SGD([w, w], lr=0.1)
    w.grad = np.ones(2)
    opt.step()
    w_t = torch.ones(2, requires_grad=True)
    w_t.grad = torch.ones(2)
    torch.optim.SGD([w_t], lr=0.1).step()                # torch given [w, w] would step twice
    np.testing.assert_allclose(w.data, w_t.detach().numpy())


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov"),
    (lambda p: optim.SGD(p, lr=-1), "lr=-1"),
    (lambda p: optim.SGD([], lr=0.1), "empty"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), "betas"),
])
def test_bad_settings_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make([nn.Parameter(np.ones(1))])
