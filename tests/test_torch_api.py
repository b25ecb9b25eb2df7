"""PyTorch's spellings and composite ops (methods, tg.xxx, F.xxx, nn modules) against PyTorch.

A case is (id, ours, theirs, inputs): both run on the same float64 arrays with the same upstream
gradient; values and every input's gradient must agree to rtol 1e-10, and ours passes gradcheck
unless the case sits on a kink. Primitives are in tests/test_ops.py; these are composites.
"""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, gradcheck, nn
from tinygrad_bn import functional as F

RNG = np.random.default_rng(7)
N = lambda *s: RNG.standard_normal(s)                       # noqa: E731
P = lambda *s: RNG.uniform(0.5, 2.0, s)                     # noqa: E731
U = lambda *s: RNG.uniform(0.05, 0.95, s)                   # noqa: E731  (probabilities)
A = lambda v: np.array(v, dtype=np.float64)                 # noqa: E731
LABELS = np.array([0, 2, 1, 2, 0])
LABELS_ND = RNG.integers(0, 3, (2, 4, 2))
IGNORED = np.array([0, -100, 1, 2, -100])
W3 = np.array([0.2, 1.0, 2.5])
CASES = []


def case(id, ours, theirs, *inputs, smooth=True, rtol=1e-10, grads=True):
    CASES.append(pytest.param(ours, theirs, list(inputs), smooth, rtol, grads, id=id))


def th():
    """torch, imported only when a case runs (the torch fixture has skipped or not by then)."""
    import torch
    return torch


def torch_F():
    return th().nn.functional


def T(a):
    return th().tensor(a)


# --- Tensor methods and tg.xxx functions ----------------------------------------------------------
case("rsqrt", lambda x: x.rsqrt(), lambda t: t.rsqrt(), P(3, 4))
case("tg.rsqrt", lambda x: tg.rsqrt(x), lambda t: t.rsqrt(), P(5))
case("log2", lambda x: x.log2(), lambda t: t.log2(), P(3, 4))
case("exp2", lambda x: tg.exp2(x), lambda t: t.exp2(), N(3, 4))
case("std", lambda x: x.std(), lambda t: t.std(), N(4, 5))
case("std-dim-keepdim", lambda x: x.std(dim=1, keepdim=True), lambda t: t.std(dim=1, keepdim=True),
     N(4, 5))
case("std-unbiased-false", lambda x: x.std(0, False), lambda t: t.std(0, False), N(4, 5))
case("std-correction0-list", lambda x: x.std(dim=[0, 2], correction=0),
     lambda t: t.std(dim=[0, 2], correction=0), N(3, 2, 4))
case("tg.std", lambda x: tg.std(x, 1), lambda t: t.std(1), N(3, 4))
case("var-default-unbiased", lambda x: x.var(), lambda t: t.var(), N(4, 5))
case("var-dim-list", lambda x: x.var(dim=[0, 1], keepdim=True),
     lambda t: t.var(dim=[0, 1], keepdim=True), N(3, 2, 4))
case("logsumexp", lambda x: x.logsumexp(1), lambda t: t.logsumexp(1), N(3, 4) * 30)
case("logsumexp-keepdim", lambda x: tg.logsumexp(x, dim=0, keepdim=True),
     lambda t: t.logsumexp(0, keepdim=True), N(3, 4))
case("logsumexp-tuple", lambda x: x.logsumexp((0, 2)), lambda t: t.logsumexp((0, 2)), N(2, 3, 4))
case("logsumexp-huge", lambda x: x.logsumexp(-1), lambda t: t.logsumexp(-1),
     A([[1000.0, 999.0], [-1000.0, -1001.0]]))
case("max-dim", lambda x: x.max(dim=1).values, lambda t: t.max(dim=1).values, N(3, 4))
case("max-dim-ties-first", lambda x: x.max(dim=1, keepdim=True)[0],
     lambda t: t.max(dim=1, keepdim=True)[0], A([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]]), smooth=False)
case("min-dim", lambda x: tg.min(x, 0).values, lambda t: t.min(0).values, N(3, 4))
case("max-other", lambda a, b: a.max(b), lambda a, b: a.max(b), N(3, 4), N(4))
case("tg.max-all", lambda x: tg.max(x), lambda t: t.max(), N(3, 4))
case("amax-dim-list", lambda x: x.amax(dim=[0, 2]), lambda t: t.amax(dim=[0, 2]), N(2, 3, 4))
case("amin", lambda x: tg.amin(x, 1), lambda t: t.amin(1), N(2, 3))
case("sum-dim-list-keepdim", lambda x: x.sum(dim=[0, 1], keepdim=True),
     lambda t: t.sum(dim=[0, 1], keepdim=True), N(2, 3, 4))
