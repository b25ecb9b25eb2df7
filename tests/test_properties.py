"""Property tests (hypothesis): random broadcastable shapes through binary ops, and random chains of
ops over random shapes and dtypes, each checked with float64 gradcheck and against PyTorch, and
float32 chains checked to stay float32 silently. Example counts come from the conftest profiles."""
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from tinygrad_bn import Tensor, gradcheck

# the torch fixture is function-scoped but stateless, so sharing it across examples is safe
with_fixture = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                               HealthCheck.too_slow])

BINARY = {  # name: fn on our Tensors and on torch tensors alike; div gets a positive b
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: b - a,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
}


def values(seed, shape, positive=False, dtype=np.float64):
    """Seeded floats (not hypothesis floats): no ties, no zeros, nothing near a kink."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)
    return np.asarray(a, dtype=dtype)


binary_case = st.tuples(st.sampled_from(sorted(BINARY)),
                        mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
                        st.integers(0, 2**16))


def binary_inputs(name, shapes, seed):
    a, b = shapes.input_shapes
    return values(seed, a), values(seed + 1, b, positive=name == "div")


@given(binary_case)
def test_binary_ops_broadcast_gradcheck(case):
    name, shapes, seed = case
    a, b = binary_inputs(name, shapes, seed)
    out = BINARY[name](Tensor(a), Tensor(b))
    assert out.shape == shapes.result_shape
    assert gradcheck(BINARY[name], Tensor(a, requires_grad=True), Tensor(b, requires_grad=True))


@with_fixture
@given(case=binary_case)
def test_binary_ops_broadcast_match_torch(case, torch):
    name, shapes, seed = case
    a, b = binary_inputs(name, shapes, seed)
    compare_with_torch(torch, BINARY[name], a, b)


# --- random chains: each link maps any real input into a valid domain for the next --------------
def reduce_last(x, op):
    """x.op(axis=-1, keepdims=True) on either engine (a 0-d x passes through)."""
    if x.ndim == 0:
        return x
    return reduce(x, op, -1, True)


def reduce(x, op, axis, keepdims):
    """sum/mean/max with NumPy-style arguments, on our Tensor or a torch tensor (amax)."""
    if isinstance(x, Tensor):
        return getattr(x, op)(axis=axis, keepdims=keepdims)
    dims = tuple(range(x.ndim)) if axis is None else axis
    return getattr(x, {"max": "amax"}.get(op, op))(dim=dims, keepdim=keepdims)


def transpose(x):
    """All axes reversed, on either engine."""
    if isinstance(x, Tensor):
        return x.transpose(tuple(reversed(range(x.ndim))))
    return x.permute(*reversed(range(x.ndim)))


def reuse(t):
    """t * t + t: one tensor feeding three inputs, so its gradients must add up."""
    return t * t + t


# Smooth or piecewise-linear links that grow at most linearly, so central differences stay
# accurate over a chain of five; x is the running value, w the second input (broadcastable).
LINKS = {
    "tanh": lambda x, w: x.tanh(),
    "sigmoid": lambda x, w: x.sigmoid(),
    "log(x**2+1)": lambda x, w: (x ** 2 + 1).log(),
    "exp(tanh)": lambda x, w: x.tanh().exp(),
    "tanh.square": lambda x, w: x.tanh().square(),
    "sqrt(x*x+1)": lambda x, w: (x * x + 1).sqrt(),
    "1/(x.square()+1)": lambda x, w: (x.square() + 1).reciprocal(),
    "tanh**3": lambda x, w: x.tanh() ** 3,
    "1.5-x*0.5": lambda x, w: 1.5 - x * 0.5,
    "relu-1": lambda x, w: (x - 0.1).relu(),
    "abs": lambda x, w: x.abs(),
    "-x": lambda x, w: -x,
    "*w": lambda x, w: x * w,
    "+w": lambda x, w: x + w,
    "w-x": lambda x, w: w - x,
    "/(w*w+1)": lambda x, w: x / (w * w + 1),
    "t*t+t": lambda x, w: reuse(x.tanh()),      # a reused subexpression, bounded
    "sum": lambda x, w: reduce_last(x, "sum"),
    "mean": lambda x, w: reduce_last(x, "mean"),
    "max": lambda x, w: reduce_last(x, "max"),
    "x-mean": lambda x, w: x - reduce_last(x, "mean"),
}

USES_W = {"*w", "+w", "w-x", "/(w*w+1)"}


@st.composite
def chain_cases(draw):
    """(links, shapes of x and w, final transpose?, final reduction or None, dtype, seed)."""
    shapes = draw(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                max_side=3))
    links = draw(st.lists(st.sampled_from(sorted(LINKS)), min_size=1, max_size=5))
    uses_w = any(link in USES_W for link in links)
    ndim = len(shapes.result_shape if uses_w else shapes.input_shapes[0])
    flip = ndim > 1 and draw(st.booleans())
    axis = st.one_of(st.none(), st.integers(-ndim, ndim - 1)) if ndim else st.none()
    final = draw(st.one_of(st.none(), st.tuples(st.sampled_from(["sum", "mean", "max"]), axis,
                                                st.booleans())))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return links, shapes.input_shapes, flip, final, dtype, draw(st.integers(0, 2**16))


def run_chain(case):
    """The chain of `case` as fn(x, w), for either engine."""
    links, _, flip, final, _, _ = case

    def fn(x, w):
        for link in links:
            x = LINKS[link](x, w)
        x = transpose(x) if flip else x
        return reduce(x, *final) if final else x
    return fn


def chain_inputs(case, dtype=np.float64):
    (x_shape, w_shape), seed = case[1], case[-1]
    return values(seed, x_shape, dtype=dtype), values(seed + 1, w_shape, dtype=dtype)


@given(chain_cases())
def test_random_op_chains_gradcheck(case):
    """float64 gradients of every random chain agree with central differences."""
    x, w = chain_inputs(case)
    assert gradcheck(run_chain(case), Tensor(x, requires_grad=True), Tensor(w, requires_grad=True))


@with_fixture
@given(case=chain_cases())
def test_random_op_chains_match_torch(case, torch):
    """Values and gradients match PyTorch in float64 (ours in float32 within float32 rounding)."""
    compare_with_torch(torch, run_chain(case), *chain_inputs(case, case[4]))


@given(chain_cases())
def test_random_op_chains_keep_their_dtype_without_warnings(case):
    """Numbers lift to the tensors' dtype: float32 chains stay float32, grads included, silently."""
    dtype = case[4]
    x, w = (Tensor(a, requires_grad=True) for a in chain_inputs(case, dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = run_chain(case)(x, w)
        out.backward(np.ones(out.shape, dtype))
    assert out.dtype == dtype and x.grad.dtype == dtype
    assert w.grad is None or w.grad.dtype == dtype    # None: no link used w


def compare_with_torch(torch, fn, *arrays):
    """Values and gradients of fn (random upstream grad) vs torch in float64: rtol 1e-10 for
    float64 inputs, 1e-3 (float32 rounding) for float32 ones."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, t_out = fn(*ours), fn(*theirs)
    v = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(v.astype(out.dtype))
    t_out.backward(torch.as_tensor(v))
    rtol = 1e-10 if arrays[0].dtype == np.float64 else 1e-3
    for i, (mine, ref) in enumerate([(out.data, t_out)] + [(a.grad, t.grad)
                                                           for a, t in zip(ours, theirs)]):
        if ref is None:                   # an input the chain never used
            assert mine is None, f"input {i - 1} is unused, yet got a gradient"
            continue
        ref = ref.detach().numpy()
        scale = max(1.0, float(np.abs(ref).max(initial=0)))
        np.testing.assert_allclose(mine, ref, rtol=rtol, atol=rtol * scale,
                                   err_msg="output" if i == 0 else f"gradient of input {i - 1}")
