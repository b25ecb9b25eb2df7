"""Ports of other frameworks' test suites, every figure compared with PyTorch in float64.

(a) micrograd's test/test_engine.py: test_sanity_check and test_more_ops, the same expressions.
(b) tinygrad's test/test_ops.py style: `check(shapes, torch_fn, our_fn)` builds random float64
    inputs, runs forward and backward on both (the same random upstream gradient), and compares
    the values and every input's gradient.
(c) PyTorch's nn and optim tests: BatchNorm running statistics over several steps, Linear, Conv2d,
    pooling, losses, SGD and Adam/AdamW over several steps.
"""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn import functional as F

RTOL, ATOL = 1e-7, 1e-9


def th():
    """torch, imported only when a test runs (the torch fixture has skipped or not by then)."""
    import torch
    return torch


# --- (a) micrograd's test_engine.py --------------------------------------------------------------

# micrograd writes each expression twice, once per library; here one function runs on both

def sanity_check(x):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def more_ops(a, b):
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f


def test_micrograd_sanity_check(torch):
    xmg = Tensor(-4.0, requires_grad=True)
    ymg = sanity_check(xmg)
    ymg.backward()
    xpt = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    ypt = sanity_check(xpt)
    ypt.backward()
    assert ymg.data == ypt.data.item()          # forward, exactly (as micrograd asserts)
    assert xmg.grad == xpt.grad.item()          # backward


def test_micrograd_more_ops(torch):
    amg, bmg = Tensor(-4.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    gmg = more_ops(amg, bmg)
    gmg.backward()
    apt, bpt = (torch.tensor([v], dtype=torch.float64, requires_grad=True) for v in (-4.0, 2.0))
    gpt = more_ops(apt, bpt)
    gpt.backward()
    tol = 1e-6
    assert abs(gmg.data - gpt.data.item()) < tol
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol


# --- (b) tinygrad's test_ops.py: one helper ------------------------------------------------------

def _inputs(shapes, low, high, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, s) for s in shapes]


def _values(out):
    """The tensors an op returned, as a list (max(dim=) gives (values, indices))."""
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check(shapes, torch_fn, our_fn, low=-2.0, high=2.0, seed=0, grad=True, rtol=RTOL, atol=ATOL,
          arrays=None):
    """Forward and backward of torch_fn and our_fn on the same float64 inputs of `shapes`:
    values and every input's gradient must agree (rtol, atol), as tinygrad's helper_test_op."""
    torch = th()
    arrays = arrays if arrays is not None else _inputs(shapes, low, high, seed)
    ts = [torch.tensor(a, requires_grad=grad) for a in arrays]
    xs = [Tensor(a.copy(), requires_grad=grad) for a in arrays]
    touts, outs = _values(torch_fn(*ts)), _values(our_fn(*xs))
    assert len(touts) == len(outs)
    for t, o in zip(touts, outs):
        assert tuple(t.shape) == o.shape, f"shape {o.shape} != torch's {tuple(t.shape)}"
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg="forward")
    if not grad:
        return
    rng = np.random.default_rng(seed + 1)
    t, o = touts[0], outs[0]
    up = rng.standard_normal(o.shape)
    (t * torch.tensor(up)).sum().backward()
    (o * Tensor(up)).sum().backward()
    for i, (tx, x) in enumerate(zip(ts, xs)):
        tg_ = np.zeros(x.shape) if tx.grad is None else tx.grad.numpy()
        ours = np.zeros(x.shape) if x.grad is None else x.grad
        assert ours.shape == x.shape, f"grad {i} shape {ours.shape} != input {x.shape}"
        np.testing.assert_allclose(ours, tg_, rtol=rtol, atol=atol, err_msg=f"grad of input {i}")


OPS = []


def op(id, shapes, torch_fn, our_fn=None, marks=(), **kw):
    OPS.append(pytest.param(shapes, torch_fn, our_fn or torch_fn, kw, id=id, marks=marks))


# elementwise
op("add", [(45, 65), (45, 65)], lambda x, y: x + y)
op("add-method", [(45, 65), (45, 65)], lambda x, y: x.add(y))
op("sub", [(45, 65), (45, 65)], lambda x, y: x - y)
op("mul", [(45, 65), (45, 65)], lambda x, y: x * y)
op("div", [(45, 65), (45, 65)], lambda x, y: x / y, low=0.5)
op("pow-tensor", [(45, 65), (45, 65)], lambda x, y: x ** y, low=0.5)
op("pow-2", [(45, 65)], lambda x: x ** 2)
op("pow-3", [(45, 65)], lambda x: x ** 3)
op("pow-neg-base-int", [(45, 65)], lambda x: x ** 3.0)
op("pow-half", [(45, 65)], lambda x: x ** 0.5, low=0.1)
op("pow-neg", [(45, 65)], lambda x: x ** -1.5, low=0.1)
op("pow-0", [(4, 5)], lambda x: x ** 0)
op("pow-method", [(4, 5)], lambda x: x.pow(2.5), low=0.1)
op("rpow", [(45, 65)], lambda x: 2 ** x)
op("rpow-float", [(45, 65)], lambda x: 0.7 ** x)
op("rsub", [(45, 65)], lambda x: 2 - x)
op("rdiv", [(45, 65)], lambda x: 2 / x, low=0.5)
op("radd", [(45, 65)], lambda x: 2 + x)
op("rmul", [(45, 65)], lambda x: 2 * x)
op("sub-scalar", [(45, 65)], lambda x: x - 2)
op("div-scalar", [(45, 65)], lambda x: x / 3)
op("neg", [(45, 65)], lambda x: -x)
op("neg-method", [(45, 65)], lambda x: x.neg())
op("exp", [(45, 65)], lambda x: x.exp())
op("log", [(45, 65)], lambda x: x.log(), low=0.1)
op("sqrt", [(45, 65)], lambda x: x.sqrt(), low=0.1)
op("rsqrt", [(45, 65)], lambda x: x.rsqrt(), low=0.1)
op("square", [(45, 65)], lambda x: x.square())
op("reciprocal", [(45, 65)], lambda x: x.reciprocal(), low=0.5)
op("relu", [(45, 65)], lambda x: x.relu())
op("sigmoid", [(45, 65)], lambda x: x.sigmoid(), low=-20, high=20)
op("tanh", [(45, 65)], lambda x: x.tanh(), low=-10, high=10)
op("abs", [(45, 65)], lambda x: x.abs())
op("sin", [(45, 65)], lambda x: x.sin())
op("cos", [(45, 65)], lambda x: x.cos())
op("log2", [(45, 65)], lambda x: x.log2(), low=0.1)
op("exp2", [(45, 65)], lambda x: x.exp2())
op("log1p", [(45, 65)], lambda x: x.log1p(), low=-0.5)
op("expm1", [(45, 65)], lambda x: x.expm1())
op("erf", [(45, 65)], lambda x: x.erf())
op("clip", [(45, 65)], lambda x: x.clip(-0.5, 0.7))
op("clamp", [(45, 65)], lambda x: x.clamp(-0.5, 0.7))
op("clamp-min", [(45, 65)], lambda x: x.clamp(min=-0.5))
op("clamp-max", [(45, 65)], lambda x: x.clamp(max=0.3))
op("clamp_min", [(45, 65)], lambda x: x.clamp_min(0.1))
op("clamp-tensors", [(45, 65), (45, 65), (45, 65)],
   lambda x, lo, hi: x.clamp(min=lo - 0.5, max=hi + 0.5))
