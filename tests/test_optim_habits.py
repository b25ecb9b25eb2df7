"""Optimizer habits against torch: parameter groups, state_dict and a resumed run, refused
settings, AdamW, and the StepLR / CosineAnnealingLR schedules."""
import numpy as np
import pytest

from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn import functional as F
from test_layers import copy_into_torch, mlp, torch_twin


def _batches(k, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((8, 6)), rng.integers(0, 3, 8)) for _ in range(k)]


def _train(model, opt, batches):
    for x, y in batches:
        opt.zero_grad()
        F.cross_entropy(model(Tensor(x)), y).backward()
        opt.step()


def _train_torch(torch, twin, opt, batches):
    for x, y in batches:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step()


def _assert_same(model, twin):
    theirs = twin.state_dict()
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v, theirs[k].numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


def _groups(params, lr):
    """Two groups: the first layer at `lr`, the rest at the optimizer's default."""
    params = list(params)
    return [{"params": params[:1], "lr": lr}, {"params": params[1:]}]


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.01, momentum=0.9)),
                                          ("Adam", dict(lr=1e-2, weight_decay=1e-2)),
                                          ("AdamW", dict(lr=1e-2)),
                                          ("AdamW", dict(lr=1e-2, weight_decay=0.1, amsgrad=True))])
def test_param_groups_match_torch_and_a_changed_lr_takes_effect(torch, name, kwargs):
    nn.init.manual_seed(0)
    model = mlp()
    twin = torch_twin(torch, model)
    copy_into_torch(torch, model, twin)
    opt = getattr(optim, name)(_groups(model.parameters(), 0.1), **kwargs)
    t_opt = getattr(torch.optim, name)(_groups(twin.parameters(), 0.1), **kwargs)
    theirs = [{k: v for k, v in g.items() if k != "params"} for g in t_opt.param_groups]
    for ours, want in zip(opt.param_groups, theirs):   # every hyper-parameter we have, as torch
        assert {k: want[k] for k in ours if k != "params"} == \
            {k: v for k, v in ours.items() if k != "params"}
    batches = _batches(10)
    _train(model, opt, batches[:5])
    _train_torch(torch, twin, t_opt, batches[:5])
    for group, t_group in zip(opt.param_groups, t_opt.param_groups):
        group["lr"] = t_group["lr"] = group["lr"] * 0.3
    _train(model, opt, batches[5:])
    _train_torch(torch, twin, t_opt, batches[5:])
    _assert_same(model, twin)


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
                                          ("Adam", dict(lr=1e-2, amsgrad=True)),
                                          ("AdamW", dict(lr=1e-2))])
def test_a_resumed_run_follows_torchs_trajectory(torch, name, kwargs):
    """Train 5 steps, save model and optimizer, build both anew, load, train 5 more."""
    nn.init.manual_seed(0)
    model = mlp()
    twin = torch_twin(torch, model)
    copy_into_torch(torch, model, twin)
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    t_opt = getattr(torch.optim, name)(twin.parameters(), **kwargs)
    batches = _batches(10)
    _train(model, opt, batches[:5])
    _train_torch(torch, twin, t_opt, batches[:5])
    saved, t_saved = (model.state_dict(), opt.state_dict()), (twin.state_dict(),
                                                               t_opt.state_dict())
    assert [sorted(s) for s in saved[1]["state"].values()] == \
        [sorted(s) for s in t_saved[1]["state"].values()]
    model, twin = mlp(), torch_twin(torch, mlp())       # fresh weights, fresh state
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    t_opt = getattr(torch.optim, name)(twin.parameters(), **kwargs)
    model.load_state_dict(saved[0])
    opt.load_state_dict(saved[1])
    twin.load_state_dict(t_saved[0])
    t_opt.load_state_dict(t_saved[1])
    _train(model, opt, batches[5:])
    _train_torch(torch, twin, t_opt, batches[5:])
    _assert_same(model, twin)


