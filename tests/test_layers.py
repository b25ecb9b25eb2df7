"""Layers: PyTorch's parameter names, shapes, order and default init; torch weights copy in exactly."""
import math

import numpy as np
import pytest

from tinygrad_bn import Tensor, gradcheck, nn


# A bias right before BN is cancelled by BN's mean: its gradient is rounding noise, which
# Adam scales up to steps of ~lr, so the two frameworks would diverge on it. Hence bias=False.
def mlp():
    """The MLP of the optimizer tests: Linear-BN1d-ReLU-Linear."""
    return nn.Sequential(nn.Linear(6, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def cnn():
    """The CNN of the optimizer tests: Conv2d-BN2d-ReLU-MaxPool2d-Flatten-Linear on (2, 6, 6)."""
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 3))


def torch_twin(torch, model):
    """The same architecture in torch (float64), with torch's own random initial weights."""
    tnn = torch.nn
    makers = {
        nn.Linear: lambda m: tnn.Linear(m.in_features, m.out_features, m.bias is not None),
        nn.Conv2d: lambda m: tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride,
                                        m.padding, bias=m.bias is not None),
        nn.BatchNorm1d: lambda m: tnn.BatchNorm1d(m.num_features, m.eps, m.momentum),
        nn.BatchNorm2d: lambda m: tnn.BatchNorm2d(m.num_features, m.eps, m.momentum),
        nn.ReLU: lambda m: tnn.ReLU(),
        nn.MaxPool2d: lambda m: tnn.MaxPool2d(m.kernel_size, m.stride),
        nn.Flatten: lambda m: tnn.Flatten(m.start_dim, m.end_dim),
    }
    return tnn.Sequential(*[makers[type(m)](m) for m in model]).double()


def copy_into_torch(torch, model, twin):
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})


@pytest.mark.parametrize("bias", [True, False])
def test_parameter_names_shapes_and_order_match_torch(torch, bias):
    for ours, theirs in [(nn.Linear(5, 3, bias=bias), torch.nn.Linear(5, 3, bias=bias)),
                         (nn.Conv2d(2, 4, (3, 2), bias=bias),
                          torch.nn.Conv2d(2, 4, (3, 2), bias=bias))]:
        assert [(k, p.shape) for k, p in ours.named_parameters()] == \
               [(k, tuple(p.shape)) for k, p in theirs.named_parameters()]
    assert [(k, np.shape(v)) for k, v in cnn().state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in torch_twin(torch, cnn()).state_dict().items()]


@pytest.mark.parametrize("make, fan_in", [(lambda: nn.Linear(50, 40), 50),
                                          (lambda: nn.Conv2d(3, 20, (4, 5)), 60)])
def test_default_init_is_torchs_uniform_bound(make, fan_in):
    nn.init.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
    w = layer.weight.data
    assert np.abs(w).max() > 0.95 * bound                        # fills the interval ...
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound     # ... uniformly (2000 draws)
    nn.init.manual_seed(0)
    np.testing.assert_array_equal(make().weight.data, w)          # same seed, same weights


def test_init_helpers_and_generator_argument():
    t = Tensor(np.empty((300, 20)))
    assert nn.init.zeros_(t) is t and not t.data.any()
    assert nn.init.ones_(t).data.min() == 1
    nn.init.normal_(t, 2.0, 0.5, generator=np.random.default_rng(1))
    assert abs(t.data.mean() - 2.0) < 0.05 and abs(t.data.std() - 0.5) < 0.05
    nn.init.kaiming_uniform_(t, nonlinearity="relu", generator=np.random.default_rng(1))
    assert np.abs(t.data).max() <= math.sqrt(2) * math.sqrt(3 / 20)
    a = nn.Linear(4, 3, generator=np.random.default_rng(7)).weight.data
    np.testing.assert_array_equal(a, nn.Linear(4, 3, generator=np.random.default_rng(7)).weight.data)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.kaiming_uniform_(t, nonlinearity="swish")