op("clamp-tensor-bcast", [(4, 5), (5,), (4, 1)], lambda x, lo, hi: x.clamp(lo - 1, hi + 1))
op("clamp-tensor-min-only", [(4, 5), (5,)], lambda x, lo: x.clamp(min=lo))
op("clamp-tensor-max-number-min", [(4, 5), (4, 5)],     # torch takes no mix: a full tensor there
   lambda x, hi: x.clamp(th().full_like(hi, -0.5), hi), lambda x, hi: x.clamp(-0.5, hi))
op("clip-tensor-max", [(4, 5), (4, 5)], lambda x, hi: x.clip(max=hi))
op("torch.clamp-tensors", [(4, 5), (4, 5), (4, 5)],
   lambda x, lo, hi: th().clamp(x, lo - 1, hi + 1), lambda x, lo, hi: tg.clamp(x, lo - 1, hi + 1))
op("clamp-tensor-ties", [(4,), (4,), (4,)], lambda x, lo, hi: x.clamp(lo, hi),
   arrays=[np.array([-1.0, 1.0, 0.0, 2.0]), np.array([-1.0, 0.5, 0.5, -3.0]),
           np.array([0.0, 1.0, 2.0, 2.0])])
op("clamp_max", [(45, 65)], lambda x: x.clamp_max(0.1))
op("maximum", [(45, 65), (45, 65)], lambda x, y: torch_or(x).maximum(x, y),
   lambda x, y: tg.maximum(x, y))
op("minimum", [(45, 65), (45, 65)], lambda x, y: torch_or(x).minimum(x, y),
   lambda x, y: tg.minimum(x, y))
op("maximum-method", [(45, 65), (45, 65)], lambda x, y: x.maximum(y))
op("minimum-method-bcast", [(45, 65), (65,)], lambda x, y: x.minimum(y))
op("where", [(45, 65), (45, 65)], lambda x, y: th().where(x > 0, x, y),
   lambda x, y: tg.where(x > 0, x, y))
op("where-bcast", [(4, 5), (5,)], lambda x, y: th().where(x > 0, x, y),
   lambda x, y: tg.where(x > 0, x, y))