case("sum-axis-list", lambda x: x.sum(axis=[0, 1]), lambda t: t.sum(dim=(0, 1)), N(2, 3, 4))
case("mean-dim", lambda x: tg.mean(x, -1, True), lambda t: t.mean(-1, True), N(2, 3))
case("sum-dtype", lambda x: x.float().sum(dtype=np.float64), lambda t: t.float().sum(
    dtype=th().float64), N(2, 3), smooth=False)
case("flip", lambda x: x.flip(0, 2), lambda t: t.flip(0, 2), N(2, 3, 4))
case("tg.flip-list", lambda x: tg.flip(x, [1]), lambda t: t.flip([1]), N(2, 3))
case("repeat", lambda x: x.repeat(2, 3), lambda t: t.repeat(2, 3), N(2, 3))
case("repeat-new-dims", lambda x: x.repeat((2, 1, 3)), lambda t: t.repeat(2, 1, 3), N(2, 3))
case("repeat_interleave", lambda x: x.repeat_interleave(2, dim=1),
     lambda t: t.repeat_interleave(2, dim=1), N(2, 3))
case("repeat_interleave-flat", lambda x: x.repeat_interleave(3), lambda t: t.repeat_interleave(3),
     N(2, 2))
GATHER = np.array([[0, 0, 2], [1, 0, 1]])
case("gather-dim1", lambda x: x.gather(1, GATHER), lambda t: t.gather(1, T(GATHER)), N(2, 4))
case("gather-dim0-repeats", lambda x: tg.gather(x, 0, GATHER), lambda t: t.gather(0, T(GATHER)),
     N(3, 3))
case("squeeze", lambda x: x.squeeze(), lambda t: t.squeeze(), N(2, 1, 3, 1))
case("squeeze-dim", lambda x: x.squeeze(1), lambda t: t.squeeze(1), N(2, 1, 3))
case("squeeze-not-one", lambda x: x.squeeze(0), lambda t: t.squeeze(0), N(2, 1, 3))
case("unsqueeze", lambda x: x.unsqueeze(-1), lambda t: t.unsqueeze(-1), N(2, 3))
case("unsqueeze-0", lambda x: tg.unsqueeze(x, 0), lambda t: t.unsqueeze(0), N(2, 3))
case("unflatten", lambda x: x.unflatten(1, (2, -1)), lambda t: t.unflatten(1, (2, -1)), N(3, 6))
case("flatten-range", lambda x: x.flatten(1, 2), lambda t: t.flatten(1, 2), N(2, 3, 4, 5))
case("flatten-all", lambda x: tg.flatten(x), lambda t: t.flatten(), N(2, 3, 4))
case("permute", lambda x: x.permute(2, 0, 1), lambda t: t.permute(2, 0, 1), N(2, 3, 4))
case("permute-tuple", lambda x: tg.permute(x, (1, 0, 2)), lambda t: t.permute((1, 0, 2)), N(2, 3, 4))
case("transpose-swap-3d", lambda x: x.transpose(0, 2), lambda t: t.transpose(0, 2), N(2, 3, 4))
case("transpose-swap-2d", lambda x: x.transpose(0, 1), lambda t: t.transpose(0, 1), N(2, 3))
case("transpose-negative", lambda x: tg.transpose(x, -1, 1), lambda t: t.transpose(-1, 1),
     N(2, 3, 4))
case("t", lambda x: x.t(), lambda t: t.t(), N(2, 3))
case("view", lambda x: x.view(3, -1), lambda t: t.view(3, -1), N(2, 3, 2))
case("expand", lambda x: x.expand(2, -1, 4), lambda t: t.expand(2, -1, 4), N(3, 1))
case("expand-tuple", lambda x: x.expand((2, 3)), lambda t: t.expand((2, 3)), N(3))
case("clamp", lambda x: x.clamp(min=-0.5, max=0.5), lambda t: t.clamp(min=-0.5, max=0.5), N(3, 4))
case("clamp_min", lambda x: x.clamp_min(0.1), lambda t: t.clamp_min(0.1), N(5))
case("tg.clamp", lambda x: tg.clamp(x, max=0.2), lambda t: t.clamp(max=0.2), N(5))
case("div-trunc", lambda a, b: a.div(b, rounding_mode="trunc"),
     lambda a, b: a.div(b, rounding_mode="trunc"), N(3, 4) * 4, P(4) * RNG.choice([-1, 1], 4))
