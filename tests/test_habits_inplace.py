"""In-place updates as in PyTorch tutorials: the manual SGD loop changes the model, leaves stay
the same objects, torch's refusals, recorded updates on non-leaves (gradchecked, against torch),
and a graph on a slice of a dataset locking only what backward reads."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, gradcheck, nn

RNG = np.random.default_rng(23)


def test_the_tutorial_sgd_loop_updates_the_model_as_torch(torch):
    w1, b1 = RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    x, y = RNG.standard_normal((8, 4)), RNG.standard_normal((8, 3))
    ours = nn.Linear(4, 3)
    ours.load_state_dict({"weight": w1.copy(), "bias": b1.copy()})
    theirs = torch.nn.Linear(4, 3).double()
    theirs.load_state_dict({"weight": torch.tensor(w1), "bias": torch.tensor(b1)})
    before = list(ours.parameters())
    for _ in range(3):
        ((ours(Tensor(x)) - Tensor(y)) ** 2).mean().backward()
        ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean().backward()
        with tg.no_grad():
            for p in ours.parameters():
                p -= 0.1 * p.grad
                p.grad = None
        with torch.no_grad():
            for p in theirs.parameters():
                p -= 0.1 * p.grad
                p.grad = None
    assert all(p is q for p, q in zip(before, ours.parameters()))
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12)
        assert p.requires_grad and p.is_leaf


def test_w_minus_equals_keeps_the_same_leaf():
    w = Tensor([1.0, 2.0], requires_grad=True)
    same = w
    (w * w).sum().backward()
    with tg.no_grad():
        w -= 0.5 * w.grad
    assert w is same and w.is_leaf and w.requires_grad
    assert w.data.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("update", [lambda w: w.__isub__(1.0), lambda w: w.add_(1.0),
                                    lambda w: w.zero_(), lambda w: w.mul_(2.0)],
                         ids=["-=", "add_", "zero_", "mul_"])
def test_a_leaf_that_requires_grad_is_refused_outside_no_grad(update):
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation.*with tg.no_grad"):
        update(w)
    assert w.data.tolist() == [1.0, 2.0]


def test_an_array_a_live_graph_saved_is_refused_with_the_op_and_the_fix():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(ValueError, match=r"-=: .*a live graph saved it \(a mul record\).*after "
                                         r"backward, or clone\(\)"):
        with tg.no_grad():
            w -= 1.0
    loss.backward()                              # backward read the unchanged values
    assert w.grad.tolist() == [2.0, 4.0]
    with tg.no_grad():
        w -= 1.0                                 # after backward the graph is released
    assert w.data.tolist() == [0.0, 1.0]


def test_methods_match_torch_values(torch):
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal(3)
    cases = {"add_alpha": lambda t, o: t.add_(o, alpha=2.5),
             "sub_alpha": lambda t, o: t.sub_(o, alpha=3), "mul_": lambda t, o: t.mul_(o),
             "div_": lambda t, o: t.div_(o),
             "iadd": lambda t, o: t.__iadd__(o), "isub": lambda t, o: t.__isub__(o),
             "imul": lambda t, o: t.__imul__(o), "itruediv": lambda t, o: t.__itruediv__(o),
             "copy_": lambda t, o: t.copy_(o), "clamp_": lambda t, o: t.clamp_(-0.5, 0.5),
             "fill_": lambda t, o: t.fill_(1.5), "zero_": lambda t, o: t.zero_()}
    for name, fn in cases.items():
        ours, theirs = Tensor(a.copy()), torch.tensor(a.copy())
        out = fn(ours, Tensor(b))
        fn(theirs, torch.tensor(b))
        assert out is ours, name
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15, err_msg=name)


def test_dtype_and_shape_rules_as_torch():
    i = Tensor([1, 2])
    with pytest.raises(TypeError, match=r"\+=: the result is float64, which the int64 tensor"):
        i += 0.5
    f32 = Tensor(np.ones(2, np.float32))
    with pytest.warns(UserWarning, match="mixing float32"):
        f32 += Tensor(np.ones(2))                 # float64 into float32: cast, as torch
    assert f32.dtype == np.float32 and f32.data.tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match=r"result has shape \(2, 3\) but the tensor has \(3,\)"):
        Tensor(np.ones(3)).add_(np.ones((2, 3)))


def test_a_recorded_update_on_a_non_leaf_gives_torchs_gradients(torch):
    x0 = np.array([1.0, 2.0, -0.5])

    def ours(x):
        h = x * 3
        z = h + 1                                # used h before the update
        h.mul_(x)
        h += x.exp()
        h.clamp_(max=20.0)
        return z.sum() + (h * h).sum()

    def theirs(x):
        h = x * 3
        z = h + 1
        h.mul_(x)
        h += x.exp()
        h.clamp_(max=20.0)
        return z.sum() + (h * h).sum()

    x = Tensor(x0.copy(), requires_grad=True)
    ours(x).backward()
    t = torch.tensor(x0.copy(), requires_grad=True)
    theirs(t).backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)
    assert gradcheck(ours, Tensor(x0.copy(), requires_grad=True))


def test_an_update_with_a_gradient_makes_a_constant_a_non_leaf(torch):
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor(np.zeros(2))
    c.add_(x, alpha=2.0)
    assert c.requires_grad and not c.is_leaf
    (c * c).sum().backward()
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    d = torch.zeros(2, dtype=torch.float64)
    d.add_(t, alpha=2.0)
    (d * d).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy())


@pytest.mark.parametrize("update", ["copy_", "fill_", "zero_"])
def test_overwriting_a_non_leaf_cuts_the_gradient_to_its_old_value(update, torch):
    src = Tensor([5.0, 6.0], requires_grad=True)
    args = {"copy_": (src,), "fill_": (3.0,), "zero_": ()}[update]
    x = Tensor([1.0, -2.0], requires_grad=True)
    h = x * 2
    getattr(h, update)(*args)
    (h * x).sum().backward()
    t = torch.tensor([1.0, -2.0], requires_grad=True)
    tsrc = torch.tensor([5.0, 6.0], requires_grad=True)
    th = t * 2
    getattr(th, update)(*{"copy_": (tsrc,), "fill_": (3.0,), "zero_": ()}[update])
    (th * t).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy())
    if update == "copy_":
        np.testing.assert_allclose(src.grad, tsrc.grad.numpy())


def test_a_graph_on_a_slice_leaves_the_rest_of_the_dataset_writable():
    X = Tensor(RNG.standard_normal((1000, 4)))
    w = Tensor(RNG.standard_normal((4, 2)), requires_grad=True)
    loss = ((X[:64] @ w) ** 2).sum()
    X.data[500:] = 0.0                           # rows the graph never read: writable
    X.data[:64] += 1.0                           # the batch itself: the saved part is a copy
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * (X.data[:64] - 1.0).T @ ((X.data[:64] - 1.0) @ w.data))


def test_what_backward_reads_stays_protected():
    x = Tensor(RNG.standard_normal((6, 4)))
    w = Tensor(RNG.standard_normal((6, 3)), requires_grad=True)
    loss = ((x.T @ w) ** 2).sum()               # x.T views all of x: x itself is locked
    with pytest.raises(ValueError, match="read-only"):
        x.data[0, 0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        w.data[0, 0] = 5.0
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * x.data @ (x.data.T @ w.data))
    x.data[0, 0] = 5.0                          # released by backward: writable again


def test_item_assignment_and_the_other_augmented_operators_update_in_place(torch):
    w = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    same, tw = w, torch.arange(6.0, dtype=torch.float64).reshape(2, 3).requires_grad_()
    with tg.no_grad(), torch.no_grad():
        for t in (w, tw):
            t[0, 1] = 10.0
            t[1] = t[1] * 2
            t **= 2
            t //= 3
            t %= 7
    assert w is same and w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.data, tw.detach().numpy())
    with pytest.raises(RuntimeError, match="setitem: .*with tg.no_grad"):
        w[0, 0] = 1.0