op("where-scalar", [(4, 5)], lambda x: th().where(x > 0, x, 0.0), lambda x: tg.where(x > 0, x, 0.0))
op("sign", [(4, 5)], lambda x: x.sign())
op("floor", [(4, 5)], lambda x: x.floor())
op("ceil", [(4, 5)], lambda x: x.ceil())
op("trunc", [(4, 5)], lambda x: x.trunc())
op("round", [(4, 5)], lambda x: x.round())
op("floordiv", [(4, 5), (4, 5)], lambda x, y: x // y, low=0.5, grad=False)   # torch: no backward
op("mod", [(4, 5)], lambda x: x % 0.7)
op("rmod", [(4, 5)], lambda x: 5.0 % x, low=0.5, grad=False)   # torch: no backward
op("mod-neg", [(4, 5), (4, 5)], lambda x, y: x % y, low=0.5)
op("mod-neg-divisor", [(4, 5)], lambda x: x % -0.7)
op("gelu", [(45, 65)], lambda x: th().nn.functional.gelu(x), lambda x: F.gelu(x))
op("gelu-tanh", [(45, 65)], lambda x: th().nn.functional.gelu(x, approximate="tanh"),
   lambda x: F.gelu(x, approximate="tanh"))
op("silu", [(45, 65)], lambda x: th().nn.functional.silu(x), lambda x: F.silu(x))
op("elu", [(45, 65)], lambda x: th().nn.functional.elu(x, 0.5), lambda x: F.elu(x, 0.5))
op("leaky_relu", [(45, 65)], lambda x: th().nn.functional.leaky_relu(x, 0.2),
   lambda x: F.leaky_relu(x, 0.2))
op("softplus", [(45, 65)], lambda x: th().nn.functional.softplus(x, beta=2, threshold=3),
   lambda x: F.softplus(x, beta=2, threshold=3), low=-5, high=5)
op("mish", [(45, 65)], lambda x: th().nn.functional.mish(x), lambda x: F.mish(x))
op("hardswish", [(45, 65)], lambda x: th().nn.functional.hardswish(x), lambda x: F.hardswish(x),
   low=-5, high=5)
op("hardtanh", [(45, 65)], lambda x: th().nn.functional.hardtanh(x, -0.5, 0.5),
   lambda x: F.hardtanh(x, -0.5, 0.5))
op("relu6", [(45, 65)], lambda x: th().nn.functional.relu6(x), lambda x: F.relu6(x), low=-8, high=8)
op("logsigmoid", [(45, 65)], lambda x: th().nn.functional.logsigmoid(x), lambda x: F.logsigmoid(x),
   low=-30, high=30)
op("F.sigmoid", [(4, 5)], lambda x: th().sigmoid(x), lambda x: F.sigmoid(x))
op("F.tanh", [(4, 5)], lambda x: th().tanh(x), lambda x: F.tanh(x))
op("F.relu", [(4, 5)], lambda x: th().nn.functional.relu(x), lambda x: F.relu(x))

# broadcasting, all directions
op("bcast-add-row", [(45, 65), (65,)], lambda x, y: x + y)
op("bcast-add-col", [(45, 65), (45, 1)], lambda x, y: x + y)
op("bcast-add-left", [(65,), (45, 65)], lambda x, y: x + y)
op("bcast-mul-both", [(45, 1), (1, 65)], lambda x, y: x * y)
op("bcast-sub-3d", [(3, 1, 5), (4, 1)], lambda x, y: x - y)
op("bcast-div-3d", [(4, 1), (3, 1, 5)], lambda x, y: x / y, low=0.5)
op("bcast-pow", [(3, 4), (4,)], lambda x, y: x ** y, low=0.5)
op("bcast-0d", [(), (3, 4)], lambda x, y: x * y)
op("bcast-0d-right", [(3, 4), ()], lambda x, y: x - y)
op("bcast-maximum", [(3, 1), (1, 4)], lambda x, y: x.maximum(y))

# reductions
for name in ("sum", "mean"):
    op(f"{name}", [(45, 3)], lambda x, n=name: getattr(x, n)())
    op(f"{name}-dim0", [(45, 3)], lambda x, n=name: getattr(x, n)(dim=0))
    op(f"{name}-axis1", [(45, 3)], lambda x, n=name: getattr(x, n)(1))
    op(f"{name}-neg", [(3, 4, 5)], lambda x, n=name: getattr(x, n)(-1))
    op(f"{name}-tuple", [(3, 4, 5)], lambda x, n=name: getattr(x, n)((0, 2)))
    op(f"{name}-neg-tuple-keepdim", [(3, 4, 5)],
       lambda x, n=name: getattr(x, n)((-1, -3), keepdim=True))
    op(f"{name}-keepdim", [(3, 4, 5)], lambda x, n=name: getattr(x, n)(dim=1, keepdim=True))
    op(f"{name}-0d", [()], lambda x, n=name: getattr(x, n)())
for name in ("amax", "amin"):
    op(f"{name}", [(3, 4, 5)], lambda x, n=name: getattr(x, n)())
    op(f"{name}-dim", [(3, 4, 5)], lambda x, n=name: getattr(x, n)(dim=1))
    op(f"{name}-tuple-keepdim", [(3, 4, 5)],
       lambda x, n=name: getattr(x, n)(dim=(0, -1), keepdim=True))
op("max-all", [(3, 4, 5)], lambda x: x.max())
op("min-all", [(3, 4, 5)], lambda x: x.min())
op("max-dim", [(3, 4, 5)], lambda x: x.max(dim=1))
op("max-dim-pos", [(3, 4, 5)], lambda x: x.max(2))
op("max-dim-neg-keepdim", [(3, 4, 5)], lambda x: x.max(-1, keepdim=True))
op("min-dim", [(3, 4, 5)], lambda x: x.min(dim=0))
op("min-dim-pos", [(3, 4, 5)], lambda x: x.min(1, True))
op("max-values", [(3, 4, 5)], lambda x: x.max(dim=1).values)
op("max-ties-all", [(3, 4)], lambda x: (x * 0).max(), arrays=[np.zeros((3, 4))])
op("relu-at-0", [(3, 4)], lambda x: x.relu(), arrays=[np.zeros((3, 4))])
op("abs-at-0", [(3, 4)], lambda x: x.abs(), arrays=[np.zeros((3, 4))])
op("clamp-at-ends", [(4,)], lambda x: x.clamp(-1.0, 1.0), arrays=[np.array([-1.0, 1.0, 0.0, 2.0])])
op("sqrt-at-0", [(2,)], lambda x: (x + 1).sqrt(), arrays=[np.array([-1.0, 3.0])],   # inf, as torch
   marks=pytest.mark.filterwarnings("ignore:sqrt backward"))   # we also warn
for name in ("var", "std"):
    op(f"{name}", [(45, 3)], lambda x, n=name: getattr(x, n)())
    op(f"{name}-dim", [(45, 3)], lambda x, n=name: getattr(x, n)(0))
    op(f"{name}-dim-neg-keepdim", [(3, 4, 5)], lambda x, n=name: getattr(x, n)(-1, keepdim=True))
    op(f"{name}-tuple", [(3, 4, 5)], lambda x, n=name: getattr(x, n)((0, 2)))
    op(f"{name}-unbiased-false", [(3, 4, 5)],
       lambda x, n=name: getattr(x, n)(1, unbiased=False))
    op(f"{name}-correction-0", [(3, 4, 5)], lambda x, n=name: getattr(x, n)(dim=1, correction=0))
    op(f"{name}-correction-2", [(3, 4, 5)], lambda x, n=name: getattr(x, n)(dim=1, correction=2))
    op(f"{name}-dim-positional-keepdim", [(3, 4, 5)],
       lambda x, n=name: getattr(x, n)(1, keepdim=True))
for name in ("sum", "mean", "amax", "amin", "var", "std"):    # torch: dim=() is every axis
    smooth = name not in ("var", "std")   # torch's var/std backward reads dim=() as no axis: inf
    op(f"{name}-dim-empty-tuple", [(3, 4)], lambda x, n=name: getattr(x, n)(dim=()), grad=smooth)
    op(f"{name}-dim-empty-list-keepdim", [(3, 4)],
       lambda x, n=name: getattr(x, n)(dim=[], keepdim=True), grad=smooth)
    op(f"{name}-dim-None-same-grad", [(3, 4)], lambda x, n=name: getattr(x, n)(dim=None))
op("tg.sum-dim-empty", [(3, 4)], lambda x: th().sum(x, ()), lambda x: tg.sum(x, ()))
op("tg.mean-dim-empty", [(3, 4)], lambda x: th().mean(x, []), lambda x: tg.mean(x, []))
op("any-dim-empty", [(3, 4)], lambda x: (x > 0).any(dim=()), grad=False)
op("squeeze-dim-empty", [(3, 1)], lambda x: x.squeeze(dim=()))
op("add-alpha", [(3, 4), (4,)], lambda x, y: x.add(y, alpha=2.5))
op("sub-alpha", [(3, 4), (3, 4)], lambda x, y: x.sub(y, alpha=-0.5))
op("tg.add-alpha", [(3, 4), (3, 4)], lambda x, y: th().add(x, y, alpha=3),
   lambda x, y: tg.add(x, y, alpha=3))
op("tg.sub-alpha", [(3, 4), (3, 4)], lambda x, y: th().sub(x, y, alpha=3),
   lambda x, y: tg.sub(x, y, alpha=3))
op("prod", [(3, 4)], lambda x: x.prod())
op("prod-dim", [(3, 4)], lambda x: x.prod(1))
op("prod-dim-keepdim", [(3, 4)], lambda x: x.prod(0, keepdim=True))
op("logsumexp", [(3, 4)], lambda x: x.logsumexp(1))
op("logsumexp-tuple", [(3, 4, 5)], lambda x: x.logsumexp((0, 2)))
op("cumsum", [(3, 4)], lambda x: x.cumsum(1))
op("cumsum-neg", [(3, 4)], lambda x: x.cumsum(dim=-2))
op("sum-chain", [(3, 4, 5)], lambda x: x.sum(0).sum(-1))
op("mean-of-square", [(3, 4)], lambda x: (x * x).mean(1))
op("norm-like", [(3, 4)], lambda x: (x ** 2).sum(1).sqrt())

# matmul
op("matmul", [(45, 65), (65, 33)], lambda x, y: x @ y)
op("matmul-method", [(4, 6), (6, 3)], lambda x, y: x.matmul(y))
op("mm", [(4, 6), (6, 3)], lambda x, y: x.mm(y))
op("dot", [(6,), (6,)], lambda x, y: x.dot(y))
op("matmul-1d-1d", [(6,), (6,)], lambda x, y: x @ y)
op("matmul-1d-2d", [(6,), (6, 3)], lambda x, y: x @ y)
op("matmul-2d-1d", [(4, 6), (6,)], lambda x, y: x @ y)
op("matmul-batched", [(2, 4, 6), (2, 6, 3)], lambda x, y: x @ y)
op("matmul-batched-bcast", [(2, 4, 6), (6, 3)], lambda x, y: x @ y)
op("matmul-batched-bcast-left", [(4, 6), (2, 6, 3)], lambda x, y: x @ y)
op("matmul-batched-4d-bcast", [(2, 1, 4, 6), (3, 6, 5)], lambda x, y: x @ y)
op("matmul-1d-batched", [(6,), (2, 6, 3)], lambda x, y: x @ y)
op("matmul-batched-1d", [(2, 4, 6), (6,)], lambda x, y: x @ y)
op("tg.matmul", [(4, 6), (6, 3)], lambda x, y: th().matmul(x, y), lambda x, y: tg.matmul(x, y))

# movement
op("reshape", [(4, 3, 6, 6)], lambda x: x.reshape((-1, 3, 6, 6)))
op("reshape-varargs", [(4, 3, 6, 6)], lambda x: x.reshape(12, -1))
op("reshape-0d", [(1,)], lambda x: x.reshape(()))
op("view", [(4, 3, 6, 6)], lambda x: x.view(4, 3, 36))
op("view-tuple", [(4, 3, 6, 6)], lambda x: x.view((4, -1)))
op("transpose-2d", [(3, 4)], lambda x: x.transpose(0, 1))
op("transpose-neg", [(3, 4, 5)], lambda x: x.transpose(-1, 0))
op("transpose-same", [(3, 4, 5)], lambda x: x.transpose(1, 1))
op("T", [(3, 4)], lambda x: x.T)
op("t", [(3, 4)], lambda x: x.t())
op("permute", [(1, 2, 3, 4)], lambda x: x.permute((3, 0, 2, 1)))
op("permute-varargs-neg", [(1, 2, 3, 4)], lambda x: x.permute(-1, 0, 2, 1))
op("flatten", [(2, 3, 4)], lambda x: x.flatten())
op("flatten-1", [(2, 3, 4, 5)], lambda x: x.flatten(1))
op("flatten-range", [(2, 3, 4, 5)], lambda x: x.flatten(1, 2))
op("flatten-neg", [(2, 3, 4, 5)], lambda x: x.flatten(-3, -2))
op("flatten-0d", [()], lambda x: x.flatten())
op("squeeze", [(3, 1, 4, 1)], lambda x: x.squeeze())
op("squeeze-dim", [(3, 1, 4, 1)], lambda x: x.squeeze(1))
op("squeeze-neg", [(3, 1, 4, 1)], lambda x: x.squeeze(-1))
op("squeeze-not-one", [(3, 1, 4, 1)], lambda x: x.squeeze(0))
op("unsqueeze", [(3, 4)], lambda x: x.unsqueeze(0))
op("unsqueeze-neg", [(3, 4)], lambda x: x.unsqueeze(-1))
op("unsqueeze-neg2", [(3, 4)], lambda x: x.unsqueeze(-2))
op("unsqueeze-mid", [(3, 4)], lambda x: x.unsqueeze(1))
op("expand", [(3, 1)], lambda x: x.expand(3, 4))
op("expand-neg", [(3, 1)], lambda x: x.expand(2, -1, 4))
op("expand-tuple", [(1, 4)], lambda x: x.expand((3, 4)))
op("broadcast_to", [(3, 1)], lambda x: x.broadcast_to((2, 3, 4)))
op("flip", [(3, 4)], lambda x: x.flip(0))
op("flip-list", [(3, 4)], lambda x: x.flip([0, 1]))
op("repeat", [(3, 4)], lambda x: x.repeat(2, 1))
op("repeat-newdims", [(3, 4)], lambda x: x.repeat(2, 1, 3))
op("unflatten", [(3, 12)], lambda x: x.unflatten(1, (3, 4)))
op("chunk", [(6, 4)], lambda x: x.chunk(3)[1])
op("split", [(6, 4)], lambda x: x.split(2, dim=1)[1])
op("split-sections", [(6, 4)], lambda x: x.split([1, 5])[1])
op("tril", [(4, 4)], lambda x: x.tril())
op("triu-1", [(4, 5)], lambda x: x.triu(1))
op("tril-neg", [(4, 5)], lambda x: x.tril(-1))
op("pad-F", [(1, 2, 3, 4)], lambda x: th().nn.functional.pad(x, (1, 2, 0, 1)),
   lambda x: F.pad(x, (1, 2, 0, 1)))
op("pad-F-value", [(2, 3)], lambda x: th().nn.functional.pad(x, (1, 1), value=2.0),
   lambda x: F.pad(x, (1, 1), value=2.0))
op("pad-F-crop", [(2, 5)], lambda x: th().nn.functional.pad(x, (-1, 1)),
   lambda x: F.pad(x, (-1, 1)))

# indexing and slicing
op("getitem-int", [(3, 4)], lambda x: x[1])
op("getitem-neg-int", [(3, 4)], lambda x: x[-1])
op("getitem-slice", [(5, 4)], lambda x: x[1:3])
op("getitem-slice-step", [(7, 4)], lambda x: x[::2, 1:])
op("getitem-slice-neg-stop", [(7, 4)], lambda x: x[:-2, -3:])
op("getitem-tuple", [(3, 4, 5)], lambda x: x[1, :, 2])
op("getitem-ellipsis", [(3, 4, 5)], lambda x: x[..., 1])
op("getitem-none", [(3, 4)], lambda x: x[None, :, None])
op("getitem-int-array", [(5, 4)], lambda x: x[[0, 2, 2, 4]])
op("getitem-int-array-tensor", [(5, 4)], lambda x: x[th().tensor([0, 2, 2])]
   if not isinstance(x, Tensor) else x[Tensor(np.array([0, 2, 2]))])
op("getitem-neg-int-array", [(5, 4)], lambda x: x[[-1, 0, -1]])
op("getitem-2-arrays", [(5, 4)], lambda x: x[[0, 1, 4], [3, 3, 0]])
op("getitem-array-slice", [(5, 4)], lambda x: x[1:, [0, 3]])
op("getitem-bool", [(5, 4)], lambda x: x[x > 0])
op("getitem-bool-rows", [(5, 4)], lambda x: x[np.array([True, False, True, True, False])]
   if isinstance(x, Tensor) else x[th().tensor([True, False, True, True, False])])
op("getitem-2d-int-array", [(5, 4)], lambda x: x[[[0, 1], [4, 4]]] if isinstance(x, Tensor)
   else x[th().tensor([[0, 1], [4, 4]])])
for index in [(1, slice(None), [0, 2, 2]), (-1, slice(1, 3), [-1, 0]), (1, None, [0, 2]),
              (1, Ellipsis, [[0, 1], [2, 3]]), (slice(None), [0, 1], 1), ([0, 1], slice(None), 2),
              ([1, 0], 1, [2, 5]), (0, slice(None), [True] * 4 + [False] * 2),
              (2, [True, False, True, False, True], 3), (Ellipsis, 1, [0, 0, 3])]:
    op(f"getitem-ints-with-arrays-{index}", [(4, 5, 6)],       # torch: the ints select first
       lambda x, i=index: x[tuple(th().tensor(j) if isinstance(j, list) else j for j in i)]
       if not isinstance(x, Tensor) else x[i])
op("gather", [(3, 4)], lambda x: x.gather(1, th().tensor([[0, 0], [1, 3], [2, 2]]))
   if not isinstance(x, Tensor) else x.gather(1, np.array([[0, 0], [1, 3], [2, 2]])))
op("masked_fill", [(3, 4)], lambda x: x.masked_fill(x > 0.5, -1.0))

# joining
op("cat", [(3, 4), (2, 4)], lambda x, y: th().cat([x, y]), lambda x, y: tg.cat([x, y]))
op("cat-dim1", [(3, 4), (3, 2)], lambda x, y: th().cat([x, y], dim=1),
   lambda x, y: tg.cat([x, y], dim=1))
op("cat-neg", [(3, 4), (3, 2)], lambda x, y: th().cat((x, y), -1), lambda x, y: tg.cat((x, y), -1))
op("cat-three", [(3, 4), (1, 4), (2, 4)], lambda x, y, z: th().cat([x, y, z]),
   lambda x, y, z: tg.cat([x, y, z]))
op("concatenate", [(3, 4), (3, 2)], lambda x, y: th().concatenate([x, y], 1),
   lambda x, y: tg.concatenate([x, y], 1))
op("stack", [(3, 4), (3, 4)], lambda x, y: th().stack([x, y]), lambda x, y: tg.stack([x, y]))
op("stack-dim1", [(3, 4), (3, 4)], lambda x, y: th().stack([x, y], dim=1),
   lambda x, y: tg.stack([x, y], dim=1))
op("stack-neg", [(3, 4), (3, 4)], lambda x, y: th().stack([x, y], -1),
   lambda x, y: tg.stack([x, y], -1))

# softmax family
op("softmax", [(45, 65)], lambda x: x.softmax(-1))
op("softmax-dim0", [(45, 65)], lambda x: x.softmax(0))
op("softmax-F", [(4, 5, 6)], lambda x: th().nn.functional.softmax(x, dim=1),
   lambda x: F.softmax(x, dim=1))
op("log_softmax", [(45, 65)], lambda x: x.log_softmax(-1))
op("log_softmax-F", [(4, 5, 6)], lambda x: th().nn.functional.log_softmax(x, dim=1),
   lambda x: F.log_softmax(x, dim=1))
op("log_softmax-big", [(4, 5)], lambda x: th().nn.functional.log_softmax(x * 100, dim=1),
   lambda x: F.log_softmax(x * 100, dim=1))
op("softmin", [(4, 5)], lambda x: th().nn.functional.softmin(x, dim=1),
   lambda x: F.softmin(x, dim=1))


def torch_or(x):
    return th()


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_over_an_empty_dim_tuple_are_over_every_axis(name):
    """torch's forward reads dim=() as every axis (its backward, inf, does not); so do we, and
    our gradient is the full reduction's."""
    a = np.random.default_rng(2).standard_normal((3, 4))
    x, y = Tensor(a, requires_grad=True), Tensor(a, requires_grad=True)
    getattr(x, name)(dim=()).backward()
    getattr(y, name)().backward()
    assert np.isfinite(x.grad).all() and np.allclose(x.grad, y.grad, rtol=1e-12)


@pytest.mark.parametrize("shapes, torch_fn, our_fn, kw", OPS)
def test_op(shapes, torch_fn, our_fn, kw, torch):
    check(shapes, torch_fn, our_fn, **kw)


# --- losses, as PyTorch's nn tests call them -----------------------------------------------------

def tF():
    return th().nn.functional


def _t(a):
    return th().tensor(a)


LABELS = np.array([0, 2, 1, 2, 0, 1])
IGNORED = np.array([0, -100, 1, 2, -100, 1])
IGNORED_3 = np.array([0, 3, 1, 2, 3, 1])
W = np.array([0.2, 1.0, 2.5])
LOSSES = []


def loss(id, shapes, torch_fn, our_fn, **kw):
    LOSSES.append(pytest.param(shapes, torch_fn, our_fn, kw, id=id))


for red in ("mean", "sum", "none"):
    loss(f"cross_entropy-{red}", [(6, 3)],
         lambda x, r=red: tF().cross_entropy(x, _t(LABELS), reduction=r),
         lambda x, r=red: F.cross_entropy(x, LABELS, reduction=r))
    loss(f"cross_entropy-weight-{red}", [(6, 3)],
         lambda x, r=red: tF().cross_entropy(x, _t(LABELS), weight=_t(W), reduction=r),
         lambda x, r=red: F.cross_entropy(x, LABELS, weight=W, reduction=r))
    loss(f"cross_entropy-smoothing-{red}", [(6, 3)],
         lambda x, r=red: tF().cross_entropy(x, _t(LABELS), reduction=r, label_smoothing=0.2),
         lambda x, r=red: F.cross_entropy(x, LABELS, reduction=r, label_smoothing=0.2))
    loss(f"cross_entropy-smoothing-weight-{red}", [(6, 3)],
         lambda x, r=red: tF().cross_entropy(x, _t(LABELS), weight=_t(W), reduction=r,
                                             label_smoothing=0.3),
         lambda x, r=red: F.cross_entropy(x, LABELS, weight=W, reduction=r, label_smoothing=0.3))
    loss(f"cross_entropy-ignore-{red}", [(6, 3)],
         lambda x, r=red: tF().cross_entropy(x, _t(IGNORED), reduction=r),
         lambda x, r=red: F.cross_entropy(x, IGNORED, reduction=r))
    loss(f"cross_entropy-ignore3-smoothing-weight-{red}", [(6, 3)],
         lambda x, r=red: tF().cross_entropy(x, _t(IGNORED_3), weight=_t(W), ignore_index=3,
                                             reduction=r, label_smoothing=0.1),
         lambda x, r=red: F.cross_entropy(x, IGNORED_3, weight=W, ignore_index=3, reduction=r,
                                          label_smoothing=0.1))
    loss(f"cross_entropy-probs-{red}", [(6, 3), (6, 3)],
         lambda x, p, r=red: tF().cross_entropy(x, p.softmax(1), reduction=r),
         lambda x, p, r=red: F.cross_entropy(x, p.softmax(1), reduction=r))
    loss(f"cross_entropy-probs-smoothing-weight-{red}", [(6, 3), (6, 3)],
         lambda x, p, r=red: tF().cross_entropy(x, p.softmax(1), weight=_t(W), reduction=r,
                                                label_smoothing=0.25),
         lambda x, p, r=red: F.cross_entropy(x, p.softmax(1), weight=W, reduction=r,
                                             label_smoothing=0.25))
    loss(f"nll_loss-{red}", [(6, 3)],
         lambda x, r=red: tF().nll_loss(x.log_softmax(1), _t(LABELS), reduction=r),
         lambda x, r=red: F.nll_loss(x.log_softmax(1), LABELS, reduction=r))
    loss(f"nll_loss-weight-ignore-{red}", [(6, 3)],
         lambda x, r=red: tF().nll_loss(x, _t(IGNORED), weight=_t(W), reduction=r),
         lambda x, r=red: F.nll_loss(x, IGNORED, weight=W, reduction=r))
    loss(f"mse_loss-{red}", [(6, 3), (6, 3)],
         lambda x, y, r=red: tF().mse_loss(x, y, reduction=r),
         lambda x, y, r=red: F.mse_loss(x, y, reduction=r))
    loss(f"l1_loss-{red}", [(6, 3), (6, 3)],
         lambda x, y, r=red: tF().l1_loss(x, y, reduction=r),
         lambda x, y, r=red: F.l1_loss(x, y, reduction=r))
    loss(f"bce-{red}", [(6, 3), (6, 3)],
         lambda x, y, r=red: tF().binary_cross_entropy(x.sigmoid(), y.sigmoid(), reduction=r),
         lambda x, y, r=red: F.binary_cross_entropy(x.sigmoid(), y.sigmoid(), reduction=r))
    loss(f"bce_logits-pos_weight-{red}", [(6, 3), (6, 3)],
         lambda x, y, r=red: tF().binary_cross_entropy_with_logits(
             x, y.sigmoid(), reduction=r, pos_weight=_t(W)),
         lambda x, y, r=red: F.binary_cross_entropy_with_logits(
             x, y.sigmoid(), reduction=r, pos_weight=W))
loss("cross_entropy-1d", [(3,)], lambda x: tF().cross_entropy(x, _t(np.array(2))),
     lambda x: F.cross_entropy(x, np.array(2)))
loss("cross_entropy-nd", [(2, 3, 4)],
     lambda x: tF().cross_entropy(x, _t(np.array([[0, 1, 2, 0], [2, 2, 1, 0]]))),
     lambda x: F.cross_entropy(x, np.array([[0, 1, 2, 0], [2, 2, 1, 0]])))
loss("cross_entropy-tensor-target", [(6, 3)], lambda x: tF().cross_entropy(x, _t(LABELS)),
     lambda x: F.cross_entropy(x, Tensor(LABELS)))
loss("mse_loss-bcast-same", [(6, 3), (6, 3)], lambda x, y: th().nn.MSELoss()(x, y),
     lambda x, y: nn.MSELoss()(x, y))
loss("CrossEntropyLoss", [(6, 3)],
     lambda x: th().nn.CrossEntropyLoss(weight=_t(W), label_smoothing=0.1)(x, _t(LABELS)),
     lambda x: nn.CrossEntropyLoss(weight=W, label_smoothing=0.1)(x, LABELS))
loss("NLLLoss-sum", [(6, 3)], lambda x: th().nn.NLLLoss(reduction="sum")(x, _t(LABELS)),
     lambda x: nn.NLLLoss(reduction="sum")(x, LABELS))


@pytest.mark.parametrize("shapes, torch_fn, our_fn, kw", LOSSES)
def test_loss(shapes, torch_fn, our_fn, kw, torch):
    check(shapes, torch_fn, our_fn, **kw)


# --- conv, pooling, linear, dropout --------------------------------------------------------------

LAYERS = []


def layer(id, shapes, torch_fn, our_fn, **kw):
    LAYERS.append(pytest.param(shapes, torch_fn, our_fn, kw, id=id))


for kw in (dict(), dict(stride=2), dict(padding=1), dict(padding=(2, 0)), dict(dilation=2),
           dict(stride=(2, 1), padding=1, dilation=(1, 2)), dict(padding="same"),
           dict(padding="valid"), dict(stride=3, padding=2)):
    layer(f"conv2d-{kw}", [(2, 3, 9, 8), (4, 3, 3, 3), (4,)],
          lambda x, w, b, kw=kw: tF().conv2d(x, w, b, **kw),
          lambda x, w, b, kw=kw: F.conv2d(x, w, b, **kw))
layer("conv2d-no-bias", [(2, 3, 7, 7), (4, 3, 3, 2)], lambda x, w: tF().conv2d(x, w),
      lambda x, w: F.conv2d(x, w))
layer("conv2d-bias-None-kw", [(2, 3, 7, 7), (4, 3, 3, 2)],
      lambda x, w: tF().conv2d(x, w, bias=None, padding=1),
      lambda x, w: F.conv2d(x, w, bias=None, padding=1))
layer("conv2d-groups", [(2, 4, 7, 7), (6, 2, 3, 3), (6,)],
      lambda x, w, b: tF().conv2d(x, w, b, groups=2, padding=1),
      lambda x, w, b: F.conv2d(x, w, b, groups=2, padding=1))
layer("conv2d-depthwise", [(2, 3, 7, 7), (3, 1, 3, 3)],
      lambda x, w: tF().conv2d(x, w, groups=3, stride=2),
      lambda x, w: F.conv2d(x, w, groups=3, stride=2))
layer("conv2d-1x1", [(2, 3, 5, 5), (4, 3, 1, 1)], lambda x, w: tF().conv2d(x, w),
      lambda x, w: F.conv2d(x, w))
layer("conv2d-unbatched", [(3, 7, 7), (4, 3, 3, 3)], lambda x, w: tF().conv2d(x, w),
      lambda x, w: F.conv2d(x, w))
layer("conv1d", [(2, 3, 11), (4, 3, 3), (4,)],
      lambda x, w, b: tF().conv1d(x, w, b, stride=2, padding=1, dilation=2),
      lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2))