case("tg.div-floor", lambda a, b: tg.div(a, b, rounding_mode="floor"),
     lambda a, b: a.div(b, rounding_mode="floor"), N(3, 4) * 4, P(4))
case("floor_divide", lambda a: a.floor_divide(0.7), lambda t: t.div(0.7, rounding_mode="floor"),
     N(5) * 3)
case("cumsum-dim", lambda x: tg.cumsum(x, dim=1), lambda t: t.cumsum(dim=1), N(2, 3))
case("prod-dim", lambda x: tg.prod(x, 1), lambda t: t.prod(1), N(2, 3))
case("clone", lambda x: x.clone() * 2, lambda t: t.clone() * 2, N(3))
case("double-float-round-trip", lambda x: x.float().double(), lambda t: t.float().double(), N(4),
     smooth=False)
case("cat", lambda a, b: tg.cat([a, b], dim=1), lambda a, b: th().cat([a, b], dim=1), N(2, 3),
     N(2, 1))
case("einsum", lambda a, b: tg.einsum("bij,bjk->bik", a, b),
     lambda a, b: th().einsum("bij,bjk->bik", a, b), N(2, 3, 4), N(2, 4, 2))

# --- activations: F.xxx and nn modules ----------------------------------------------------------
KINKS = A([-3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 25.0, -25.0])
ACTS = {  # name: (F call, torch call, nn module)
    "relu": (lambda x: F.relu(x), lambda t: torch_F().relu(t), nn.ReLU(inplace=True)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda t: torch_F().leaky_relu(t, 0.2),
                   nn.LeakyReLU(0.2)),
    "leaky_relu-default": (lambda x: F.leaky_relu(x), lambda t: torch_F().leaky_relu(t),
                           nn.LeakyReLU()),
    "elu": (lambda x: F.elu(x, alpha=1.5), lambda t: torch_F().elu(t, alpha=1.5), nn.ELU(1.5)),
    "relu6": (lambda x: F.relu6(x), lambda t: torch_F().relu6(t), nn.ReLU6()),
    "hardtanh": (lambda x: F.hardtanh(x, -2.0, 1.0), lambda t: torch_F().hardtanh(t, -2.0, 1.0),
                 nn.Hardtanh(-2.0, 1.0)),
    "softplus": (lambda x: F.softplus(x), lambda t: torch_F().softplus(t), nn.Softplus()),
    "softplus-beta": (lambda x: F.softplus(x, beta=2.0, threshold=3.0),
                      lambda t: torch_F().softplus(t, beta=2.0, threshold=3.0),
                      nn.Softplus(beta=2.0, threshold=3.0)),
    "silu": (lambda x: F.silu(x), lambda t: torch_F().silu(t), nn.SiLU()),
    "gelu": (lambda x: F.gelu(x), lambda t: torch_F().gelu(t), nn.GELU()),
    "gelu-tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda t: torch_F().gelu(t, approximate="tanh"), nn.GELU("tanh")),
    "logsigmoid": (lambda x: F.logsigmoid(x), lambda t: torch_F().logsigmoid(t), nn.LogSigmoid()),
    "hardswish": (lambda x: F.hardswish(x), lambda t: torch_F().hardswish(t), nn.Hardswish()),
    "mish": (lambda x: F.mish(x), lambda t: torch_F().mish(t), nn.Mish()),
    "sigmoid": (lambda x: F.sigmoid(x), lambda t: torch_F().sigmoid(t), nn.Sigmoid()),
    "tanh": (lambda x: F.tanh(x), lambda t: torch_F().tanh(t), nn.Tanh()),
    "softmin": (lambda x: F.softmin(x, dim=1), lambda t: torch_F().softmin(t, dim=1),
                nn.Softmin(dim=1)),
    "softmax": (lambda x: F.softmax(x, dim=0), lambda t: torch_F().softmax(t, dim=0),
                nn.Softmax(dim=0)),
    "log_softmax": (lambda x: F.log_softmax(x, 1), lambda t: torch_F().log_softmax(t, 1),
                    nn.LogSoftmax(1)),
}
for name, (ours, theirs, module) in ACTS.items():
    case(f"F.{name}", ours, theirs, N(3, 4) * 3)
    case(f"nn.{type(module).__name__}-{name}", module, theirs, N(2, 5) * 3)
    if name not in ("softmin", "softmax", "log_softmax"):
        case(f"F.{name}-kinks", ours, theirs, KINKS.copy(), smooth=False)

