"""softmax, log_softmax, cross_entropy, mse_loss and dropout: against PyTorch (float64) and gradcheck."""
import numpy as np
import pytest

from tinygrad_bn import Tensor, gradcheck
from tinygrad_bn import functional as F


def _both(torch, ours, theirs, arrays, g_seed=1, **kw):
    """Run ours and torch's on the same arrays with the same upstream grad; return both results."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, t_out = ours(*xs, **kw), theirs(*ts)
    g = np.random.default_rng(g_seed).standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.tensor(g))
    return (out.data, [x.grad for x in xs]), (t_out.detach().numpy(), [t.grad.numpy() for t in ts])


def _assert_same(mine, ref, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(mine[0], ref[0], rtol=rtol, atol=atol)
    for a, b in zip(mine[1], ref[1]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family_matches_torch(torch, name, axis):
    x = np.random.default_rng(0).standard_normal((4, 5, 3)) * 3
    mine, ref = _both(torch, lambda x: getattr(F, name)(x, axis=axis),
                      lambda x: getattr(torch, name)(x, dim=axis), [x])
    _assert_same(mine, ref)
    assert gradcheck(lambda x: getattr(F, name)(x, axis=axis), Tensor(x, requires_grad=True))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_is_stable_for_huge_logits(torch, name):
    x = np.array([[1000.0, 0.0, -1000.0], [1e4, 1e4, 1e4 - 1]])
    mine, ref = _both(torch, lambda x: getattr(F, name)(x), lambda x: getattr(torch, name)(x, -1), [x])
    assert np.all(np.isfinite(mine[0])) and np.all(np.isfinite(mine[1][0]))
    _assert_same(mine, ref)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(torch, reduction):
    rng = np.random.default_rng(2)
    logits, labels = rng.standard_normal((6, 4)) * 2, rng.integers(0, 4, 6)
    mine, ref = _both(torch, lambda z: F.cross_entropy(z, labels, reduction=reduction),
                      lambda z: torch.nn.functional.cross_entropy(
                          z, torch.tensor(labels), reduction=reduction), [logits])
    _assert_same(mine, ref)
    assert gradcheck(lambda z: F.cross_entropy(z, Tensor(labels), reduction=reduction),
                     Tensor(logits, requires_grad=True))


def test_cross_entropy_of_confident_right_answers_is_near_zero():
    logits = Tensor(np.array([[50.0, 0.0, 0.0], [0.0, 0.0, 50.0]]))
    assert F.cross_entropy(logits, np.array([0, 2])).item() < 1e-20
    np.testing.assert_allclose(F.cross_entropy(logits, np.array([1, 1])).item(), 50.0)


@pytest.mark.parametrize("labels, error, message", [
    (np.array([0.0, 1.0, 2.0]), TypeError, "integer class indices"),
    (np.array([[0], [1], [2]]), ValueError, r"expected \(3,\)"),
    (np.array([0, 1]), ValueError, r"expected \(3,\)"),
    (np.array([0, 1, 4]), ValueError, r"in \[0, 4\)"),
    (np.array([0, -1, 2]), ValueError, r"in \[0, 4\)"),
])
def test_cross_entropy_label_errors(labels, error, message):
    with pytest.raises(error, match=message):
        F.cross_entropy(Tensor(np.zeros((3, 4))), labels)


def test_cross_entropy_wants_a_target_per_sample_and_a_known_reduction():
    with pytest.raises(ValueError, match=r"target has shape \(2,\) for input \(2, 3, 4\); expected \(2, 4\)"):
        F.cross_entropy(Tensor(np.zeros((2, 3, 4))), np.array([0, 1]))
    with pytest.raises(ValueError, match="'mean', 'sum' or 'none'"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), reduction="avg")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch(torch, reduction):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    mine, ref = _both(torch, lambda a, b: F.mse_loss(a, b, reduction=reduction),
                      lambda a, b: torch.nn.functional.mse_loss(a, b, reduction=reduction), [a, b])
    _assert_same(mine, ref)
    assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction), Tensor(a, requires_grad=True),
                     Tensor(b, requires_grad=True))


def test_mse_loss_refuses_to_broadcast():
    with pytest.raises(ValueError, match=r"reshape the target to \(4, 1\)"):
        F.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))


def test_dropout_is_inverted_seedable_and_the_identity_in_eval():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = F.dropout(x, 0.3, generator=np.random.default_rng(0))
    kept = out.data != 0
    assert set(np.unique(out.data)) == {0.0, 1 / 0.7}
    assert abs(kept.mean() - 0.7) < 0.02                      # 10,000 draws: 4.5 sigma
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, kept / 0.7)         # gradient flows through kept cells
    again = F.dropout(x, 0.3, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(again.data, out.data)
    assert F.dropout(x, 0.3, training=False) is x
    assert not F.dropout(x, 1.0).data.any()
    with pytest.raises(ValueError, match="0 <= p <= 1"):
        F.dropout(x, 1.5)
