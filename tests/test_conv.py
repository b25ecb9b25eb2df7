"""conv2d, conv_transpose2d, max_pool2d, avg_pool2d and their 1-D, adaptive and nn forms:
values and gradients against PyTorch in float64 (rtol 1e-10), float64 gradcheck, torch's
argument semantics (groups, dilation, asymmetric and 'same' padding, ceil_mode, indices, ...)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinygrad_bn import Tape, Tensor, gradcheck, nn
from tinygrad_bn import functional as F
from tinygrad_bn.engine.ops import OPS

RNG = np.random.default_rng(0)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")  # torch's note


def randn(*shape):
    return RNG.standard_normal(shape)


def _compare(torch, ours, theirs, arrays, seed=1):
    """Forward values and every input gradient agree with torch to float64 rounding."""
    with torch.no_grad():
        shape = theirs(*[torch.tensor(a) for a in arrays]).shape
    g = np.random.default_rng(seed).standard_normal(tuple(shape))
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = ours(*ts)
    out.backward(g)
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_out = theirs(*tt)
    t_out.backward(torch.tensor(g))
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    for i, (mine, ref) in enumerate(zip(ts, tt)):
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {i}")


def _gradcheck(fn, *arrays):
    assert gradcheck(fn, *[Tensor(a, requires_grad=True) for a in arrays])


# --- conv2d --------------------------------------------------------------------------------------
# x (N, Cin, H, W), w (Cout, Cin/groups, kh, kw), then torch's keyword arguments
CONV_CASES = {
    "plain": ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    "stride2-pad1": ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    "rect-kernel": ((1, 2, 6, 7), (3, 2, 3, 2), dict(padding=1)),
    "pair-stride-pad": ((3, 1, 5, 5), (2, 1, 1, 1), dict(stride=(2, 1), padding=(1, 0))),
    "dilation": ((2, 2, 9, 8), (3, 2, 3, 3), dict(dilation=2, padding=1)),
    "dilation-pair": ((2, 2, 9, 8), (3, 2, 2, 3), dict(dilation=(3, 1), stride=(1, 2))),
    "groups2": ((2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),
    "depthwise": ((2, 3, 6, 5), (6, 1, 3, 2), dict(groups=3, stride=2)),
    "all": ((2, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1),
                                            groups=2)),
    "same-odd": ((2, 3, 6, 7), (4, 3, 3, 3), dict(padding="same")),
    "same-even-dilated": ((2, 2, 6, 7), (4, 2, 2, 4), dict(padding="same", dilation=(1, 2))),
    "valid": ((2, 3, 6, 7), (4, 3, 3, 3), dict(padding="valid")),
}


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_torch(torch, case):
    xshape, wshape, kw = CONV_CASES[case]
    arrays = [randn(*xshape), randn(*wshape), randn(wshape[0])]
    _compare(torch, lambda x, w, b: F.conv2d(x, w, b, **kw),
             lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kw), arrays)


@pytest.mark.parametrize("case", ["stride2-pad1", "dilation-pair", "all", "same-even-dilated"])
def test_conv2d_gradcheck(case):
    xshape, wshape, kw = CONV_CASES[case]
    _gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), randn(*xshape), randn(*wshape),
               randn(wshape[0]))


@pytest.mark.parametrize("padding", [(1, 0, 2, 1), (0, 2, 0, 0), ((2, 1), (0, 1))])
def test_conv2d_asymmetric_padding_is_torch_pad_then_conv(torch, padding):
    """A 4-tuple is F.pad's (left, right, top, bottom); nested pairs are ((top, bottom), (left, right))."""
    lrtb = padding if len(padding) == 4 else (*padding[1], *padding[0])
    arrays = [randn(2, 4, 5, 6), randn(6, 2, 3, 2)]
    _compare(torch, lambda x, w: F.conv2d(x, w, padding=padding, groups=2),
             lambda x, w: torch.nn.functional.conv2d(torch.nn.functional.pad(x, lrtb), w,
                                                     groups=2), arrays)
    _gradcheck(lambda x, w: F.conv2d(x, w, padding=padding, groups=2), *arrays)