# torch's hardsigmoid backward multiplies by the float32 constant 1.0f / 6 (3e-8 off): rtol 1e-7
for id, x, smooth in (("F.hardsigmoid", N(3, 4) * 3, True), ("F.hardsigmoid-kinks", KINKS, False)):
    case(id, F.hardsigmoid, lambda t: torch_F().hardsigmoid(t), x, smooth=smooth, rtol=1e-7)
case("nn.Hardsigmoid", nn.Hardsigmoid(), lambda t: torch_F().hardsigmoid(t), N(2, 5), rtol=1e-7)

# --- losses -------------------------------------------------------------------------------------
for red in ("mean", "sum", "none"):
    case(f"cross_entropy-{red}", lambda x, r=red: F.cross_entropy(x, LABELS, reduction=r),
         lambda t, r=red: torch_F().cross_entropy(t, T(LABELS), reduction=r), N(5, 3))
    case(f"cross_entropy-weight-ignore-{red}",
         lambda x, r=red: F.cross_entropy(x, IGNORED, weight=W3, reduction=r),
         lambda t, r=red: torch_F().cross_entropy(t, T(IGNORED), weight=T(W3), reduction=r),
         N(5, 3))
    case(f"cross_entropy-smoothing-weight-ignore-{red}",
         lambda x, r=red: F.cross_entropy(x, IGNORED, weight=W3, reduction=r, label_smoothing=0.2),
         lambda t, r=red: torch_F().cross_entropy(t, T(IGNORED), weight=T(W3), reduction=r,
                                                  label_smoothing=0.2), N(5, 3))
    case(f"cross_entropy-smoothing-ignore-{red}",
         lambda x, r=red: F.cross_entropy(x, IGNORED, reduction=r, label_smoothing=0.1),
         lambda t, r=red: torch_F().cross_entropy(t, T(IGNORED), reduction=r, label_smoothing=0.1),
         N(5, 3))
    case(f"cross_entropy-probs-{red}",
         lambda x, p, r=red: F.cross_entropy(x, p, reduction=r, label_smoothing=0.1),
         lambda x, p, r=red: torch_F().cross_entropy(x, p, reduction=r, label_smoothing=0.1),
         N(4, 3), U(4, 3))
    case(f"cross_entropy-probs-weight-{red}",
         lambda x, p, r=red: F.cross_entropy(x, p, weight=W3, reduction=r),
         lambda x, p, r=red: torch_F().cross_entropy(x, p, weight=T(W3), reduction=r),
         N(2, 3, 4), U(2, 3, 4))
    case(f"cross_entropy-nd-{red}", lambda x, r=red: F.cross_entropy(x, LABELS_ND, reduction=r),
         lambda t, r=red: torch_F().cross_entropy(t, T(LABELS_ND), reduction=r), N(2, 3, 4, 2))
    case(f"nll_loss-{red}", lambda x, r=red: F.nll_loss(x, IGNORED, weight=W3, reduction=r),
         lambda t, r=red: torch_F().nll_loss(t, T(IGNORED), weight=T(W3), reduction=r), N(5, 3))
    case(f"bce-{red}", lambda p, y, r=red: F.binary_cross_entropy(p, y, reduction=r),
         lambda p, y, r=red: torch_F().binary_cross_entropy(p, y, reduction=r), U(4, 3), U(4, 3))
    case(f"bce-weight-{red}", lambda p, y, r=red: F.binary_cross_entropy(p, y, W3, reduction=r),
         lambda p, y, r=red: torch_F().binary_cross_entropy(p, y, T(W3), reduction=r),
         U(4, 3), U(4, 3))
    case(f"bce_logits-{red}",
         lambda x, y, r=red: F.binary_cross_entropy_with_logits(x, y, reduction=r),
         lambda x, y, r=red: torch_F().binary_cross_entropy_with_logits(x, y, reduction=r),
         N(4, 3) * 3, U(4, 3))
    case(f"bce_logits-weights-{red}",
         lambda x, y, r=red: F.binary_cross_entropy_with_logits(x, y, weight=W3, reduction=r,
                                                                pos_weight=W3[::-1].copy()),
         lambda x, y, r=red: torch_F().binary_cross_entropy_with_logits(
             x, y, weight=T(W3), reduction=r, pos_weight=T(W3[::-1].copy())), N(4, 3) * 3, U(4, 3))
    case(f"l1_loss-{red}", lambda a, b, r=red: F.l1_loss(a, b, reduction=r),
         lambda a, b, r=red: torch_F().l1_loss(a, b, reduction=r), N(3, 2), N(3, 2))
