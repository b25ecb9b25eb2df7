"""The conv2d kernel (fast/conv.py) equals the reference op: values and both gradients across
strides, paddings, dilations, groups, layouts and needs_input_grad masks; gradcheck; torch."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, functional as F, gradcheck
from tinygrad_bn.fast import NUMBA_KERNELS
from test_kernels import assert_same, backend, batch_last, compare, needs_numba  # noqa: F401

CASES = {  # name: (x shape, w shape, conv2d keywords)
    "3x3 pad 1": ((4, 3, 6, 5), (5, 3, 3, 3), {"padding": 1}),
    "one channel, no pad": ((3, 1, 5, 5), (2, 1, 3, 3), {}),
    "stride 2, pad (2, 1)": ((2, 2, 7, 6), (3, 2, 3, 2), {"stride": 2, "padding": (2, 1)}),
    "dilation 2": ((2, 2, 7, 7), (3, 2, 3, 3), {"dilation": 2, "padding": 1}),
    "groups 2, asymmetric pad": ((2, 4, 5, 6), (6, 2, 2, 3),
                                 {"groups": 2, "padding": (1, 0, 2, 1), "stride": (1, 2)}),
    "same": ((2, 2, 5, 4), (2, 2, 2, 3), {"padding": "same"}),
}


def conv_arrays(case, dtype, layout="C", seed=0):
    xs, ws, kw = CASES[case]
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
    out_shape = F.conv2d(Tensor(x), Tensor(w), **kw).shape
    g = rng.standard_normal(out_shape).astype(dtype)
    return (batch_last(x) if layout == "batch-last" else x), w, g, kw


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
@pytest.mark.parametrize("layout", ["C", "batch-last"])
@pytest.mark.parametrize("needs", [(True, True), (False, True), (True, False)], ids=str)
@pytest.mark.parametrize("case", CASES)
def test_conv2d_kernel_matches_the_reference(backend, case, needs, layout, dtype):
    x, w, g, kw = conv_arrays(case, dtype, layout)
    compare(backend, lambda a, b: F.conv2d(a, b, **kw), (x, w), needs, g, dtype)


@needs_numba
@pytest.mark.parametrize("case", CASES)
def test_conv2d_kernel_gradcheck(backend, case):
    backend("numba")
    x, w, _, kw = conv_arrays(case, np.float64)
    assert gradcheck(lambda a, b: F.conv2d(a, b, **kw), Tensor(x, requires_grad=True),
                     Tensor(w, requires_grad=True))


@needs_numba
@pytest.mark.parametrize("case", CASES)
def test_reference_backward_runs_on_what_the_conv2d_kernel_saved(backend, case):
    backend("numba")
    x, w, g, kw = conv_arrays(case, np.float64)
    out = F.conv2d(Tensor(x, requires_grad=True), Tensor(w, requires_grad=True), **kw)
    reference = tg.OPS["conv2d"].backward(g, out.record.saved, (True, True))
    kernel = NUMBA_KERNELS["conv2d"].backward(g, out.record.saved, (True, True))
    for a, b in zip(kernel, reference):
        assert_same(a, b, np.float64, "reference backward on the kernel's saved arrays")


@needs_numba
@pytest.mark.filterwarnings("ignore:Using padding='same'")       # torch's note on its own copy
@pytest.mark.parametrize("case", CASES)
def test_conv2d_kernel_matches_torch(backend, torch, case):
    backend("numba")
    x, w, g, kw = conv_arrays(case, np.float64)
    ours = [Tensor(a, requires_grad=True) for a in (x, w)]
    out = F.conv2d(*ours, **kw)
    out.backward(g)
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    t_kw, t_x = dict(kw), theirs[0]
    if np.size(kw.get("padding", 0)) == 4:     # torch's conv2d pads symmetrically: F.pad first
        t_x = torch.nn.functional.pad(t_x, t_kw.pop("padding"))
    t_out = torch.nn.functional.conv2d(t_x, theirs[1], **t_kw)
    t_out.backward(torch.from_numpy(g))
    assert_same(out.data, t_out.detach().numpy(), np.float64, "output")
    for a, t in zip(ours, theirs):
        assert_same(a.grad, t.grad.numpy(), np.float64, "gradient")


@needs_numba
def test_conv2d_kernel_input_gradient_is_batch_last_and_owned(backend):
    """dx comes out batch-last in memory of its own, as max_pool2d's kernel reads a gradient."""
    backend("numba")
    x, w, g, kw = conv_arrays("3x3 pad 1", np.float32)
    out, saved = NUMBA_KERNELS["conv2d"].forward(x, w, needs_input_grad=(True, True), **kw)
    dx, _ = NUMBA_KERNELS["conv2d"].backward(g, saved, (True, True))
    assert dx.base is None and np.moveaxis(dx, 0, -1).flags.c_contiguous
