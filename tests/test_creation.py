"""tg.zeros/ones/full/arange/linspace/eye/rand/randn/randint and *_like against torch, and the one
package generator: tg.manual_seed makes rand*, model inits and dropout masks repeat."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn import functional as F


@pytest.mark.parametrize("call", [
    lambda m: m.zeros(2, 3), lambda m: m.zeros((2, 3)), lambda m: m.ones([4]),
    lambda m: m.full((2, 2), 1.5), lambda m: m.full((2,), 7),
    lambda m: m.full((2,), True), lambda m: m.arange(5), lambda m: m.arange(1, 4),
    lambda m: m.arange(0, 1, 0.25), lambda m: m.arange(2.5), lambda m: m.arange(10, 0, -3),
    lambda m: m.linspace(0, 1, 5), lambda m: m.linspace(-1, 1, 1), lambda m: m.eye(3),
    lambda m: m.eye(2, 4), lambda m: m.tensor([1, 2]), lambda m: m.tensor([[1.5]]),
    lambda m: m.tensor([True]), lambda m: m.zeros_like(m.ones(2, 3)),
    lambda m: m.ones_like(m.arange(3)), lambda m: m.full_like(m.zeros(2), 4.0),
    lambda m: m.empty(2, 2).shape, lambda m: m.empty_like(m.ones(2, 1)).shape,
], ids=lambda v: None)
def test_creation_matches_torch_in_values_and_kind(torch, call):
    torch.set_default_dtype(torch.float64)
    try:
        ours, theirs = call(tg), call(torch)
    finally:
        torch.set_default_dtype(torch.float32)
    if isinstance(ours, tuple):                  # empty: torch's values are whatever was there
        assert ours == tuple(theirs)
        return
    theirs = theirs.numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.data, theirs, rtol=1e-15)


def test_tensor_keeps_an_arrays_dtype_and_copies_it(torch):
    a = np.ones(3, np.float32)
    t = tg.tensor(a, requires_grad=True)
    assert t.dtype == torch.tensor(a).numpy().dtype == np.float32 and t.requires_grad
    a[0] = 5
    assert t.data[0] == 1                                # a copy, as torch.tensor
    assert tg.tensor(np.float32(2)).dtype == np.float32 and tg.tensor(2.0).dtype == np.float64
    assert tg.tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_dtype_and_requires_grad():
    x = tg.zeros(2, 3, dtype=np.float32, requires_grad=True)
    assert x.dtype == np.float32 and x.requires_grad and x.is_leaf
    assert tg.arange(3, dtype="float64").dtype == np.float64
    assert tg.ones(2, dtype=np.int64).dtype == np.int64
    assert tg.randn(2, 2, dtype=np.float32).dtype == np.float32
    assert tg.randint(0, 10, (3,)).dtype == np.int64
    assert tg.rand_like(tg.zeros(2, dtype=np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="requires_grad=True needs a float dtype"):
        tg.ones(2, dtype=np.int64, requires_grad=True)


def test_default_dtype_is_followed():
    tg.set_default_dtype(np.float32)
    try:
        assert tg.zeros(2).dtype == tg.rand(2).dtype == tg.linspace(0, 1, 3).dtype == np.float32
        assert tg.arange(3).dtype == np.int64               # ints stay ints, as torch
    finally:
        tg.set_default_dtype(np.float64)


def test_random_values_have_the_right_distribution():
    tg.manual_seed(0)
    u, z = tg.rand(20000).data, tg.randn(20000).data
    k = tg.randint(3, 7, (20000,)).data
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    assert set(np.unique(k)) == {3, 4, 5, 6}
    assert tg.randint(5, (2, 2)).data.max() < 5 and tg.randint_like(tg.zeros(3), 2).dtype == np.float64


def _draw():
    """Everything that draws from the package generator, in one go."""
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 2))
    x = tg.randn(8, 4)
    out = model(x)
    mask = F.dropout(tg.ones(6, 6), 0.5).data
    return ([p.data.copy() for p in model.parameters()] + [x.data, out.data, mask,
            tg.rand(3).data, tg.randint(0, 100, (5,)).data])


def test_manual_seed_repeats_inits_data_and_dropout_masks():
    tg.manual_seed(0)
    first = _draw()
    tg.manual_seed(0)
    again = _draw()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    tg.manual_seed(1)
    assert not np.array_equal(_draw()[0], first[0])


def test_one_generator_for_tg_and_nn_init():
    assert nn.init.manual_seed is tg.manual_seed
    g = tg.manual_seed(5)
    assert nn.init.get_generator() is g and isinstance(g, np.random.Generator)
    own = np.random.default_rng(9)
    assert F.dropout(Tensor(np.ones(4)), 0.5, generator=own) is not None
    assert nn.init.get_generator() is g             # a given generator never replaces it


@pytest.mark.parametrize("name, param", [("linear", None), ("tanh", None), ("relu", None),
                                         ("leaky_relu", None), ("leaky_relu", 0.2),
                                         ("selu", None), ("conv2d", None), ("sigmoid", None)])
def test_calculate_gain_matches_torch(torch, name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15)


@pytest.mark.parametrize("fill, bound_or_std", [
    (lambda t: nn.init.xavier_uniform_(t, gain=2.0), ("bound", 2.0 * (6 / (20 + 30)) ** 0.5)),
    (lambda t: nn.init.xavier_normal_(t), ("std", (2 / (20 + 30)) ** 0.5)),
    (lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
     ("std", (2 / 30) ** 0.5)),
    (lambda t: nn.init.kaiming_uniform_(t, a=0.1), ("bound", (2 / 1.01 * 3 / 20) ** 0.5)),
    (lambda t: nn.init.constant_(t, 0.25), ("const", 0.25)),
], ids=["xavier_uniform", "xavier_normal", "kaiming_normal-fan_out", "kaiming_uniform", "const"])
def test_init_scales_follow_torch(fill, bound_or_std):
    """Weight (30, 20): fan_in 20, fan_out 30; same formulas as torch.nn.init, our generator."""
    tg.manual_seed(0)
    t = fill(Tensor(np.zeros((30, 20))))
    kind, value = bound_or_std
    if kind == "bound":
        assert np.abs(t.data).max() <= value and np.abs(t.data).max() > 0.9 * value
    elif kind == "std":
        assert abs(t.data.std() / value - 1) < 0.06
    else:
        assert (t.data == value).all()
    tg.manual_seed(0)
    np.testing.assert_array_equal(fill(Tensor(np.zeros((30, 20)))).data, t.data)