layer("conv_transpose2d", [(2, 3, 5, 5), (3, 4, 3, 3), (4,)],
      lambda x, w, b: tF().conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
      lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1))
for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1), dict(kernel_size=(2, 3)),
           dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, dilation=2),
           dict(kernel_size=3, stride=2, ceil_mode=True),
           dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)):
    layer(f"max_pool2d-{kw}", [(2, 3, 9, 8)], lambda x, kw=kw: tF().max_pool2d(x, **kw),
          lambda x, kw=kw: F.max_pool2d(x, **kw))
for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1), dict(kernel_size=(2, 3)),
           dict(kernel_size=3, stride=2, padding=1),
           dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
           dict(kernel_size=3, stride=2, ceil_mode=True),
           dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
           dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
           dict(kernel_size=2, divisor_override=3)):
    layer(f"avg_pool2d-{kw}", [(2, 3, 9, 8)], lambda x, kw=kw: tF().avg_pool2d(x, **kw),
          lambda x, kw=kw: F.avg_pool2d(x, **kw))
layer("max_pool2d-indices", [(2, 3, 6, 6)],
      lambda x: tF().max_pool2d(x, 2, return_indices=True),
      lambda x: F.max_pool2d(x, 2, return_indices=True))
layer("max_pool2d-unbatched", [(3, 6, 6)], lambda x: tF().max_pool2d(x, 2),
      lambda x: F.max_pool2d(x, 2))