def test_conv2d_unbatched_input_as_torch(torch):
    _compare(torch, lambda x, w: F.conv2d(x, w, padding=1),
             lambda x, w: torch.nn.functional.conv2d(x, w, padding=1),
             [randn(3, 5, 4), randn(2, 3, 3, 3)])


@given(n=st.integers(1, 2), groups=st.integers(1, 2), cin=st.integers(1, 2),
       cout=st.integers(1, 2), h=st.integers(3, 7), w=st.integers(3, 7), kh=st.integers(1, 3),
       kw=st.integers(1, 3), stride=st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_conv2d_random_shapes_match_torch(n, groups, cin, cout, h, w, kh, kw, stride, padding,
                                          dilation, seed):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-check skipped")
    if (h + 2 * padding - dilation * (kh - 1) < 1) or (w + 2 * padding - dilation * (kw - 1) < 1):
        return                                   # no window fits: both raise (tested below)
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, cin * groups, h, w)),
              rng.standard_normal((cout * groups, cin, kh, kw))]
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    _compare(torch, lambda x, w: F.conv2d(x, w, **kwargs),
             lambda x, w: torch.nn.functional.conv2d(x, w, **kwargs), arrays, seed)


def test_conv2d_records_one_primitive_and_a_bias_add():
    x = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    w, b = Tensor(np.ones((2, 1, 2, 2)), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    with Tape() as tape:
        F.conv2d(x, w, b)
    assert [r.op for r in tape] == ["conv2d", "reshape", "add"]


def test_conv2d_skips_dx_when_the_input_needs_no_gradient():
    """A network's first conv: x is data, so backward computes dw only (needs_input_grad)."""
    x, w = Tensor(randn(2, 1, 5, 5)), Tensor(randn(3, 1, 3, 3), requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    dx, dw = OPS["conv2d"].backward(np.ones(out.shape), out.record.saved, (False, True))
    assert dx is None and dw.shape == w.shape
    out.sum().backward()
    assert x.grad is None and np.allclose(w.grad, dw)


# --- conv1d, conv_transpose2d, conv_transpose1d --------------------------------------------------
@pytest.mark.parametrize("kw", [{}, dict(stride=2, padding=1), dict(dilation=2, groups=2),
                                dict(padding="same", dilation=3), dict(padding=(2,), stride=(3,))])
def test_conv1d_matches_torch_and_gradcheck(torch, kw):
    groups = kw.get("groups", 1)
    arrays = [randn(2, 4, 11), randn(6, 4 // groups, 3), randn(6)]
    _compare(torch, lambda x, w, b: F.conv1d(x, w, b, **kw),
             lambda x, w, b: torch.nn.functional.conv1d(x, w, b, **kw), arrays)
    _gradcheck(lambda x, w, b: F.conv1d(x, w, b, **kw), *arrays)


# x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw), stride, padding, output_padding, groups, dilation
CONVT_CASES = {
    "plain": ((2, 3, 4, 5), (3, 2, 3, 3), (1, 0, 0, 1, 1)),
    "stride2": ((2, 3, 4, 5), (3, 2, 3, 3), (2, 1, 1, 1, 1)),
    "rect-groups": ((2, 4, 3, 4), (4, 3, 3, 2), ((3, 2), (1, 0), (2, 1), 2, 1)),
    "dilation": ((1, 2, 4, 4), (2, 2, 2, 3), (1, 1, (0, 1), 1, 2)),
    "depthwise": ((2, 4, 3, 3), (4, 1, 3, 2), (2, 2, 1, 4, (2, 3))),
}


@pytest.mark.parametrize("case", CONVT_CASES)
def test_conv_transpose2d_matches_torch_and_gradcheck(torch, case):
    xshape, wshape, (s, p, op, g, d) = CONVT_CASES[case]
    arrays = [randn(*xshape), randn(*wshape), randn(wshape[1] * g)]
    _compare(torch, lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d),
             lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, s, p, op, g, d), arrays)
    _gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d), *arrays)


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>: the transposed conv is conv2d's dx."""
    x, w = randn(2, 3, 7, 7), randn(4, 3, 3, 2)       # width 7 -> 4 -> 6: output_padding 1
    y = randn(*F.conv2d(Tensor(x), Tensor(w), stride=2, padding=1).shape)
    back = F.conv_transpose2d(Tensor(y), Tensor(w), stride=2, padding=1, output_padding=(0, 1))
    assert back.shape == x.shape
    np.testing.assert_allclose((F.conv2d(Tensor(x), Tensor(w), stride=2, padding=1).data * y).sum(),
                               (x * back.data).sum(), rtol=1e-12)