@pytest.mark.parametrize("make", [mlp, cnn])
def test_torch_weights_copied_in_give_identical_outputs(torch, make):
    model = make()
    torch.manual_seed(0)
    twin = torch_twin(torch, model)
    with torch.no_grad():                                 # non-trivial gamma and beta
        for m in twin:
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.weight.uniform_(0.5, 2.0)
                m.bias.uniform_(-1, 1)
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    shape = (8, 6) if make is mlp else (8, 2, 6, 6)
    rng = np.random.default_rng(0)
    for training in (True, True, False):
        model.train(training), twin.train(training)
        x = rng.standard_normal(shape)
        np.testing.assert_allclose(model(Tensor(x)).data, twin(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-12, atol=1e-12)
    for k, v in twin.state_dict().items():                # running stats moved the same way
        np.testing.assert_allclose(model.state_dict()[k], v.numpy(), rtol=1e-12, atol=1e-14)


def test_linear_and_conv_gradcheck():
    rng = np.random.default_rng(5)
    lin, conv = nn.Linear(3, 2), nn.Conv2d(2, 3, (2, 3), stride=2, padding=1)
    assert gradcheck(lambda x: lin(x), Tensor(rng.standard_normal((4, 3)), requires_grad=True))
    x = Tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    assert gradcheck(lambda x: conv(x), x)


def test_linear_says_how_to_fix_a_feature_mismatch():
    with pytest.raises(ValueError, match=r"Linear\(4, 2\): input \(3, 5\).*nn.Flatten"):
        nn.Linear(4, 2)(Tensor(np.zeros((3, 5))))


def test_flatten_dropout_and_pools_as_modules(torch):
    x = np.random.default_rng(6).standard_normal((2, 3, 4, 6))
    assert nn.Flatten()(Tensor(x)).shape == (2, 72)
    assert nn.Flatten(0, 1)(Tensor(x)).shape == (6, 4, 6)
    for ours, theirs in [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
                         (nn.AvgPool2d((2, 3), 1), torch.nn.AvgPool2d((2, 3), 1))]:
        np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).numpy(), rtol=1e-12)
    drop = nn.Dropout(0.5, generator=np.random.default_rng(0))
    seq = nn.Sequential(drop)
    assert (drop(Tensor(x)).data == 0).any()
    assert seq.eval()(Tensor(x)).data is x                         # eval: the identity
    nn.init.manual_seed(3)
    first = nn.Dropout(0.5)(Tensor(x)).data
    nn.init.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout(0.5)(Tensor(x)).data, first)


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_linear_with_no_inputs_works_as_torch(torch):
    ours, theirs = nn.Linear(0, 3), torch.nn.Linear(0, 3).double()
    assert ours.weight.shape == tuple(theirs.weight.shape) == (3, 0)
    np.testing.assert_array_equal(ours.bias.data, theirs.bias.detach().numpy())     # both 0
    x, xt = Tensor(np.zeros((2, 0)), requires_grad=True), torch.zeros(2, 0, requires_grad=True,
                                                                       dtype=torch.float64)
    out, out_t = ours(x), theirs(xt)
    np.testing.assert_array_equal(out.data, out_t.detach().numpy())
    out.sum().backward(), out_t.sum().backward()
    np.testing.assert_array_equal(ours.bias.grad, theirs.bias.grad.numpy())
    assert ours.weight.grad.shape == (3, 0) and x.grad.shape == (2, 0)
    assert nn.Linear(3, 0)(Tensor(np.ones((2, 3)))).shape == (2, 0)


@pytest.mark.parametrize("sizes", [(-1, 3), (2.5, 3), (3, True), ("3", 3)])
def test_linear_sizes_must_be_whole_numbers(sizes):
    with pytest.raises(ValueError, match=r"Linear\(.*must be a whole number >= 0"):
        nn.Linear(*sizes)


def test_linear_reset_parameters_redraws_with_torchs_bounds_and_keeps_a_live_graph_intact():
    layer = nn.Linear(4, 3)
    old_w = layer.weight.data
    kept = layer(Tensor(np.ones((2, 4))))                # saves the old weight
    layer.reset_parameters(np.random.default_rng(0))
    assert layer.weight.data is not old_w and not np.allclose(layer.weight.data, old_w)
    assert np.abs(layer.weight.data).max() <= 0.5 and np.abs(layer.bias.data).max() <= 0.5
    kept.sum().backward()
    np.testing.assert_allclose(layer.weight.grad, np.full((3, 4), 2.0))