layer("max_pool1d", [(2, 3, 9)], lambda x: tF().max_pool1d(x, 3, 2, 1),
      lambda x: F.max_pool1d(x, 3, 2, 1))
layer("avg_pool1d", [(2, 3, 9)], lambda x: tF().avg_pool1d(x, 3, 2, 1),
      lambda x: F.avg_pool1d(x, 3, 2, 1))
layer("adaptive_avg_pool2d", [(2, 3, 9, 7)], lambda x: tF().adaptive_avg_pool2d(x, (4, 3)),
      lambda x: F.adaptive_avg_pool2d(x, (4, 3)))
layer("adaptive_avg_pool2d-1", [(2, 3, 9, 7)], lambda x: tF().adaptive_avg_pool2d(x, 1),
      lambda x: F.adaptive_avg_pool2d(x, 1))
layer("linear", [(5, 4), (3, 4), (3,)], lambda x, w, b: tF().linear(x, w, b),
      lambda x, w, b: F.linear(x, w, b))
layer("linear-no-bias-3d", [(2, 5, 4), (3, 4)], lambda x, w: tF().linear(x, w),
      lambda x, w: F.linear(x, w))
layer("linear-1d", [(4,), (3, 4), (3,)], lambda x, w, b: tF().linear(x, w, b),
      lambda x, w, b: F.linear(x, w, b))