case("bce-saturated", lambda p, y: F.binary_cross_entropy(p, y, reduction="sum"),
     lambda p, y: torch_F().binary_cross_entropy(p, y, reduction="sum"),
     A([0.0, 1.0, 0.0, 1.0, 1e-50, 0.5]), A([0.0, 1.0, 1.0, 0.0, 0.0, 0.3]), smooth=False,
     grads=False)       # values as torch (log clamped at -100); gradients: see the next test
case("cross_entropy-unbatched", lambda x: F.cross_entropy(x, np.array(2)),
     lambda t: torch_F().cross_entropy(t, T(np.array(2))), N(4))
case("cross_entropy-nd-ignore-smoothing",
     lambda x: F.cross_entropy(x, np.where(LABELS_ND == 1, -1, LABELS_ND), ignore_index=-1,
                               label_smoothing=0.3, weight=W3),
     lambda t: torch_F().cross_entropy(t, T(np.where(LABELS_ND == 1, -1, LABELS_ND)),
                                       ignore_index=-1, label_smoothing=0.3, weight=T(W3)),
     N(2, 3, 4, 2))
case("nll_loss-nd", lambda x: F.nll_loss(x, LABELS_ND), lambda t: torch_F().nll_loss(
    t, T(LABELS_ND)), N(2, 3, 4, 2))
MODULE_LOSSES = [
    (nn.CrossEntropyLoss(weight=W3, ignore_index=1, label_smoothing=0.05), "CrossEntropyLoss",
     dict(weight=W3, ignore_index=1, label_smoothing=0.05), LABELS),
    (nn.NLLLoss(reduction="sum"), "NLLLoss", dict(reduction="sum"), LABELS),
    (nn.CrossEntropyLoss(size_average=False), "CrossEntropyLoss", dict(reduction="sum"), LABELS),
]
for module, torch_name, kw, target in MODULE_LOSSES:
    case(f"nn.{torch_name}-{kw}", lambda x, m=module, y=target: m(x, y),
         lambda t, n=torch_name, kw=kw, y=target: getattr(th().nn, n)(
             **{k: T(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()})(t, T(y)),
         N(5, 3))
case("nn.BCELoss", lambda p, y: nn.BCELoss(weight=W3)(p, y),
     lambda p, y: th().nn.BCELoss(weight=T(W3))(p, y), U(4, 3), U(4, 3))
case("nn.BCEWithLogitsLoss", lambda x, y: nn.BCEWithLogitsLoss(pos_weight=W3)(x, y),
     lambda x, y: th().nn.BCEWithLogitsLoss(pos_weight=T(W3))(x, y), N(4, 3), U(4, 3))
case("nn.MSELoss", lambda a, b: nn.MSELoss(reduction="sum")(a, b),
     lambda a, b: th().nn.MSELoss(reduction="sum")(a, b), N(4, 3), N(4, 3))
case("nn.L1Loss", lambda a, b: nn.L1Loss()(a, b),
     lambda a, b: th().nn.L1Loss()(a, b), N(4, 3), N(4, 3))


@pytest.mark.parametrize("ours, theirs, inputs, smooth, rtol, grads", CASES)
def test_matches_torch(torch, ours, theirs, inputs, smooth, rtol, grads):
    xs = [Tensor(a.copy(), requires_grad=True) for a in inputs]
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, t_out = ours(*xs), theirs(*ts)
    assert out.shape == tuple(t_out.shape)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.as_tensor(g))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=rtol, atol=1e-12)
    for i, (x, t) in enumerate(zip(xs, ts) if grads else ()):
        want = np.zeros_like(inputs[i]) if t.grad is None else t.grad.numpy()
        got = np.zeros_like(inputs[i]) if x.grad is None else x.grad
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-12,
                                   err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("ours, theirs, inputs, smooth, rtol, grads",
                         [c for c in CASES if c.values[3]])
def test_gradcheck(ours, theirs, inputs, smooth, rtol, grads):
    assert gradcheck(ours, *(Tensor(a.copy(), requires_grad=True) for a in inputs), seed=2)


