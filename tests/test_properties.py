"""Property tests: random broadcastable shapes through binary ops, and random chains of 2-5 ops,
each checked with gradcheck and against PyTorch. Example counts come from the conftest profiles."""
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
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
}


def values(seed, shape, positive=False):
    """Seeded floats (not hypothesis floats): no ties, no zeros, nothing near a kink."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)


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
    """x.op(axis=-1, keepdims=True) on our Tensor, the torch spelling on a torch tensor."""
    if isinstance(x, Tensor):
        return getattr(x, op)(axis=-1, keepdims=True)
    return getattr(x, {"max": "amax"}.get(op, op))(dim=-1, keepdim=True)


def reuse(t):
    """t * t + t: one tensor feeding three inputs, so its gradients must add up."""
    return t * t + t


LINKS = {
    "tanh": lambda x, w: x.tanh(),
    "sigmoid": lambda x, w: x.sigmoid(),
    "log(x**2+1)": lambda x, w: (x ** 2 + 1).log(),
    "exp(tanh)": lambda x, w: x.tanh().exp(),
    "sqrt(x*x+1)": lambda x, w: (x * x + 1).sqrt(),
    "1/(x.square()+1)": lambda x, w: (x.square() + 1).reciprocal(),
    "tanh**3": lambda x, w: x.tanh() ** 3,
    "relu-1": lambda x, w: (x - 0.1).relu(),
    "abs": lambda x, w: x.abs(),
    "*w": lambda x, w: x * w,
    "+w": lambda x, w: x + w,
    "/(w*w+1)": lambda x, w: x / (w * w + 1),
    "t*t+t": lambda x, w: reuse(x.tanh()),      # a reused subexpression, bounded
    "-x": lambda x, w: -x,
    "sum": lambda x, w: reduce_last(x, "sum"),
    "mean": lambda x, w: reduce_last(x, "mean"),
    "max": lambda x, w: reduce_last(x, "max"),
    "x-mean": lambda x, w: x - reduce_last(x, "mean"),
}

chain_case = st.tuples(st.lists(st.sampled_from(sorted(LINKS)), min_size=2, max_size=5),
                       st.integers(1, 3), st.integers(1, 3),
                       st.sampled_from(["row", "col", "scalar"]), st.integers(0, 2**16))


def chain_inputs(case):
    links, n, m, w_kind, seed = case
    w_shape = {"row": (m,), "col": (n, 1), "scalar": ()}[w_kind]
    return values(seed, (n, m)), values(seed + 1, w_shape)


def run_chain(links):
    def fn(x, w):
        for link in links:
            x = LINKS[link](x, w)
        return x
    return fn


@given(chain_case)
def test_random_op_chains_gradcheck(case):
    links = case[0]
    x, w = chain_inputs(case)
    fn = run_chain(links)
    assert gradcheck(fn, Tensor(x, requires_grad=True), Tensor(w, requires_grad=True))


@with_fixture
@given(case=chain_case)
def test_random_op_chains_match_torch(case, torch):
    x, w = chain_inputs(case)
    compare_with_torch(torch, run_chain(case[0]), x, w)


def compare_with_torch(torch, fn, *arrays):
    """Values and gradients of fn (with a random upstream grad) in float64, rtol 1e-10."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, t_out = fn(*ours), fn(*theirs)
    v = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(v)
    t_out.backward(torch.as_tensor(v))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    for i, (a, t) in enumerate(zip(ours, theirs)):
        if t.grad is None:                   # an input the chain never used
            assert a.grad is None, f"input {i} is unused, yet got a gradient"
            continue
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {i}")