layer("dropout-eval", [(5, 4)], lambda x: tF().dropout(x, 0.5, training=False),
      lambda x: F.dropout(x, 0.5, training=False))
layer("dropout-p0", [(5, 4)], lambda x: tF().dropout(x, 0.0), lambda x: F.dropout(x, 0.0))
layer("layer_norm", [(4, 5, 6), (5, 6), (5, 6)],
      lambda x, w, b: tF().layer_norm(x, (5, 6), w, b), lambda x, w, b: F.layer_norm(x, (5, 6), w, b))
layer("group_norm", [(4, 6, 5), (6,), (6,)], lambda x, w, b: tF().group_norm(x, 3, w, b),
      lambda x, w, b: F.group_norm(x, 3, w, b))
layer("instance_norm", [(4, 3, 5, 5)], lambda x: tF().instance_norm(x),
      lambda x: F.instance_norm(x))
layer("batch_norm-F-train", [(8, 3, 4), (3,), (3,)],
      lambda x, w, b: tF().batch_norm(x, None, None, w, b, training=True),
      lambda x, w, b: F.batch_norm(x, w, b, training=True))
layer("batch_norm-F-train-torch-kw", [(8, 3), (3,), (3,)],
      lambda x, w, b: tF().batch_norm(x, None, None, weight=w, bias=b, training=True, eps=1e-3),
      lambda x, w, b: F.batch_norm(input=x, running_mean=None, running_var=None, weight=w,
                                   bias=b, training=True, eps=1e-3))
