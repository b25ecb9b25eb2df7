"""Module habits from PyTorch tutorials, each checked against torch: parameter assignment,
load_state_dict(strict=False), .double()/.float(), requires_grad_, apply, named Sequential,
zero_grad(set_to_none=False)."""
from collections import OrderedDict

import numpy as np
import pytest

from tinygrad_bn import Tensor, nn


def test_assigning_a_plain_tensor_over_a_parameter_raises_as_torch(torch):
    t = torch.nn.Linear(3, 2)
    with pytest.raises(TypeError, match="cannot assign"):
        t.weight = torch.zeros(2, 3, requires_grad=True)
    m = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"cannot assign Tensor \(2, 3\) as parameter 'weight'"
                                        r".*nn\.Parameter\(\.\.\.\)"):
        m.weight = Tensor(np.zeros((2, 3)), requires_grad=True)
    assert [k for k, _ in m.named_parameters()] == ["weight", "bias"]
    m.weight = nn.Parameter(np.ones((2, 3)))             # a Parameter, or None, is fine
    m.bias = None
    t.bias = None
    assert [k for k, _ in m.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight"]


def test_load_state_dict_strict_false_reports_keys_as_torch(torch):
    ours, theirs = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)), \
        torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)).double()
    state = {k: v for k, v in ours.state_dict().items() if k != "1.running_var"}
    state["extra.weight"] = np.ones(2)
    state["0.weight"] = np.full((2, 3), 7.0)
    got = ours.load_state_dict(state, strict=False)
    want = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert got.missing_keys == want.missing_keys == ["1.running_var"]
    assert got.unexpected_keys == want.unexpected_keys == ["extra.weight"]
    missing, unexpected = got                            # a named tuple, as torch's
    assert (missing, unexpected) == (["1.running_var"], ["extra.weight"])
    np.testing.assert_array_equal(ours[0].weight.data, 7.0)
    with pytest.raises(RuntimeError, match=r"missing keys \['1.running_var'\].*unexpected keys "
                                           r"\['extra.weight'\]"):
        ours.load_state_dict(state)
    assert ours.load_state_dict(ours.state_dict()) == ([], [])


def test_load_state_dict_strict_false_still_refuses_wrong_shapes(torch):
    m = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="wrong shapes"):
        m.load_state_dict({"weight": np.ones((3, 3))}, strict=False)
    with pytest.raises(RuntimeError, match="size mismatch"):
        torch.nn.Linear(3, 2).load_state_dict({"weight": torch.ones(3, 3)}, strict=False)


@pytest.mark.parametrize("cast, dtype", [("double", np.float64), ("float", np.float32)])
def test_double_and_float_cast_parameters_and_float_buffers_as_torch(torch, cast, dtype):
    ours = getattr(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)), cast)()
    theirs = getattr(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)), cast)()
    want = {k: str(v.dtype).replace("torch.", "") for k, v in theirs.state_dict().items()}
    assert {k: np.asarray(v).dtype.name for k, v in ours.state_dict().items()} == want
    w = ours[0].weight
    out = ours(Tensor(np.ones((4, 3), dtype)))
    out.sum().backward()
    assert out.dtype == dtype and w.grad.dtype == dtype and ours[0].weight is w


def test_requires_grad_false_freezes_every_parameter():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    m(x).sum().backward()
    assert x.grad is not None and all(p.grad is None for p in m.parameters())
    m[1].requires_grad_()
    assert [p.requires_grad for p in m.parameters()] == [False, False, True, True]


def test_apply_visits_children_first_then_self_as_torch(torch):
    ours = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Tanh()))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2),
                                 torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh()))
    seen, seen_torch = [], []
    assert ours.apply(lambda m: seen.append(type(m).__name__)) is ours
    theirs.apply(lambda m: seen_torch.append(type(m).__name__))
    assert seen == seen_torch == ["Linear", "ReLU", "Tanh", "Sequential", "Sequential"]