# --- results without a gradient: indices, booleans, one-hot ---------------------------------------
@pytest.mark.parametrize("call", [
    lambda m, x: m.argmax(x), lambda m, x: m.argmax(x, dim=1), lambda m, x: m.argmin(x, 0, True),
    lambda m, x: m.argmax(x, keepdim=True), lambda m, x: m.any(x > 0.5, dim=1),
    lambda m, x: m.all(x > -2, 0, True), lambda m, x: m.any(x > 0), lambda m, x: x.argmin(dim=-1),
    lambda m, x: m.max(x, dim=1).indices, lambda m, x: m.min(x, 1, keepdim=True)[1],
], ids=["argmax", "argmax-dim", "argmin-keepdim", "argmax-none-keepdim", "any-dim", "all-keepdim",
        "any", "argmin-method", "max-indices", "min-indices"])
def test_index_and_bool_results_match_torch(torch, call):
    x = np.array([[0.3, 2.0, 2.0, -1.0], [1.5, -3.0, 1.5, 0.7], [0.1, 0.1, 0.1, 0.1]])
    ours, theirs = call(tg, Tensor(x, requires_grad=True)), call(torch, torch.tensor(x))
    assert ours.dtype == theirs.numpy().dtype and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, theirs.numpy())     # ties: the first index, as torch