layer("batch_norm-F-train-no-affine", [(8, 3, 2, 2)],
      lambda x: tF().batch_norm(x, None, None, training=True),
      lambda x: F.batch_norm(x, training=True))
layer("batch_norm-F-fused", [(8, 3, 2, 2), (3,), (3,)],
      lambda x, w, b: tF().batch_norm(x, None, None, w, b, training=True),
      lambda x, w, b: F.batch_norm(x, w, b, training=True, fused=True))
layer("batch_norm-F-eval", [(8, 3), (3,), (3,)],
      lambda x, w, b: tF().batch_norm(x, _t(np.arange(3.0)), _t(np.arange(1.0, 4.0)), w, b,
                                      training=False),
      lambda x, w, b: F.batch_norm(x, w, b, running_mean=np.arange(3.0),
                                   running_var=np.arange(1.0, 4.0), training=False))


@pytest.mark.parametrize("shapes, torch_fn, our_fn, kw", LAYERS)
def test_layer(shapes, torch_fn, our_fn, kw, torch):
    check(shapes, torch_fn, our_fn, **kw)


# --- modules: Linear, Conv2d, BatchNorm over several steps ---------------------------------------

def _copy_params(ours, theirs):
    torch = th()
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname
            tp.copy_(torch.tensor(p.data))


def _same_grads(ours, theirs):
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)


def _same_state(ours, theirs):
    tstate = theirs.state_dict()
    assert list(ours.state_dict()) == list(tstate)
    for name, a in ours.state_dict().items():
        np.testing.assert_allclose(np.asarray(a), tstate[name].numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=name)


BN_CASES = [
    ("BatchNorm1d", (16, 5), dict()),
    ("BatchNorm1d", (16, 5, 3), dict(momentum=0.3)),
    ("BatchNorm1d", (16, 5), dict(momentum=None)),
    ("BatchNorm1d", (16, 5), dict(affine=False, eps=1e-3)),
    ("BatchNorm2d", (4, 3, 5, 5), dict()),
    ("BatchNorm2d", (4, 3, 5, 5), dict(momentum=None)),
    ("BatchNorm2d", (4, 3, 5, 5), dict(fused=True)),
    ("BatchNorm2d", (4, 3, 5, 5), dict(track_running_stats=False)),
    ("BatchNorm3d", (2, 3, 2, 3, 2), dict(momentum=0.5)),
]


@pytest.mark.parametrize("cls, shape, kw", BN_CASES, ids=[f"{c}-{s}-{k}" for c, s, k in BN_CASES])
def test_batchnorm_module_over_steps(cls, shape, kw, torch):
    """Train three steps (values, input and parameter grads, running stats, num_batches_tracked),
    then eval, then train again, as torch.nn.BatchNorm*d."""
    fused = kw.pop("fused", False)
    ours = getattr(nn, cls)(shape[1], fused=fused, **kw)
    theirs = getattr(torch.nn, cls)(shape[1], **kw).double()
    rng = np.random.default_rng(3)
    if ours.weight is not None:
        ours.weight.data[...] = rng.uniform(0.5, 1.5, shape[1])
        ours.bias.data[...] = rng.standard_normal(shape[1])
        _copy_params(ours, theirs)
    for step, mode in enumerate(["train", "train", "train", "eval", "train", "eval"]):
        ours.train(mode == "train")
        theirs.train(mode == "train")
        a = rng.standard_normal(shape) * (step + 1) + step
        up = rng.standard_normal(shape)
        x, tx = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        ours.zero_grad()
        theirs.zero_grad()
        out, tout = ours(x), theirs(tx)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"step {step} ({mode}) forward")
        (out * Tensor(up)).sum().backward()
        (tout * torch.tensor(up)).sum().backward()
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6, atol=ATOL,
                                   err_msg=f"step {step} ({mode}) input grad")
        if ours.weight is not None:
            _same_grads(ours, theirs)
        _same_state(ours, theirs)


