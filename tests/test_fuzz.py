"""Fuzzing: random op chains over random broadcastable shapes and dtypes, checked against central
differences (gradcheck) and PyTorch. The example count follows the hypothesis profile in conftest."""
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_bn as tg
from tinygrad_bn import Tensor

try:
    import torch
except ImportError:
    torch = None

# Smooth steps that grow at most linearly (so central differences stay accurate over a chain of
# five), written once for both engines: they only use methods both Tensors have.
UNARY = {
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "exp_tanh": lambda t: t.tanh().exp(),
    "tanh_square": lambda t: t.tanh().square(),
    "sqrt1p": lambda t: (t.square() + 1).sqrt(),
    "log1p_sq": lambda t: (t.square() + 1).log(),
    "recip1p": lambda t: (t.square() + 1).reciprocal(),
    "affine": lambda t: 1.5 - t * 0.5,
    "tanh_cube": lambda t: t.tanh() ** 3,
    "neg": lambda t: -t,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: b - a,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.square() + 1),
}


def reduce(t, kind, axis, keepdims):
    """sum/mean/max with NumPy-style arguments, on either engine (torch's max is amax)."""
    if kind == "max" and torch is not None and isinstance(t, torch.Tensor):
        return t.amax(dim=tuple(range(t.ndim)) if axis is None else axis, keepdim=keepdims)
    return getattr(t, kind)(axis=axis, keepdims=keepdims)


def transpose(t):
    if isinstance(t, Tensor):
        return t.transpose(tuple(reversed(range(t.ndim))))
    return t.permute(*reversed(range(t.ndim)))


@st.composite
def chains(draw):
    """(shapes of a and b, dtype, steps, final transpose?, final reduction or None, seed)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    min_side=1, max_side=3))
    steps = draw(st.lists(st.one_of(st.sampled_from(sorted(UNARY)).map(lambda n: ("u", n)),
                                    st.sampled_from(sorted(BINARY)).map(lambda n: ("b", n))),
                          min_size=1, max_size=5))
    uses_b = any(kind == "b" for kind, _ in steps)
    ndim = len(shapes.result_shape if uses_b else shapes.input_shapes[0])
    flip = ndim > 1 and draw(st.booleans())
    axis = st.one_of(st.none(), st.integers(-ndim, ndim - 1)) if ndim else st.none()
    final = draw(st.one_of(st.none(), st.tuples(st.sampled_from(["sum", "mean", "max"]), axis,
                                                st.booleans())))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return shapes.input_shapes, dtype, steps, flip, final, draw(st.integers(0, 2**16))


def run_chain(chain, a, b):
    _, _, steps, flip, final, _ = chain
    out = a
    for kind, name in steps:
        out = UNARY[name](out) if kind == "u" else BINARY[name](out, b)
    out = transpose(out) if flip else out
    return reduce(out, *final) if final else out


def inputs(chain, dtype):
    (shape_a, shape_b), _, _, _, _, seed = chain
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True, name=n)
            for s, n in ((shape_a, "a"), (shape_b, "b"))]


@given(chains())
def test_chain_gradcheck(chain):
    """float64 gradients of every random chain agree with central differences."""
    assert tg.gradcheck(lambda a, b: run_chain(chain, a, b), *inputs(chain, np.float64))


@given(chains())
def test_chain_keeps_dtype_without_warnings(chain):
    """Numbers lift to the tensors' dtype: float32 chains stay float32, grads included, silently."""
    dtype = chain[1]
    a, b = inputs(chain, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = run_chain(chain, a, b)
        out.backward(np.ones(out.shape))
    assert out.dtype == dtype and a.grad.dtype == dtype
    assert b.grad is None or b.grad.dtype == dtype    # None: no step used b


@pytest.mark.skipif(torch is None, reason="PyTorch not installed: cross-check skipped")
@given(chains())
def test_chain_matches_torch(chain):
    """Forward and gradients match PyTorch in float64 (ours in float32 within float32 rounding)."""
    dtype = chain[1]
    a, b = inputs(chain, dtype)
    out = run_chain(chain, a, b)
    v = np.random.default_rng(chain[-1]).standard_normal(out.shape)
    out.backward(v)
    ta, tb = (torch.tensor(t.data, dtype=torch.float64, requires_grad=True) for t in (a, b))
    tout = run_chain(chain, ta, tb)
    tout.backward(torch.tensor(v))
    rtol = 1e-10 if dtype == np.float64 else 1e-3
    assert (b.grad is None) == (tb.grad is None)
    for ours, ref in ((out.data, tout), (a.grad, ta.grad), (b.grad, tb.grad)):
        if ref is None:
            continue
        ref = ref.detach().numpy()
        scale = max(1.0, float(np.abs(ref).max(initial=0)))
        np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * scale)