def test_conv_transpose1d_matches_torch_and_gradcheck(torch):
    arrays = [randn(2, 4, 5), randn(4, 3, 3), randn(6)]
    kw = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    _compare(torch, lambda x, w, b: F.conv_transpose1d(x, w, b, **kw),
             lambda x, w, b: torch.nn.functional.conv_transpose1d(x, w, b, **kw), arrays)
    _gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, **kw), *arrays)


# --- pooling -------------------------------------------------------------------------------------
# x shape, kernel_size, stride, padding, dilation (max only), ceil_mode
POOL_CASES = {
    "2x2": ((2, 3, 6, 6), 2, None, 0, 1, False),
    "3-stride2": ((2, 3, 7, 6), 3, 2, 0, 1, False),
    "rect": ((1, 2, 6, 7), (3, 2), 1, 0, 1, False),
    "rect-stride": ((2, 2, 5, 8), (2, 3), (1, 2), 0, 1, False),
    "pad": ((2, 3, 7, 6), 3, 2, 1, 1, False),
    "pad-pair-ceil": ((2, 2, 7, 8), (3, 2), (2, 2), (1, 0), 1, True),
    "ceil-partial": ((2, 2, 7, 7), 2, 2, 0, 1, True),
    "ceil-dropped": ((1, 2, 5, 5), 3, 3, 1, 1, True),
    "ceil-overlap": ((2, 2, 9, 8), 4, 3, 2, 1, True),
}
DILATED = {
    "dilation": ((2, 2, 9, 8), 3, 1, 1, 2, False),
    "dilation-pair-ceil": ((2, 2, 9, 8), 2, 2, 1, (2, 3), True),
}


@pytest.mark.parametrize("case", {**POOL_CASES, **DILATED})
def test_max_pool2d_matches_torch_gradcheck_and_indices(torch, case):
    shape, k, s, p, d, ceil = {**POOL_CASES, **DILATED}[case]
    x = randn(*shape)
    _compare(torch, lambda x: F.max_pool2d(x, k, s, p, d, ceil),
             lambda x: torch.nn.functional.max_pool2d(x, k, s, p, d, ceil), [x])
    _gradcheck(lambda x: F.max_pool2d(x, k, s, p, d, ceil), x)
    out, idx = F.max_pool2d(Tensor(x), k, s, p, d, ceil, return_indices=True)
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, ceil,
                                                  return_indices=True)
    assert idx.dtype == np.int64 and not idx.requires_grad
    np.testing.assert_array_equal(idx.data, t_idx.numpy())
    np.testing.assert_array_equal(out.data, t_out.numpy())


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", POOL_CASES)
def test_avg_pool2d_matches_torch_and_gradcheck(torch, case, count_include_pad):
    shape, k, s, p, _, ceil = POOL_CASES[case]
    x = randn(*shape)
    _compare(torch, lambda x: F.avg_pool2d(x, k, s, p, ceil, count_include_pad),
             lambda x: torch.nn.functional.avg_pool2d(x, k, s, p, ceil, count_include_pad), [x])
    _gradcheck(lambda x: F.avg_pool2d(x, k, s, p, ceil, count_include_pad), x)


def test_avg_pool2d_divisor_override(torch):
    _compare(torch, lambda x: F.avg_pool2d(x, 3, 2, 1, divisor_override=4),
             lambda x: torch.nn.functional.avg_pool2d(x, 3, 2, 1, divisor_override=4),
             [randn(2, 2, 7, 6)])


