"""ModuleList, ModuleDict, shared layers and the warning for layers hidden in plain lists and dicts:
names, order and counts as PyTorch gives them."""
import warnings

import numpy as np
import pytest

from tinygrad_bn import Tensor, nn, optim


def build(lib):
    """The same net in torch.nn or our nn: a ModuleList and a ModuleDict (keys not sorted)."""
    class Net(lib.Module):
        def __init__(self):
            if lib is not nn:
                super().__init__()
            self.layers = lib.ModuleList([lib.Linear(2, 3), lib.BatchNorm1d(3)])
            self.blocks = lib.ModuleDict({"b": lib.Linear(3, 1), "a": lib.BatchNorm1d(1)})
            self.layers.insert(0, lib.Tanh())
            self.layers.append(lib.ReLU())
            self.layers.extend([lib.Linear(3, 3)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return self.blocks["a"](self.blocks.b(x))
    return Net()


def test_names_order_and_state_match_torch(torch):
    ours, theirs = build(nn), build(torch.nn).double()
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "layers.1.weight" in ours.state_dict() and "blocks.a.running_var" in ours.state_dict()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 2))
    for mode in ("train", "eval"):
        getattr(ours, mode)(), getattr(theirs, mode)()
        assert all(m.training == (mode == "train") for m in ours.modules())
        np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-10)
    assert [type(m).__name__ for m in ours.layers] == ["Tanh", "Linear", "BatchNorm1d", "ReLU",
                                                        "Linear"]


def test_module_list_behaves_like_a_list():
    lin = [nn.Linear(1, 1) for _ in range(4)]
    ml = nn.ModuleList(lin[:2])
    ml += [lin[2]]
    assert len(ml) == 3 and ml[-1] is lin[2] and list(ml) == lin[:3]
    assert isinstance(ml[1:], nn.ModuleList) and list(ml[1:]) == lin[1:3]
    ml[0] = lin[3]
    del ml[1]
    assert list(ml) == [lin[3], lin[2]]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert repr(ml).startswith("ModuleList(\n  (0): Linear(")
    with pytest.raises(IndexError, match="index 5 is out of range for 2"):
        ml[5]
    with pytest.raises(TypeError, match="int, not a Module"):
        ml.append(3)
    with pytest.raises(NotImplementedError, match="define forward"):
        ml(Tensor([1.0]))


def test_module_dict_behaves_like_a_dict():
    a, b = nn.Linear(1, 1), nn.ReLU()
    md = nn.ModuleDict({"train": a})            # a key that is also a method name
    md["b"] = b
    assert md.keys() == ["train", "b"] and md.values() == [a, b] and "b" in md and len(md) == 2
    assert md["train"] is a and md.b is b and callable(md.train)       # methods still win
    assert [n for n, _ in md.named_parameters()] == ["train.weight", "train.bias"]
    assert md.pop("train") is a and list(md) == ["b"]
    for key, error in (("a.b", KeyError), ("", KeyError), (3, TypeError)):
        with pytest.raises(error, match="ModuleDict: key"):
            md[key] = a
    with pytest.raises(KeyError, match="no key 'zz'"):
        md["zz"]


def test_tied_weights_are_listed_once_and_updated_once(torch):
    lin = nn.Linear(2, 2)
    net = nn.Sequential(lin, nn.Tanh(), lin)
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]     # as torch
    assert [n for n, _ in net.named_modules()] == ["", "0", "1"] and len(net) == 3
    t_lin = torch.nn.Linear(2, 2).double()
    t_net = torch.nn.Sequential(t_lin, torch.nn.Tanh(), t_lin)
    assert [n for n, _ in t_net.named_parameters()] == ["0.weight", "0.bias"]
    assert list(t_net.state_dict()) == list(net.state_dict())
    net.load_state_dict({k: v.numpy() for k, v in t_net.state_dict().items()})
    opt, t_opt = optim.SGD(net.parameters(), lr=0.1), torch.optim.SGD(t_net.parameters(), lr=0.1)
    x = np.random.default_rng(1).standard_normal((3, 2))
    for _ in range(3):
        net(Tensor(x)).sum().backward()
        t_net(torch.tensor(x)).sum().backward()
        opt.step(), t_opt.step()
        opt.zero_grad(), t_opt.zero_grad()
    np.testing.assert_allclose(lin.weight.data, t_lin.weight.detach().numpy(), rtol=1e-12)


def test_a_parameter_shared_by_two_modules_is_listed_once():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight
    net = nn.Sequential(a, b)
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


@pytest.mark.parametrize("kind", ["list", "tuple", "dict", "list filled later"])
def test_layers_in_a_plain_container_warn_once_naming_the_attribute_and_the_fix(kind):
    class Net(nn.Module):
        def __init__(self):
            layers = [nn.Linear(2, 2), nn.Linear(2, 1)]
            if kind == "list filled later":
                self.layers = []
                self.layers.extend(layers)
            else:
                self.layers = {"tuple": tuple, "dict": lambda l: dict(enumerate(l))}.get(
                    kind, list)(layers)
    net = Net()
    fix = "nn.ModuleDict" if kind == "dict" else "nn.ModuleList"
    with pytest.warns(UserWarning, match=rf"Net\.layers is a plain .* use self\.layers = {fix}"):
        assert net.parameters() == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # once per attribute
        net.state_dict()


def test_no_warning_for_containers_of_registered_children_or_non_modules():
    class Net(nn.Module):
        def __init__(self):
            self.a = nn.Linear(1, 1)
            self.order = [self.a]                   # already a child: nothing hidden
            self.sizes = [1, 2, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(Net().parameters()) == 2 and len(nn.ModuleList([nn.ReLU()]).modules()) == 2
