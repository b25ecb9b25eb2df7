"""conv2d/conv1d padding='same' and 'valid' as torch: even kernels pad asymmetrically, strided
'same' and unknown strings are refused (F and nn, at construction for the layers)."""
import numpy as np
import pytest

from tinygrad_bn import Tensor, gradcheck, nn
from tinygrad_bn import functional as F


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize("kernel, dilation", [((2, 2), 1), ((3, 4), 1), ((2, 3), (2, 1)),
                                              ((1, 5), 1)])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_string_padding_matches_torch_values_and_grads(torch, kernel, dilation, padding):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3) + kernel), \
        rng.standard_normal(4)
    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.conv2d(*ours, padding=padding, dilation=dilation)
    t_out = torch.nn.functional.conv2d(*theirs, padding=padding, dilation=dilation)
    assert out.shape == tuple(t_out.shape)
    assert padding == "valid" or out.shape[2:] == x.shape[2:]
    g = rng.standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding=padding, dilation=dilation),
                     *(Tensor(a[:1, :2, :4, :5] if a is x else a[:2, :2], requires_grad=True)
                       for a in (x, w)))


def test_conv1d_same_with_an_even_kernel_matches_torch(torch):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 2, 9)), rng.standard_normal((3, 2, 4))
    np.testing.assert_allclose(
        F.conv1d(Tensor(x), Tensor(w), padding="same").data,
        torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), padding="same").numpy(),
        rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("padding, stride, words", [
    ("same", 2, "padding='same' is not supported for strided convolutions"),
    ("same", (1, 2), "padding='same' is not supported for strided convolutions"),
    ("SAME", 1, "invalid padding string 'SAME', should be one of 'valid', 'same'"),
    ("full", 1, "invalid padding string 'full'")])
def test_strided_same_and_unknown_strings_are_refused_as_torch(torch, padding, stride, words):
    x, w = Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        F.conv2d(x, w, stride=stride, padding=padding)
    with pytest.raises(RuntimeError):                   # torch F raises RuntimeError for both
        torch.nn.functional.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3),
                                   stride=stride, padding=padding)
    for ours, theirs in ((nn.Conv2d, torch.nn.Conv2d), (nn.Conv1d, torch.nn.Conv1d)):
        with pytest.raises(ValueError, match=f"{ours.__name__}: " + words.split(" (")[0]):
            ours(1, 1, 3, stride=stride if ours is nn.Conv2d else 2, padding=padding)
        with pytest.raises(ValueError):
            theirs(1, 1, 3, stride=stride if ours is nn.Conv2d else 2, padding=padding)


def test_conv2d_layer_with_same_padding_keeps_the_size():
    assert nn.Conv2d(2, 3, 4, padding="same")(Tensor(np.ones((1, 2, 6, 5)))).shape == (1, 3, 6, 5)