@pytest.mark.parametrize("labels, k", [([0, 2, 1], -1), ([[1], [3]], 5), ([], 3)])
def test_one_hot_matches_torch(torch, labels, k):
    labels = np.array(labels, dtype=np.int64)
    ours = F.one_hot(Tensor(labels), k)
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), k)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_integer_division_matches_torch(torch):
    a, b = np.array([7, -7, 6, -1, 0]), np.array([2, 2, -4, 3, 5])
    ours, theirs = Tensor(a), torch.tensor(a)
    for mode in ("floor", "trunc"):
        got = ours.div(Tensor(b), rounding_mode=mode)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.data, theirs.div(torch.tensor(b), rounding_mode=mode))
    np.testing.assert_array_equal((ours // Tensor(b)).data, (theirs // torch.tensor(b)).numpy())
    with pytest.raises(ZeroDivisionError, match="floordiv: integer division by zero"):
        ours // Tensor(np.array([1, 0, 1, 1, 1]))


def test_floor_division_is_pythons():
    """1.0 // 0.1 is 9.0 in Python, NumPy and torch (floor(1.0 / 0.1) would be 10)."""
    assert (Tensor([1.0, -1.0]) // 0.1).tolist() == [1.0 // 0.1, -1.0 // 0.1] == [9.0, -10.0]


def test_floor_division_has_zero_gradient():
    x = Tensor([3.5, -2.5], requires_grad=True)
    (x // 2 + 7.0 // x + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


# --- facts, conversions and spellings -------------------------------------------------------------
def test_facts_as_torch_and_numpy():
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.size == 24 and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and x.dim() == 3 and x.ndim == 3 and len(x) == 2
    assert Tensor([[1, 2]]).tolist() == [[1, 2]] and Tensor(3.5).tolist() == 3.5
    assert x.contiguous() is x and x.cpu() is x and x.to("cpu") is x
    with pytest.raises(ValueError, match="to: device 'cuda'.*CPU only"):
        x.to("cuda")


@pytest.mark.parametrize("method, dtype", [("float", np.float32), ("double", np.float64),
                                           ("half", np.float16), ("long", np.int64),
                                           ("int", np.int32), ("bool", np.bool_)])
def test_casts_follow_torch(method, dtype):
    x = Tensor(np.array([0.0, 1.7, -2.2]), requires_grad=True)
    y = getattr(x, method)()
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.data, x.data.astype(dtype))
    assert y.requires_grad == (np.dtype(dtype).kind == "f")   # ints and bools: no gradient


def test_to_and_type_accept_numpy_and_torch_spellings(torch):
    x = Tensor(np.ones(2))
    assert x.to(np.float32).dtype == np.float32 and x.to(torch.float32).dtype == np.float32
    assert x.to("cpu", torch.int64).dtype == np.int64 and x.type(torch.FloatTensor).dtype == np.float32
    assert x.to(Tensor(np.ones(1, np.float32))).dtype == np.float32
    assert x.type() == "float64" and x.double() is x
    c = x.clone()
    assert c is not x and c.data is not x.data and np.shares_memory(c.data, x.data) is False


def test_transpose_two_dims_swap_and_a_permutation_permutes():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.transpose(0, 2).shape == (4, 3, 2)           # torch: swap dims 0 and 2
    assert x.transpose(2, 0, 1).shape == (4, 2, 3)        # NumPy: a full permutation
    assert x.transpose((1, 0, 2)).shape == (3, 2, 4) and x.T.shape == (4, 3, 2)
    m = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.transpose(0, 1).data, m.data.T)   # 2-D: both readings agree
    np.testing.assert_array_equal(m.transpose(1, 0).data, m.data.T)
    np.testing.assert_array_equal(m.transpose((0, 1)).data, m.data)   # a tuple: a permutation


@pytest.mark.parametrize("call, kind, match", [
    (lambda x: x.transpose(3, 0), ValueError, r"transpose: dims \(3, 0\).*\(2, 3\).*-2\.\.1"),
    (lambda x: x.reshape(2.5, -1), TypeError, r"reshape: size for input \(2, 3\): 2.5"),
    (lambda x: x.flatten(5), ValueError, r"flatten: start_dim=5.*\(2, 3\).*-2\.\.1"),
    (lambda x: x.flatten(1, 0), ValueError, r"flatten: start_dim=1 comes after end_dim=0"),
    (lambda x: x.sum(axis=1, dim=0), TypeError, "sum: got axis=1 and dim=0"),
    (lambda x: x.sum(axis=1.5), TypeError, r"sum: axis: 1.5 \(float\) is not an integer"),
    (lambda x: x.var(unbiased=True, correction=1), TypeError, "var: give one of"),
    (lambda x: x.permute(1, 0, 2), ValueError, r"permute: dims \(1, 0, 2\) for input \(2, 3\)"),
    (lambda x: x.expand(3), ValueError, r"expand: \(3,\) has fewer dims than input \(2, 3\)"),
    (lambda x: x.expand(-1, 2, 3), ValueError, r"expand: .*-1 is only allowed for existing"),
    (lambda x: x.repeat(2), ValueError, r"repeat: \(2,\) has fewer entries than input \(2, 3\)"),
    (lambda x: x.unsqueeze(4), ValueError, r"unsqueeze: dim 4 for input \(2, 3\)"),
    (lambda x: x.gather(1, np.array([[0.5]])), ValueError, "gather: index float64"),
    (lambda x: x.argmax(dim=(0, 1)), TypeError, "argmax: axis"),
    (lambda x: x.div(2, rounding_mode="round"), ValueError, "div: rounding_mode='round'"),
    (lambda x: tg.einsum("ij,jk->ik", x), ValueError, "einsum: equation 'ij,jk->ik' has 2 operands"),
    (lambda x: tg.einsum("ijk->i", x), ValueError, r"einsum: subscripts 'ijk' do not fit .*\(2, 3\)"),
    (lambda x: tg.einsum("ij,ij->", x, x.T), ValueError, "einsum: 'ij,ij->' does not fit"),
    (lambda x: F.gelu(x, approximate="fast"), ValueError, "gelu: approximate='fast'"),
    (lambda x: F.one_hot(x), TypeError, "one_hot: indices have dtype float64"),
    (lambda x: F.binary_cross_entropy(x, x), ValueError, "values outside .0, 1."),
    (lambda x: F.cross_entropy(x, np.array([0, 3])), ValueError, r"target ranges over \[0, 3\]"),
    (lambda x: F.cross_entropy(x, x.data.astype(np.int64)), TypeError, "must be float"),
    (lambda x: F.cross_entropy(x, x.data, ignore_index=0), ValueError, "ignore_index is for"),
    (lambda x: F.cross_entropy(x, np.array([0, 1]), label_smoothing=2), ValueError,
     "label_smoothing=2"),
    (lambda x: tg.zeros(2, 3, device="cuda"), ValueError, "device 'cuda'"),
    (lambda x: tg.randint(5), TypeError, "randint: give the size"),
    (lambda x: tg.arange(0, 5, 0), ValueError, "arange: step=0"),
], ids=lambda v: None)
def test_bad_arguments_raise_naming_the_op(call, kind, match):
    with pytest.raises(kind, match=match):
        call(Tensor(np.arange(6.0).reshape(2, 3)))


# --- more of torch's Tensor API: softmax methods, split/chunk, triangles, masked_fill ------------
MASK = np.array([[True, False, False, True]])
MORE = [
    ("softmax-method", lambda x: x.softmax(dim=0), lambda t: t.softmax(dim=0), N(3, 4)),
    ("log_softmax-method", lambda x: x.log_softmax(-1), lambda t: t.log_softmax(-1), N(3, 4)),
    ("tg.softmax", lambda x: tg.softmax(x, 1), lambda t: th().softmax(t, 1), N(2, 5)),
    ("tg.log_softmax", lambda x: tg.log_softmax(x, 0), lambda t: th().log_softmax(t, 0), N(2, 5)),
    ("split-size", lambda x: tg.cat([p * (i + 1) for i, p in enumerate(x.split(2, dim=1))], 1),
     lambda t: th().cat([p * (i + 1) for i, p in enumerate(t.split(2, dim=1))], 1), N(3, 5)),
    ("split-sections", lambda x: tg.stack([p.sum() for p in tg.split(x, [1, 3, 1])]),
     lambda t: th().stack([p.sum() for p in th().split(t, [1, 3, 1])]), N(5, 2)),
    ("chunk", lambda x: tg.cat([p * (i + 1) for i, p in enumerate(x.chunk(3, 1))], 1),
     lambda t: th().cat([p * (i + 1) for i, p in enumerate(t.chunk(3, 1))], 1), N(2, 7)),
    ("tril", lambda x: x.tril(), lambda t: t.tril(), N(3, 4)),
    ("triu-batched-offset", lambda x: tg.triu(x, 1), lambda t: t.triu(1), N(2, 3, 4)),
    ("tril-negative", lambda x: x.tril(-1), lambda t: t.tril(-1), N(4, 3)),
    ("masked_fill", lambda x: x.masked_fill(MASK, -1.5), lambda t: t.masked_fill(T(MASK), -1.5),
     N(3, 4)),
    ("dot", lambda a, b: a.dot(b), lambda a, b: a.dot(b), N(4), N(4)),
    ("mm", lambda a, b: tg.mm(a, b), lambda a, b: th().mm(a, b), N(2, 3), N(3, 4)),
    ("stack-dim", lambda a, b: tg.stack([a, b], dim=1), lambda a, b: th().stack([a, b], dim=1),
     N(2, 3), N(2, 3)),
    ("keywords", lambda x: x.flip(dims=[0]).permute(dims=(1, 0, 2)).gather(
        dim=2, index=GATHER[None].repeat(3, 0)).unflatten(dim=0, sizes=(3, 1)),
     lambda t: t.flip(dims=[0]).permute(dims=(1, 0, 2)).gather(
         dim=2, index=T(GATHER[None].repeat(3, 0))).unflatten(dim=0, sizes=(3, 1)), N(2, 3, 4)),
]


@pytest.mark.parametrize("ours, theirs, inputs, smooth, rtol", [
    pytest.param(ours, theirs, list(inputs), True, 1e-10, id=id)
    for id, ours, theirs, *inputs in MORE])
def test_more_matches_torch(torch, ours, theirs, inputs, smooth, rtol):
    test_matches_torch(torch, ours, theirs, inputs, smooth, rtol, True)
    assert gradcheck(ours, *(Tensor(a.copy(), requires_grad=True) for a in inputs), seed=2)


def test_requires_grad_and_device_as_torch():
    x = tg.zeros(3)
    assert x.requires_grad_() is x and x.requires_grad and x.device == "cpu"
    with pytest.raises(ValueError, match="requires_grad_: this tensor .3,. was made by mul"):
        (x * 2).requires_grad_()
    with pytest.raises(TypeError, match="requires_grad_: int64"):
        tg.arange(3).requires_grad_()
    assert tg.from_numpy(np.ones(2, np.float32)).dtype == np.float32
    w = tg.ones(2)                   # the attribute, as torch: the same checks as requires_grad_()
    w.requires_grad = np.True_
    assert w.requires_grad is True and (w * w).requires_grad
    with pytest.raises(TypeError, match="requires_grad_: int64"):
        tg.arange(3).requires_grad = True
    with pytest.raises(ValueError, match="was made by mul"):
        (w * 2).requires_grad = False


def test_bce_at_saturated_probabilities_stays_finite():
    """p exactly 0 or 1 (a saturated sigmoid): the loss is finite (log clamped at -100, as torch)
    and so is every gradient: no log(0) = -inf, no 0 * inf = nan."""
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0, 0.3]), requires_grad=True)
    y = Tensor(np.array([0.0, 1.0, 1.0, 0.0, 1.0]), requires_grad=True)
    with np.errstate(all="raise"):
        loss = F.binary_cross_entropy(p, y, reduction="sum")
        loss.backward()
    assert np.isclose(loss.item(), 200 - np.log(0.3))
    assert np.isfinite(p.grad).all() and np.isfinite(y.grad).all()
    assert p.grad[4] == pytest.approx(-1 / 0.3)
