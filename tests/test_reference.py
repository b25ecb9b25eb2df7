"""The plain-NumPy BN oracles: against central differences, each other, PyTorch and the engine."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinygrad_bn import Tape, Tensor, functional as F
from tinygrad_bn.teach.reference import (NAMES, central_difference, simplified_backward,
                                   staged_backward, staged_forward)

SHAPES_2D = st.tuples(st.integers(2, 5), st.integers(1, 4))
SHAPES_4D = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(2, 3))


def problem(shape, seed, scale=1.0):
    """x, non-trivial gamma and beta, and an upstream gradient dout, all float64."""
    rng = np.random.default_rng(seed)
    x = scale * rng.standard_normal(shape) + rng.standard_normal()
    gamma, beta = rng.uniform(0.5, 2.0, shape[1]), rng.standard_normal(shape[1])
    return x, gamma, beta, rng.standard_normal(shape)


def close(a, b, rtol):
    """allclose with an atol scaled to b, since dx can be 0 in exact arithmetic (e.g. N = 2)."""
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * (1 + np.abs(b).max()))


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 3), (1, 2, 3, 2)])
def test_staged_matches_central_differences(shape):
    x, gamma, beta, dout = problem(shape, seed=1)
    _, cache = staged_forward(x, gamma, beta)
    grads = staged_backward(dout, cache)
    close(grads["dx"], central_difference(lambda a: staged_forward(a, gamma, beta)[0], x, dout),
          1e-6)
    close(grads["dgamma"], central_difference(lambda g: staged_forward(x, g, beta)[0], gamma,
                                              dout), 1e-6)
    close(grads["dbeta"], central_difference(lambda b: staged_forward(x, gamma, b)[0], beta,
                                             dout), 1e-6)


@given(st.one_of(SHAPES_2D, SHAPES_4D), st.integers(0, 2**32 - 1),
       st.sampled_from([1e-3, 1.0, 1e3]))
def test_staged_equals_simplified(shape, seed, scale):
    x, gamma, beta, dout = problem(shape, seed, scale)
    _, cache = staged_forward(x, gamma, beta)
    staged, simple = staged_backward(dout, cache), simplified_backward(dout, cache)
    for name in ("dx", "dgamma", "dbeta"):
        close(staged[name], simple[name], 1e-12)


def test_staged_cache_and_grads_are_named():
    x, gamma, beta, dout = problem((3, 2), seed=2)
    _, cache = staged_forward(x, gamma, beta)
    grads = staged_backward(dout, cache)
    assert set(NAMES) <= set(cache)
    assert {"d" + name for name in NAMES} | {"dx", "dgamma", "dbeta"} <= set(grads)


def test_constant_channel_is_finite():
    x, gamma, beta, dout = problem((4, 2), seed=3)
    x[:, 1] = 7.0
    out, cache = staged_forward(x, gamma, beta)
    grads = staged_backward(dout, cache)
    np.testing.assert_allclose(out[:, 1], beta[1])
    assert np.isfinite(grads["dx"]).all()


def test_oracles_match_torch_batch_norm(torch):
    @given(st.one_of(SHAPES_2D, SHAPES_4D), st.integers(0, 2**32 - 1))
    def check(shape, seed):     # inside: hypothesis must not reuse a function-scoped fixture
        x, gamma, beta, dout = problem(shape, seed)
        tx, tg_, tb = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
        tout = torch.nn.functional.batch_norm(tx, None, None, tg_, tb, training=True, eps=1e-5)
        tout.backward(torch.tensor(dout))
        out, cache = staged_forward(x, gamma, beta)
        close(out, tout.detach().numpy(), 1e-10)
        for grads in (staged_backward(dout, cache), simplified_backward(dout, cache)):
            for name, t in (("dx", tx), ("dgamma", tg_), ("dbeta", tb)):
                close(grads[name], t.grad.numpy(), 1e-10)
    check()


def torch_staged(torch, x, gamma, beta, eps=1e-5):
    """The ten nodes in torch autograd, each with retain_grad, to read every d<name>."""
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    nodes = {}
    nodes["mu"] = x.mean(dim=axes, keepdim=True)
    nodes["xmu"] = x - nodes["mu"]
    nodes["sq"] = nodes["xmu"] ** 2
    nodes["var"] = nodes["sq"].mean(dim=axes, keepdim=True)
    nodes["var_eps"] = nodes["var"] + eps
    nodes["sqrtvar"] = torch.sqrt(nodes["var_eps"])
    nodes["ivar"] = 1.0 / nodes["sqrtvar"]
    nodes["xhat"] = nodes["xmu"] * nodes["ivar"]
    nodes["gammax"] = gamma.reshape(shape) * nodes["xhat"]
    nodes["out"] = nodes["gammax"] + beta.reshape(shape)
    for t in nodes.values():
        t.retain_grad()
    return nodes


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 2, 2)])
def test_every_intermediate_grad_matches_torch_autograd(torch, shape):
    x, gamma, beta, dout = problem(shape, seed=4)
    nodes = torch_staged(torch, *(torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)))
    nodes["out"].backward(torch.tensor(dout))
    _, cache = staged_forward(x, gamma, beta)
    grads = staged_backward(dout, cache)
    for name in NAMES:
        close(cache[name], nodes[name].detach().numpy(), 1e-12)
        close(grads["d" + name], nodes[name].grad.numpy(), 1e-10)


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 2, 2)])
def test_engine_composed_bn_matches_oracle_node_by_node(shape):
    x, gamma, beta, dout = problem(shape, seed=5)
    tx, tg_, tb = (Tensor(a, requires_grad=True) for a in (x, gamma, beta))
    with Tape() as tape:
        out = F.batch_norm(tx, tg_, tb)
    out.backward(dout)
    _, cache = staged_forward(x, gamma, beta)
    grads = staged_backward(dout, cache)
    named = {r.output.name: r.output for r in tape if r.output.name in NAMES}
    assert sorted(named) == sorted(NAMES)
    for name, t in named.items():
        close(t.data.reshape(cache[name].shape), cache[name], 1e-12)
        close(t.grad.reshape(grads["d" + name].shape), grads["d" + name], 1e-12)
    for name, t in (("dx", tx), ("dgamma", tg_), ("dbeta", tb)):
        close(t.grad, grads[name], 1e-12)
