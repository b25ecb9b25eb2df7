"""PyTorch habits from other projects' op suites, each against torch: einsum with scalar operands
and empty subscripts, F.pad reflect/replicate/circular with negative widths (crop and pad in
one), F.one_hot refusing what torch refuses."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, functional as F

torch = pytest.importorskip("torch", reason="these habits are checked against torch")

EINSUM = [("->", [2.0]), (",->", [2.0, 3.0]), ("i,->i", [[1.0, 2.0], 3.0]),
          (",i->", [3.0, [1.0, -2.0]]), (",,->", [2.0, 3.0, 4.0]), ("", [2.0]), (",", [2.0, 3.0]),
          ("ij,->ji", [[[1.0, 2.0], [3.0, 4.0]], -0.5])]


@pytest.mark.parametrize("equation, operands", EINSUM)
def test_einsum_with_scalars_and_empty_subscripts_is_torchs(equation, operands):
    ours = [Tensor(np.array(o), requires_grad=True) for o in operands]
    theirs = [torch.tensor(o, dtype=torch.float64, requires_grad=True) for o in operands]
    y, z = tg.einsum(equation, *ours), torch.einsum(equation, *theirs)
    np.testing.assert_allclose(y.data, z.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(g)
    z.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12)
    assert tg.gradcheck(lambda *xs: tg.einsum(equation, *xs),
                        *[Tensor(np.array(o) + 0.1, requires_grad=True) for o in operands])


PADS = [((1, 1, 5), (-1, 2)), ((1, 1, 5), (2, -1)), ((1, 1, 5), (-2, 3)), ((1, 1, 5), (3, -2)),
        ((1, 1, 5), (-1, -1)), ((1, 1, 5), (4, -4)), ((1, 2, 3, 4), (1, -1, -1, 2)),
        ((1, 2, 3, 4), (-1, 3, 2, -1)), ((1, 1, 2, 3, 4), (-1, 2, 1, -1, 0, 1))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", PADS)
def test_pad_with_negative_widths_is_torchs(shape, pad, mode):
    x = np.random.default_rng(1).standard_normal(shape)
    try:
        want = torch.nn.functional.pad(torch.tensor(x, requires_grad=True), pad, mode=mode)
    except RuntimeError:           # torch refuses (circular wider than what is left): so do we
        with pytest.raises(ValueError, match="does not fit"):
            F.pad(Tensor(x), pad, mode=mode)
        return
    t = Tensor(x, requires_grad=True)
    got = F.pad(t, pad, mode=mode)
    np.testing.assert_array_equal(got.data, want.detach().numpy())
    g = np.random.default_rng(2).standard_normal(got.shape)
    got.backward(g)
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.pad(tx, pad, mode=mode).backward(torch.tensor(g))
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert tg.gradcheck(lambda a: F.pad(a, pad, mode=mode), Tensor(x, requires_grad=True))


def test_reflect_wider_than_the_input_is_refused_as_torch_does():
    with pytest.raises(RuntimeError):
        torch.nn.functional.pad(torch.zeros(1, 1, 3), (-1, 3), mode="reflect")
    with pytest.raises(ValueError, match=r"reflect padding \(-1, 3\) does not fit input \(1, 1, 3\)"):
        F.pad(Tensor(np.zeros((1, 1, 3))), (-1, 3), mode="reflect")


@pytest.mark.parametrize("labels, num_classes, message", [
    ([-1, 0], 3, "non-negative"), ([0, 5], 3, "smaller than num_classes"),
    ([0, 2], 0, "smaller than num_classes"), ([0], -2, "smaller than num_classes"),
    ([], -1, "infer"),
])
def test_one_hot_refuses_what_torch_refuses(labels, num_classes, message):
    with pytest.raises(RuntimeError, match=message.replace("infer", "infer total")):
        torch.nn.functional.one_hot(torch.tensor(labels, dtype=torch.long), num_classes)
    with pytest.raises(ValueError, match=message):
        F.one_hot(Tensor(np.array(labels, dtype=np.int64)), num_classes)


@pytest.mark.parametrize("labels, num_classes", [([0, 2, 1], -1), ([], 3), ([[1], [0]], 4)])
def test_one_hot_accepts_what_torch_accepts(labels, num_classes):
    want = torch.nn.functional.one_hot(torch.tensor(labels, dtype=torch.long), num_classes)
    got = F.one_hot(Tensor(np.array(labels, dtype=np.int64)), num_classes)
    np.testing.assert_array_equal(got.data, want.numpy())