def test_linear_and_conv_modules_match_torch(torch):
    rng = np.random.default_rng(4)
    for ours, theirs, shape in (
            (nn.Linear(4, 3), torch.nn.Linear(4, 3), (5, 4)),
            (nn.Linear(4, 3, bias=False), torch.nn.Linear(4, 3, bias=False), (2, 5, 4)),
            (nn.Conv2d(3, 4, 3, stride=2, padding=1), torch.nn.Conv2d(3, 4, 3, stride=2, padding=1),
             (2, 3, 7, 7)),
            (nn.Conv2d(4, 4, (3, 2), groups=2, bias=False, dilation=(1, 2)),
             torch.nn.Conv2d(4, 4, (3, 2), groups=2, bias=False, dilation=(1, 2)), (2, 4, 6, 7))):
        theirs = theirs.double()
        assert [(n, p.shape) for n, p in ours.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        _copy_params(ours, theirs)
        a = rng.standard_normal(shape)
        out, tout = ours(Tensor(a)), theirs(torch.tensor(a))
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=RTOL, atol=ATOL)
        up = rng.standard_normal(out.shape)
        (out * Tensor(up)).sum().backward()
        (tout * torch.tensor(up)).sum().backward()
        _same_grads(ours, theirs)


def test_module_defaults_match_torch(torch):
    """The default init's scale: weights drawn as torch's (kaiming_uniform a=sqrt(5)) bounds."""
    for ours, theirs in ((nn.Linear(40, 30), torch.nn.Linear(40, 30)),
                         (nn.Conv2d(6, 8, 3), torch.nn.Conv2d(6, 8, 3))):
        for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            bound = 1 / np.sqrt(np.prod(p.shape[1:])) if n == "weight" else None
            assert np.abs(p.data).max() <= np.abs(tp.detach().numpy()).max() * 1.5 + 1e-3, n
            if bound is not None:
                assert np.abs(p.data).max() <= bound * 1.0001, n


def test_dropout_module_eval_and_train_scale(torch):
    d = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 50)))
    d.eval()
    assert np.array_equal(d(x).data, x.data)
    d.train()
    out = d(x).data
    assert set(np.unique(out)) <= {0.0, 1 / 0.75}
    assert abs((out == 0).mean() - 0.25) < 0.03


# --- optimizers over several steps, as torch/test/optim ------------------------------------------

OPTIMS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("name, kw", OPTIMS, ids=[f"{n}-{k}" for n, k in OPTIMS])
def test_optimizer_steps_match_torch(name, kw, torch):
    rng = np.random.default_rng(5)
    w0, b0 = rng.standard_normal((3, 4)), rng.standard_normal(3)
    ours = [Tensor(w0.copy(), requires_grad=True), Tensor(b0.copy(), requires_grad=True)]
    theirs = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    opt = getattr(optim, name)(ours, **kw)
    topt = getattr(torch.optim, name)(theirs, **kw)
    for step in range(6):
        x = rng.standard_normal((8, 4))
        y = rng.standard_normal((8, 3))
        opt.zero_grad()
        topt.zero_grad()
        loss = ((Tensor(x) @ ours[0].T + ours[1] - Tensor(y)) ** 2).mean()
        tloss = ((torch.tensor(x) @ theirs[0].T + theirs[1] - torch.tensor(y)) ** 2).mean()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10, err_msg=f"step {step}")
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name} {kw} step {step}")


def test_optimizer_on_a_model_with_param_groups(torch):
    """Two parameter groups with their own lr, a model with BN, five steps: weights, buffers."""
    rng = np.random.default_rng(6)
    ours = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                                 torch.nn.Linear(6, 3)).double()
    _copy_params(ours, theirs)
    opt = optim.SGD([{"params": ours[0].parameters(), "lr": 0.2},
                     {"params": list(ours[1].parameters()) + list(ours[3].parameters())}],
                    lr=0.05, momentum=0.9)
    topt = torch.optim.SGD([{"params": theirs[0].parameters(), "lr": 0.2},
                            {"params": list(theirs[1].parameters()) + list(theirs[3].parameters())}],
                           lr=0.05, momentum=0.9)
    labels = rng.integers(0, 3, 16)
    for step in range(5):
        x = rng.standard_normal((16, 4))
        opt.zero_grad()
        topt.zero_grad()
        loss = F.cross_entropy(ours(Tensor(x)), labels)
        tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(labels))
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-9)
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
    _same_state(ours, theirs)


@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_with_tensor_running_stats_as_torch(training, torch):
    """torch passes running statistics as tensors and updates them in place; so do we."""
    rng = np.random.default_rng(8)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    ours_rm, ours_rv = Tensor(rm.copy()), Tensor(rv.copy())
    t_rm, t_rv = torch.tensor(rm), torch.tensor(rv)
    for step in range(3):
        a = rng.standard_normal((8, 3, 2)) + step
        x, tx = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        out = F.batch_norm(x, None, None, running_mean=ours_rm, running_var=ours_rv,
                           training=training, momentum=0.3)
        tout = torch.nn.functional.batch_norm(tx, t_rm, t_rv, training=training, momentum=0.3)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=RTOL, atol=ATOL)
        up = rng.standard_normal(a.shape)
        (out * Tensor(up)).sum().backward()
        (tout * torch.tensor(up)).sum().backward()
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6, atol=ATOL)
        np.testing.assert_allclose(ours_rm.data, t_rm.numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(ours_rv.data, t_rv.numpy(), rtol=RTOL, atol=ATOL)


def test_backward_takes_torchs_gradient_keyword(torch):
    """y.backward(gradient=g), as torch's autograd tests call it, for a non-scalar y."""
    rng = np.random.default_rng(9)
    a, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (x * x).sigmoid().backward(gradient=Tensor(g))
    (t * t).sigmoid().backward(gradient=torch.tensor(g))
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=RTOL, atol=ATOL)
    y = Tensor(a, requires_grad=True)
    (y * 3).backward(gradient=g)                # an array works as for grad=
    np.testing.assert_allclose(y.grad, 3 * g)


def test_setitem_with_ints_and_arrays_writes_where_torch_does(torch):
    """x[1, :, [0, 2]] = v: v has torch's shape (5, 2) and lands where torch puts it."""
    a = np.arange(120.0).reshape(4, 5, 6)
    v = np.arange(10.0).reshape(5, 2) + 1000
    x, t = Tensor(a.copy()), torch.tensor(a)
    x[1, :, [0, 2]] = Tensor(v)
    t[1, :, [0, 2]] = torch.tensor(v)
    np.testing.assert_array_equal(x.data, t.numpy())