def test_state_dict_is_a_copy_and_loading_checks_the_groups():
    w = nn.Parameter(np.ones(3))
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * 2).sum().backward()
    opt.step()
    state = opt.state_dict()
    assert state["param_groups"][0]["params"] == [0]
    state["state"][0]["momentum_buffer"][...] = 99.0
    assert not (opt.state[w]["momentum_buffer"] == 99.0).any()
    other = optim.SGD([nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match=r"saved groups hold \[1\] parameters.*\[2\]"):
        other.load_state_dict(state)


def _refused(torch, make_ours, make_theirs):
    """Both raise ValueError: ours, and torch's own check on the same settings."""
    with pytest.raises(ValueError):
        make_theirs()
    with pytest.raises(ValueError) as info:
        make_ours()
    return str(info.value)


@pytest.mark.parametrize("name, kwargs, words", [
    ("SGD", dict(lr=-0.1), "lr=-0.1"), ("SGD", dict(lr=0.1, momentum=-0.5), "momentum=-0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1), "weight_decay=-1"),
    ("SGD", dict(lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    ("Adam", dict(lr=-1e-3), "lr=-0.001"), ("Adam", dict(betas=(1.0, 0.999)), "beta at index 0"),
    ("Adam", dict(betas=(0.9, -0.1)), "beta at index 1"), ("Adam", dict(eps=-1e-8), "eps="),
    ("AdamW", dict(weight_decay=-0.01), "weight_decay=-0.01"),
    ("AdamW", dict(betas=(0.9, 1.5)), "beta at index 1")])
def test_invalid_settings_are_refused_as_torch(torch, name, kwargs, words):
    message = _refused(torch, lambda: getattr(optim, name)([nn.Parameter(np.ones(2))], **kwargs),
                       lambda: getattr(torch.optim, name)([torch.ones(2, requires_grad=True)],
                                                          **kwargs))
    assert words in message and name in message


def test_bad_parameter_lists_are_refused_as_torch(torch):
    w, tw = nn.Parameter(np.ones(2)), torch.ones(2, requires_grad=True)
    assert "non-leaf" in _refused(torch, lambda: optim.SGD([w * 2], lr=0.1),
                                  lambda: torch.optim.SGD([tw * 2], lr=0.1))
    assert "empty parameter list" in _refused(torch, lambda: optim.Adam([]),
                                              lambda: torch.optim.Adam([]))
    assert "more than one parameter group" in _refused(
        torch, lambda: optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1),
        lambda: torch.optim.SGD([{"params": [tw]}, {"params": [tw]}], lr=0.1))
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError):
        torch.optim.SGD(tw, lr=0.1)


def test_adamw_decays_weights_without_a_gradient_as_torch(torch):
    """A zero gradient: Adam leaves w alone, AdamW shrinks it by lr * weight_decay each step."""
    w, tw = nn.Parameter(np.full(2, 3.0)), torch.full((2,), 3.0, dtype=torch.float64,
                                                      requires_grad=True)
    opt, t_opt = optim.AdamW([w], lr=0.1), torch.optim.AdamW([tw], lr=0.1)
    assert opt.param_groups[0]["weight_decay"] == t_opt.param_groups[0]["weight_decay"] == 0.01
    for _ in range(3):
        w.grad, tw.grad = np.zeros(2), torch.zeros(2, dtype=torch.float64)
        opt.step()
        t_opt.step()
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(w.data, 3.0 * 0.999 ** 3, rtol=1e-12)


@pytest.mark.parametrize("name, kwargs", [("StepLR", dict(step_size=3, gamma=0.5)),
                                          ("StepLR", dict(step_size=1)),
                                          ("CosineAnnealingLR", dict(T_max=8)),
                                          ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01))])
def test_schedulers_match_torch_over_twenty_epochs(torch, name, kwargs):
    ours = optim.SGD(_groups([nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))], 0.3), lr=0.1)
    theirs = torch.optim.SGD(_groups([torch.ones(2, requires_grad=True),
                                      torch.ones(2, requires_grad=True)], 0.3), lr=0.1)
    sched = getattr(optim.lr_scheduler, name)(ours, **kwargs)
    t_sched = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    got, want = [sched.get_last_lr()], [t_sched.get_last_lr()]
    for _ in range(20):
        ours.step()
        theirs.step()
        sched.step()
        t_sched.step()
        got.append(sched.get_last_lr())
        want.append(t_sched.get_last_lr())
        assert sched.last_epoch == t_sched.last_epoch
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-16)
    assert [g["lr"] for g in ours.param_groups] == got[-1]
    assert len({round(lr[0], 12) for lr in got}) > 2        # the rate did change


def test_scheduler_state_dict_resumes_the_schedule():
    def fresh():
        opt = optim.SGD([nn.Parameter(np.ones(2))], lr=0.1)
        return opt, optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    opt, sched = fresh()
    for _ in range(4):
        sched.step()
    saved = (opt.state_dict(), sched.state_dict())
    opt2, sched2 = fresh()
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    for _ in range(3):
        sched.step()
        sched2.step()
    assert sched2.last_epoch == 7 and sched2.get_last_lr() == sched.get_last_lr()
    assert "optimizer" not in saved[1]