def test_sequential_from_an_ordered_dict_names_its_children_as_torch(torch):
    ours = nn.Sequential(OrderedDict([("fc1", nn.Linear(3, 4)), ("act", nn.ReLU()),
                                      ("fc2", nn.Linear(4, 2))]))
    theirs = torch.nn.Sequential(OrderedDict([("fc1", torch.nn.Linear(3, 4)),
                                              ("act", torch.nn.ReLU()),
                                              ("fc2", torch.nn.Linear(4, 2))])).double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == \
        ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert ours.fc1 is ours[0] and isinstance(ours.act, nn.ReLU)
    assert list(ours[1:].state_dict()) == list(theirs[1:].state_dict()) == ["fc2.weight",
                                                                            "fc2.bias"]
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)
    ours.append(nn.Tanh())
    del ours[0]                                          # torch renumbers after a delete
    theirs.append(torch.nn.Tanh())
    del theirs[0]
    assert [k for k, _ in ours.named_children()] == [k for k, _ in theirs.named_children()]
    with pytest.raises(AttributeError, match="fc9"):
        ours.fc9


@pytest.mark.parametrize("owner", ["module", "optimizer"])
def test_zero_grad_set_to_none_false_zeroes_in_place(owner):
    from tinygrad_bn import optim
    m = nn.Linear(3, 2)
    m(Tensor(np.ones((2, 3)))).sum().backward()
    grad = m.weight.grad
    target = m if owner == "module" else optim.SGD(m.parameters(), lr=0.1)
    target.zero_grad(set_to_none=False)
    assert m.weight.grad is grad and not grad.any() and not m.bias.grad.any()
    target.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_a_buffer_slot_takes_a_parameter_and_a_parameter_slot_refuses_a_module_as_torch(torch):
    ours, theirs = nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)
    for m, param, module in ((ours, nn.Parameter(np.zeros(2)), nn.Identity()),
                             (theirs, torch.nn.Parameter(torch.zeros(2)), torch.nn.Identity())):
        m.running_mean = param                       # a buffer becomes a parameter
        with pytest.raises(TypeError, match="cannot assign"):
            m.weight = module
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]


def test_optimizers_take_named_parameters_and_maximize_as_torch(torch):
    ours, twin = nn.Linear(3, 2), torch.nn.Linear(3, 2).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    from tinygrad_bn import optim
    opt = optim.SGD(ours.named_parameters(), lr=0.1, momentum=0.9, maximize=True)
    t_opt = torch.optim.SGD(twin.named_parameters(), lr=0.1, momentum=0.9, maximize=True)
    assert opt.param_groups[0]["param_names"] == t_opt.param_groups[0]["param_names"]
    x = np.random.default_rng(0).standard_normal((4, 3))
    for _ in range(3):
        opt.zero_grad()
        t_opt.zero_grad()
        ours(Tensor(x)).square().sum().backward()
        twin(torch.tensor(x)).square().sum().backward()
        opt.step()
        t_opt.step()
    np.testing.assert_allclose(ours.weight.data, twin.weight.detach().numpy(), rtol=1e-12)
    assert optim.SGD(ours.parameters()).param_groups[0]["lr"] == \
        torch.optim.SGD(twin.parameters()).param_groups[0]["lr"] == 1e-3


def test_to_device_and_dtype_as_torch(torch):
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    assert ours.to("cpu") is ours and ours.cpu() is ours and ours.weight.dtype == np.float64
    for dtype, t_dtype in ((np.float32, torch.float32), ("float64", torch.float64),
                           (torch.float16, torch.float16)):
        ours.to(dtype)
        theirs.to(t_dtype)
        assert ours.weight.dtype.name == str(theirs.weight.dtype).replace("torch.", "")
    assert ours.to(torch.device("cpu"), dtype=np.float64).weight.dtype == np.float64
    assert ours.half().bias.dtype == np.float16
    with pytest.raises(ValueError, match="CPU only"):
        ours.to("cuda")
    with pytest.raises(TypeError, match="float"):
        ours.to(np.int64)
    with pytest.raises(TypeError):
        theirs.to(torch.int64)