def test_max_pool_ties_go_to_the_first_maximum_and_nan_wins_as_torch(torch):
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 2] = x[0, 0, 2, 1] = 1.0                     # equal maxima in overlapping windows
    for kernel, stride in [(2, 2), (3, 1), ((2, 3), 1)]:
        _compare(torch, lambda x: F.max_pool2d(x, kernel, stride),
                 lambda x: torch.nn.functional.max_pool2d(x, kernel, stride), [x])
    x = randn(1, 2, 4, 4)
    x[0, 0, 1, 1] = x[0, 1, 2, 3] = np.nan
    out = F.max_pool2d(Tensor(x), 2)
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(out.data, t_out.numpy())          # NaN where torch has NaN
    np.testing.assert_array_equal(F.max_pool2d(Tensor(x), 2, return_indices=True)[1].data,
                                  t_idx.numpy())


@pytest.mark.parametrize("pool, kw", [("max_pool1d", dict(kernel_size=3, stride=2, padding=1,
                                                          dilation=2, ceil_mode=True)),
                                      ("max_pool1d", dict(kernel_size=2)),
                                      ("avg_pool1d", dict(kernel_size=3, stride=2, padding=1,
                                                          ceil_mode=True, count_include_pad=False)),
                                      ("avg_pool1d", dict(kernel_size=(2,), stride=(1,)))])
def test_pool1d_matches_torch_and_gradcheck(torch, pool, kw):
    x = randn(2, 3, 9)
    _compare(torch, lambda x: getattr(F, pool)(x, **kw),
             lambda x: getattr(torch.nn.functional, pool)(x, **kw), [x])
    _gradcheck(lambda x: getattr(F, pool)(x, **kw), x)
    if pool == "max_pool1d":
        idx = F.max_pool1d(Tensor(x), return_indices=True, **kw)[1].data
        np.testing.assert_array_equal(idx, torch.nn.functional.max_pool1d(
            torch.tensor(x), return_indices=True, **kw)[1].numpy())


@pytest.mark.parametrize("output_size", [1, (4, 3), (3, None), (5, 8), 2])
def test_adaptive_avg_pool2d_matches_torch_and_gradcheck(torch, output_size):
    x = randn(2, 3, 7, 8)
    _compare(torch, lambda x: F.adaptive_avg_pool2d(x, output_size),
             lambda x: torch.nn.functional.adaptive_avg_pool2d(x, output_size), [x])
    _gradcheck(lambda x: F.adaptive_avg_pool2d(x, output_size), x)


def test_unbatched_pools_as_torch(torch):
    x = randn(3, 7, 6)
    _compare(torch, lambda x: F.max_pool2d(x, 3, 2, 1),
             lambda x: torch.nn.functional.max_pool2d(x, 3, 2, 1), [x])
    _compare(torch, lambda x: F.avg_pool1d(x, 2),
             lambda x: torch.nn.functional.avg_pool1d(x, 2), [x[0]])


