"""conv2d, max_pool2d and avg_pool2d: values and gradients against PyTorch (float64) and gradcheck."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinygrad_bn import Tape, Tensor, gradcheck
from tinygrad_bn import functional as F

# (N, Cin, H, W), (Cout, kh, kw), stride, padding: stride 1/2, padding 0/1, square and not
CONV_CASES = [
    ((2, 3, 7, 6), (4, 3, 3), 1, 0),
    ((2, 3, 7, 6), (4, 3, 3), 2, 1),
    ((1, 2, 6, 7), (3, 3, 2), 1, 1),
    ((2, 2, 8, 5), (3, 2, 3), 2, 0),
    ((3, 1, 5, 5), (2, 1, 1), (2, 1), (1, 0)),
    ((2, 4, 6, 6), (5, 3, 3), 2, (0, 1)),
]
POOL_CASES = [((2, 3, 6, 6), 2, None), ((2, 3, 7, 6), 3, 2), ((1, 2, 6, 7), (3, 2), 1),
              ((2, 2, 5, 8), (2, 3), (1, 2))]


def _torch_grads(torch, fn, arrays, g):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def _ours(fn, arrays, g):
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(g)
    return out.data, [t.grad for t in ts]


def _compare(torch, ours, theirs, arrays, seed=1):
    """Forward values and every input gradient agree with torch to float64 rounding."""
    with torch.no_grad():
        shape = theirs(*[torch.tensor(a) for a in arrays]).shape
    g = np.random.default_rng(seed).standard_normal(tuple(shape))
    out, grads = _ours(ours, arrays, g)
    t_out, t_grads = _torch_grads(torch, theirs, arrays, g)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-12)
    for mine, ref in zip(grads, t_grads):
        np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xshape, wshape, stride, padding", CONV_CASES)
def test_conv2d_matches_torch(torch, xshape, wshape, stride, padding):
    rng = np.random.default_rng(0)
    cout, kh, kw = wshape
    arrays = [rng.standard_normal(xshape), rng.standard_normal((cout, xshape[1], kh, kw)),
              rng.standard_normal(cout)]
    _compare(torch, lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
             lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride=stride, padding=padding),
             arrays)


@pytest.mark.parametrize("xshape, wshape, stride, padding", CONV_CASES[:4])
def test_conv2d_gradcheck(xshape, wshape, stride, padding):
    rng = np.random.default_rng(2)
    cout, kh, kw = wshape
    x = Tensor(rng.standard_normal(xshape), requires_grad=True, name="x")
    w = Tensor(rng.standard_normal((cout, xshape[1], kh, kw)), requires_grad=True, name="w")
    b = Tensor(rng.standard_normal(cout), requires_grad=True, name="b")
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding), x, w, b)


@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("xshape, kernel, stride", POOL_CASES)
def test_pool_matches_torch_and_gradcheck(torch, pool, xshape, kernel, stride):
    x = np.random.default_rng(3).standard_normal(xshape)
    ours = lambda x: getattr(F, pool)(x, kernel, stride)   # noqa: E731
    _compare(torch, ours, lambda x: getattr(torch.nn.functional, pool)(x, kernel, stride), [x])
    assert gradcheck(ours, Tensor(x, requires_grad=True, name="x"))


def test_max_pool_ties_go_to_the_first_maximum_as_torch(torch):
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 2] = x[0, 0, 2, 1] = 1.0                     # equal maxima in overlapping windows
    for kernel, stride in [(2, 2), (3, 1), ((2, 3), 1)]:
        _compare(torch, lambda x: F.max_pool2d(x, kernel, stride),
                 lambda x: torch.nn.functional.max_pool2d(x, kernel, stride), [x])


@given(n=st.integers(1, 2), cin=st.integers(1, 3), cout=st.integers(1, 3),
       h=st.integers(3, 6), w=st.integers(3, 6), kh=st.integers(1, 3), kw=st.integers(1, 3),
       stride=st.integers(1, 3), padding=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_conv2d_random_shapes_match_torch(n, cin, cout, h, w, kh, kw, stride, padding, seed):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-check skipped")
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, cin, h, w)), rng.standard_normal((cout, cin, kh, kw))]
    _compare(torch, lambda x, w: F.conv2d(x, w, stride=stride, padding=padding),
             lambda x, w: torch.nn.functional.conv2d(x, w, stride=stride, padding=padding),
             arrays, seed)


def test_float32_stays_float32():
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, np.float32), requires_grad=True)
    out = F.avg_pool2d(F.max_pool2d(F.conv2d(x, w, b, padding=1), 2, 1), 2)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_conv2d_records_one_primitive_and_a_bias_add():
    x = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    w, b = Tensor(np.ones((2, 1, 2, 2)), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    with Tape() as tape:
        F.conv2d(x, w, b)
    assert [r.op for r in tape] == ["conv2d", "reshape", "add"]


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(Tensor(np.ones((1, 2, 5, 5))), Tensor(np.ones((3, 4, 3, 3)))), "same Cin"),
    (lambda: F.conv2d(Tensor(np.ones((2, 5, 5))), Tensor(np.ones((3, 2, 3, 3)))), "same Cin"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.ones((1, 1, 3, 3)))), "larger"),
    (lambda: F.conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 1, 3, 3))), stride=0),
     "stride=0"),
    (lambda: F.max_pool2d(Tensor(np.ones((5, 5))), 2), r"\(N, C, H, W\)"),
    (lambda: F.avg_pool2d(Tensor(np.ones((1, 1, 5, 5))), (2, 2, 2)), "kernel_size"),
])
def test_errors_name_the_op_and_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call()