# --- padding -------------------------------------------------------------------------------------
PADS = [(1, 2), (2, 1, 1, 3), (-1, 2, 1, -2), (0, 0, 3, 0), (1, 1, 1, 1, 1, 1)]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", PADS, ids=str)
def test_f_pad_matches_torch_and_gradcheck(torch, mode, pad):
    """torch's order (last axis first); negative widths crop, then the other sides pad."""
    x = randn(2, 3, 4, 5)
    if mode != "constant":          # torch pads k axes of (N, C, *k axes) only: match its rank
        x = randn(*(2, 3, 4, 5, 3)[:len(pad) // 2 + 2])
    _compare(torch, lambda x: F.pad(x, pad, mode),
             lambda x: torch.nn.functional.pad(x, pad, mode), [x])
    _gradcheck(lambda x: F.pad(x, pad, mode), x)


def test_f_pad_constant_value_and_tensor_pad_keeps_numpys_convention():
    x = randn(3, 4)
    np.testing.assert_array_equal(F.pad(Tensor(x), (1, 2), value=7.0).data,
                                  np.pad(x, ((0, 0), (1, 2)), constant_values=7.0))
    for numpy_mode in ("reflect", "edge", "wrap"):
        np.testing.assert_array_equal(Tensor(x).pad(((2, 1), (0, 3)), numpy_mode).data,
                                      np.pad(x, ((2, 1), (0, 3)), numpy_mode))
        _gradcheck(lambda x: x.pad(((2, 1), (0, 3)), numpy_mode), x)
    np.testing.assert_array_equal(Tensor(x).pad(((-1, 0), (0, -2))).data, x[1:, :2])


# --- nn layers -----------------------------------------------------------------------------------
LAYERS = {  # constructor args (the same for torch), input shape
    "Conv2d": ((4, 6, 3, 2, 1, 1, 2), (2, 4, 9, 8)),
    "Conv2d-reflect": ((4, 6, 3, 1, 2, 1, 1, False, "reflect"), (2, 4, 7, 8)),
    "Conv2d-replicate-same": ((4, 6, (3, 2), 1, "same", 2, 2, True, "replicate"), (2, 4, 7, 8)),
    "Conv2d-circular": ((2, 3, 3, 1, (1, 2), 1, 1, True, "circular"), (2, 2, 5, 6)),
    "Conv1d": ((4, 6, 3, 2, 1, 2, 2, True, "reflect"), (2, 4, 9)),
    "ConvTranspose2d": ((4, 6, 3, 2, 1, 1, 2, True, 1), (2, 4, 4, 5)),
    "ConvTranspose1d": ((4, 6, 3, 2, 1, 1, 2, False, 2), (2, 4, 5)),
    "MaxPool2d": ((3, 2, 1, 1, False, True), (2, 3, 9, 8)),
    "MaxPool1d": ((2,), (2, 3, 9)),
    "AvgPool2d": ((3, 2, 1, True, False), (2, 3, 9, 8)),
    "AvgPool1d": ((3, 2, 1), (2, 3, 9)),
    "AdaptiveAvgPool2d": (((3, None),), (2, 3, 9, 8)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layers_match_torch_names_shapes_repr_and_outputs(torch, name):
    args, shape = LAYERS[name]
    cls = name.split("-")[0]
    ours, theirs = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args).double()
    assert [(k, p.shape) for k, p in ours.named_parameters()] == \
           [(k, tuple(p.shape)) for k, p in theirs.named_parameters()]
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    assert repr(ours) == repr(theirs)
    for attr in ("kernel_size", "stride", "padding", "dilation", "groups", "output_padding",
                 "padding_mode", "ceil_mode", "count_include_pad", "output_size"):
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr), attr
    x = randn(*shape)
    _compare(torch, lambda x: ours(x), lambda x: theirs(x), [x])


def test_conv_layer_gradcheck_with_padding_mode():
    conv = nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")
    _gradcheck(lambda x: conv(x), randn(2, 2, 5, 4))


# --- dtypes and errors ---------------------------------------------------------------------------
def test_float32_stays_float32():
    x = Tensor(randn(2, 3, 6, 6).astype(np.float32), requires_grad=True)
    w = Tensor(randn(4, 3, 3, 3).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, np.float32), requires_grad=True)
    out = F.avg_pool2d(F.max_pool2d(F.conv2d(x, w, b, padding=1), 2, 1, padding=1), 2, ceil_mode=True)
    out = F.conv_transpose2d(F.pad(out, (1, 1, 0, 0), "reflect"), w, stride=2)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def _x(*shape):
    return Tensor(np.ones(shape))


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(_x(1, 2, 5, 5), _x(3, 4, 3, 3)), r"conv2d: input \(1, 2, 5, 5\) and weight "
     r"\(3, 4, 3, 3\) do not fit with groups=1.*needs 4 channels"),
    (lambda: F.conv2d(_x(1, 4, 5, 5), _x(3, 2, 3, 3), groups=2), "divisible by groups"),
    (lambda: F.conv2d(_x(2, 5, 5, 5), _x(3, 2, 3, 3)), r"input has shape \(2, 5, 5, 5\)|fit"),
    (lambda: F.conv2d(_x(1, 1, 2, 2), _x(1, 1, 3, 3)), "larger than the .padded. input size 2"),
    (lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), stride=0), "stride=0 must be an int >= 1"),
    (lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), padding=1.5), "padding=1.5 must be ints"),
    (lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), padding="full"),
     "should be one of 'valid', 'same'"),
    (lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), groups=0), "groups=0 must be an int >= 1"),
    (lambda: F.conv_transpose2d(_x(1, 2, 3, 3), _x(2, 1, 3, 3), stride=2, output_padding=2),
     "output_padding=2 must be smaller than stride"),
    (lambda: F.conv_transpose2d(_x(1, 3, 3, 3), _x(2, 1, 3, 3)), r"weight is \(Cin, Cout/groups"),
    (lambda: F.conv1d(_x(1, 2, 5), _x(3, 2, 3, 3)), r"conv1d: weight has shape \(3, 2, 3, 3\)"),
    (lambda: F.conv1d(_x(5), _x(3, 2, 3)), r"conv1d: input has shape \(5,\); expected \(N, C, L\)"),
    (lambda: F.max_pool2d(_x(5, 5), 2), r"\(N, C, H, W\)"),
    (lambda: F.avg_pool2d(_x(1, 1, 5, 5), (2, 2, 2)), "kernel_size"),
    (lambda: F.max_pool2d(_x(1, 1, 5, 5), 3, padding=2), "at most half the kernel's span"),
    (lambda: F.avg_pool2d(_x(1, 1, 2, 2), 3), r"kernel \(3, 3\) .dilation \(1, 1\). does not fit"),
    (lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=0), "divisor_override=0"),
    (lambda: F.pad(_x(3, 4), (1, 2, 3)), r"pad: pad=\(1, 2, 3\) for input \(3, 4\)"),
    (lambda: F.pad(_x(3, 4), (1, 1.5)), "must be a tuple of ints"),
    (lambda: F.pad(_x(3, 4), (4, 0), "reflect"), "reflect pads < size"),
    (lambda: F.pad(_x(3, 4), (1, 0), "mirror"), "mode='mirror'"),
    (lambda: F.pad(_x(3, 4), (-3, -2)), r"does not fit axis 1 \(size 4\)"),
    (lambda: _x(3).pad(1.7), r"pad: pad_width=1.7 for input \(3,\) must be ints"),
    (lambda: F.adaptive_avg_pool2d(_x(1, 1, 4, 4), 0), "output_size"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible by groups=2"),
    (lambda: nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect"), "use 'zeros'"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None)
def test_errors_name_the_op_and_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("fn, wshape", [(F.conv2d, (4, 3, 3, 3)), (F.conv1d, (4, 3, 3)),
                                        (F.conv_transpose2d, (3, 4, 3, 3)),
                                        (F.conv_transpose1d, (3, 4, 3))])
def test_conv_takes_torchs_bias_keyword(fn, wshape):
    """F.conv2d(x, w, bias=b) as a PyTorch user writes it equals F.conv2d(x, w, b); both at once raise."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 3) + (5,) * (len(wshape) - 2)))
    w, b = Tensor(rng.standard_normal(wshape)), Tensor(rng.standard_normal(4))
    np.testing.assert_array_equal(fn(x, w, bias=b).data, fn(x, w, b).data)
    assert not np.array_equal(fn(x, w, bias=b).data, fn(x, w).data)
    with pytest.raises(TypeError, match="got both b and bias="):
        fn(x, w, b, bias=b)


@pytest.mark.parametrize("fill", [0, None, -np.inf])
def test_batch_last_arrays_own_their_memory(fill):
    """A window op's gradient made by batch_last is kept by the engine as it is (a view would be
    copied to C order, and the next op would then mix two layouts)."""
    from tinygrad_bn.engine.ops.windows import batch_last
    out = batch_last((3, 2, 4, 5), np.float32, fill)
    assert out.shape == (3, 2, 4, 5) and out.base is None
    assert out.transpose(1, 2, 3, 0).flags.c_contiguous
    if fill is not None:
        assert (out == fill).all()
