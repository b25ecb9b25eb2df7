"""More of PyTorch's Tensor methods and torch functions, against PyTorch in float64.

A case is (id, ours, theirs, inputs): both run on the same float64 arrays with the same upstream
gradient; values, dtype, shape and every input's gradient must agree to rtol 1e-7. The ops are
composites of primitives (getitem, where, mul, ...), so gradcheck and, for some, gradgradcheck
check them too. Then ties, in-place updates, grad mode and the errors.
"""
import math

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, gradcheck, gradgradcheck

RNG = np.random.default_rng(11)
N = lambda *s: RNG.standard_normal(s)                       # noqa: E731
P = lambda *s: RNG.uniform(0.5, 2.0, s)                     # noqa: E731
A = lambda v: np.array(v, dtype=np.float64)                 # noqa: E731
COND = RNG.standard_normal((3, 4)) > 0
IDX = np.array([2, 0, 2])
CASES = []


def case(id, ours, theirs, *inputs, smooth=True):
    CASES.append(pytest.param(ours, theirs, list(inputs), smooth, id=id))


def th():
    """torch, imported only when a case runs (the torch fixture has skipped or not by then)."""
    import torch
    return torch


def T(a):
    return th().tensor(a)


def same(method, *args, **kwargs):
    """The same method call on our tensor and torch's."""
    return (lambda x: getattr(x, method)(*args, **kwargs)), (
        lambda t: getattr(t, method)(*args, **kwargs))


def both(fn):
    """fn(module, *tensors) as (ours, theirs): tg.xxx against torch.xxx."""
    return (lambda *xs: fn(tg, *xs)), (lambda *ts: fn(th(), *ts))


# --- shape and indexing -------------------------------------------------------------------------
case("mT-2d", *same("__getattribute__", "mT"), N(3, 4))
case("mT-batch", *same("__getattribute__", "mT"), N(2, 3, 4))
case("expand_as", lambda a, b: a.expand_as(b), lambda a, b: a.expand_as(b), N(3, 1), N(2, 3, 4))
for dim in (0, 1, -1, -3):
    case(f"unbind-{dim}", lambda x, d=dim: tg.stack(x.unbind(d), d),
         lambda t, d=dim: th().stack(t.unbind(d), d), N(2, 3, 4))
case("tg.unbind", lambda x: tg.unbind(x)[1], lambda t: th().unbind(t)[1], N(3, 2))
for args in ((0, 1), (1, -1), (-1, 2), (2, -4)):
    case(f"select{args}", *same("select", *args), N(2, 3, 4))
case("tg.select", *both(lambda m, x: m.select(x, -2, 0)), N(2, 3, 4))
for args in ((0, 0, 2), (1, 1, 2), (-1, -3, 2), (2, 4, 0), (1, 0, 3)):
    case(f"narrow{args}", *same("narrow", *args), N(2, 3, 4))
case("tg.narrow", *both(lambda m, x: m.narrow(x, 0, 1, 1)), N(2, 3))
for dim in (0, 1, -1):
    case(f"index_select-{dim}-repeats", lambda x, d=dim: x.index_select(d, Tensor(IDX)),
         lambda t, d=dim: t.index_select(d, T(IDX)), N(3, 3, 3))
case("tg.index_select-empty", lambda x: tg.index_select(x, 1, Tensor(np.array([], np.int64))),
     lambda t: th().index_select(t, 1, T(np.array([], np.int64))), N(2, 3))
for shifts, dims in ((1, 0), (-2, 1), (5, -1), ((1, 2), (0, 2)), ((1, -1), (1, 1)), (3, None),
                     ((-4,), None)):
    case(f"roll{shifts}-{dims}", *same("roll", shifts, dims), N(2, 3, 4))
case("tg.roll-0d", *both(lambda m, x: m.roll(x, 2)), N())
for args in ((0, 0, 1), (1, 0, 1), (-1, 0, 1), (2, 1, 2), (-2, -1, -3), (0, 2, 0), (7, 0, 1)):
    case(f"diagonal{args}", *same("diagonal", *args), N(3, 4, 5))
case("tg.diagonal", *both(lambda m, x: m.diagonal(x, 1)), N(4, 3))
case("trace-square", *same("trace"), N(4, 4))
case("tg.trace-wide", *both(lambda m, x: m.trace(x)), N(2, 5))
case("outer", lambda a, b: a.outer(b), lambda a, b: a.outer(b), N(3), N(4))
case("tg.outer", *both(lambda m, a, b: m.outer(a, b)), N(2), N(5))

# --- sorting: distinct values here; ties are tested below ------------------------------------
for dim in (0, 1, -1):
    for desc in (False, True):
        case(f"sort-{dim}-desc{int(desc)}", lambda x, d=dim, de=desc: x.sort(d, de).values,
             lambda t, d=dim, de=desc: t.sort(d, de).values, N(3, 4, 5))
case("sort-default", lambda x: x.sort()[0], lambda t: t.sort()[0], N(4, 5))
case("tg.sort-kw", *both(lambda m, x: m.sort(x, dim=0, descending=True, stable=True).values),
     N(4, 3))
for k, dim, largest in ((2, -1, True), (1, 0, True), (3, 1, False), (4, -1, False), (0, 1, True)):
    case(f"topk-{k}-{dim}-{largest}", lambda x, k=k, d=dim, lg=largest: x.topk(k, d, lg)[0],
         lambda t, k=k, d=dim, lg=largest: t.topk(k, d, lg)[0], N(3, 4))
case("tg.topk-kw", *both(lambda m, x: m.topk(x, 2, dim=0, largest=False, sorted=True).values),
     N(4, 3))
case("sort-0d", lambda x: x.sort().values, lambda t: t.sort().values, N())
case("topk-0d", lambda x: x.topk(1).values, lambda t: t.topk(1).values, N())

# --- norms ---------------------------------------------------------------------------------------
for p in (2, "fro", 1, math.inf, -math.inf, 3, 1.5, 0.5):
    case(f"norm-p{p}", *same("norm", p), N(3, 4))
    case(f"norm-p{p}-dim1-keep", *same("norm", p, 1, True), N(3, 4))
case("norm-default", *same("norm"), N(2, 3, 4))
case("norm-dims-list", *same("norm", 2, [0, -1]), N(2, 3, 4))
case("norm-neg-dim", *same("norm", dim=-2, keepdim=True), N(2, 3, 4))
case("norm-p0", *same("norm", 0, 1), A([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]]), smooth=False)
case("norm-zero-row", *same("norm", 2, 1), A([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]]), smooth=False)
case("norm-all-zero", *same("norm"), A([[0.0, 0.0], [0.0, 0.0]]), smooth=False)
case("norm-p3-zeros", *same("norm", 3, 1), A([[0.0, 0.0], [0.0, 2.0]]), smooth=False)
case("norm-p0.5-zeros", *same("norm", 0.5, 1), A([[0.0, 1.0], [0.0, 0.0]]), smooth=False)
case("norm-inf-ties", *same("norm", math.inf, 1), A([[2.0, -2.0, 1.0], [0.5, 3.0, -3.0]]),
     smooth=False)
case("tg.norm", *both(lambda m, x: m.norm(x, 1, dim=0)), N(3, 4))

# --- elementwise ---------------------------------------------------------------------------------
case("where-method", lambda a, b: a.where(Tensor(COND), b), lambda a, b: a.where(T(COND), b),
     N(3, 4), N(4))
case("where-number", lambda a: a.where(COND, 0.5), lambda a: a.where(T(COND), 0.5), N(3, 4))
case("tg.where", *both(lambda m, a, b: m.where(m.tensor(COND) if m is tg else T(COND), a, b)),
     N(3, 4), N(3, 1))
case("lerp-number", lambda a, b: a.lerp(b, 0.3), lambda a, b: a.lerp(b, 0.3), N(3, 4), N(3, 4))
case("lerp-tensor", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a.lerp(b, w),
     N(3, 4), N(3, 4), N(3, 4))
case("lerp-broadcast", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a.lerp(b, w),
     N(3, 4), N(4), N(3, 1))
case("tg.lerp", *both(lambda m, a, b: m.lerp(a, b, 0.75)), N(5), N(5))
# x.softplus is ours only (torch has F.softplus): compared with torch.nn.functional.softplus
for beta, threshold in ((1.0, 20.0), (2.0, 1.0), (0.5, 3.0)):
    case(f"softplus-{beta}-{threshold}", lambda x, b=beta, t=threshold: x.softplus(b, t),
         lambda x, b=beta, t=threshold: th().nn.functional.softplus(x, b, t), N(3, 4) * 4)
case("softplus-kw", lambda x: x.softplus(beta=3, threshold=2),
     lambda x: th().nn.functional.softplus(x, beta=3, threshold=2), N(4) * 3)
# remainder and fmod: all four sign combinations; away from the jumps (gradcheck is central
# differences), with the dividend of both signs
SIGNED_A = A([[5.3, -5.3, 5.3, -5.3], [7.9, -7.9, 0.4, -0.4]])
SIGNED_B = A([[2.0, 2.0, -2.0, -2.0], [3.0, 3.0, -3.0, 3.0]])
case("remainder-signs", lambda a, b: a.remainder(b), lambda a, b: a.remainder(b),
     SIGNED_A, SIGNED_B)
case("fmod-signs", lambda a, b: a.fmod(b), lambda a, b: a.fmod(b), SIGNED_A, SIGNED_B)
case("fmod-number", lambda a: a.fmod(-1.5), lambda a: a.fmod(-1.5), SIGNED_A)
case("remainder-number", lambda a: a.remainder(-1.5), lambda a: a.remainder(-1.5), SIGNED_A)
case("tg.fmod-broadcast", *both(lambda m, a, b: m.fmod(a, b)), SIGNED_A, A([2.5, -2.5, 1.5, -0.7]))
case("tg.remainder", *both(lambda m, a, b: m.remainder(a, b)), SIGNED_A, A([2.5, -2.5, 1.5, -0.7]))
case("true_divide", lambda a, b: a.true_divide(b), lambda a, b: a.true_divide(b), N(3, 4), P(4))
case("tg.true_divide", *both(lambda m, a: m.true_divide(a, 4.0)), N(3))
NANS = A([[1.0, np.nan, 2.0], [np.nan, np.nan, -3.0]])
case("nansum-all", *same("nansum"), NANS, smooth=False)
case("nansum-dim", *same("nansum", 1), NANS, smooth=False)
case("nansum-keepdim-neg", *same("nansum", dim=-2, keepdim=True), NANS, smooth=False)
case("tg.nansum", *both(lambda m, x: m.nansum(x, [0, 1])), N(2, 3))


@pytest.mark.parametrize("ours, theirs, inputs, smooth", CASES)
def test_matches_torch(torch, ours, theirs, inputs, smooth):
    xs = [Tensor(a.copy(), requires_grad=True) for a in inputs]
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, t_out = ours(*xs), theirs(*ts)
    assert out.shape == tuple(t_out.shape) and out.dtype == t_out.detach().numpy().dtype
    g = np.random.default_rng(1).standard_normal(out.shape)
    if out.requires_grad:
        out.backward(g)
    if t_out.requires_grad:
        t_out.backward(torch.as_tensor(g))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-7, atol=1e-12)
    for i, (x, t) in enumerate(zip(xs, ts)):
        want = np.zeros_like(inputs[i]) if t.grad is None else t.grad.numpy()
        got = np.zeros_like(inputs[i]) if x.grad is None else x.grad
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-12,
                                   err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("ours, theirs, inputs, smooth", [c for c in CASES if c.values[3]])
def test_gradcheck(ours, theirs, inputs, smooth):
    assert gradcheck(ours, *(Tensor(a.copy(), requires_grad=True) for a in inputs), seed=2)


@pytest.mark.parametrize("fn, shapes", [
    (lambda x: x.norm(), [(3, 4)]), (lambda x: x.norm(3, 1), [(3, 4)]),
    (lambda x: x.sort(1, True).values * x.sort(1).values, [(3, 4)]),
    (lambda x: x.topk(2).values ** 2, [(3, 4)]), (lambda a, b, w: a.lerp(b, w) ** 2,
                                                   [(3,), (3,), (3,)]),
    (lambda x: x.softplus(2.0, 3.0), [(5,)]), (lambda x: x.diagonal(1, 0, 2).trace(), [(3, 4, 5)]),
    (lambda x: x.roll(1, 0).mT @ x, [(3, 2)]),
], ids=["norm", "norm3", "sort", "topk", "lerp", "softplus", "diagonal-trace", "roll-mT"])
def test_gradgradcheck(fn, shapes):
    """Second order works through the compositions: they are made of primitives that support it."""
    leaves = [Tensor(RNG.uniform(0.5, 2.0, s) * RNG.choice([-1, 1], s), requires_grad=True)
              for s in shapes]
    assert gradgradcheck(fn, *leaves)


def test_the_compositions_are_known_primitives():
    x = Tensor(N(3, 4), requires_grad=True)
    with tg.Tape() as tape:
        x.sort(1)
        x.topk(2)
        x.roll(1, 0)
        x.index_select(0, [1, 1])
        x.fmod(2.0)
        x.norm()
    assert {r.op for r in tape} <= set(tg.OPS)
    assert [r.op for r in tape][:2] == ["getitem", "getitem"]      # sort: one gather


# --- ties: values match torch; indices pick the tied values; stable sort's order is torch's -----
TIES = A([[1.0, 3.0, 3.0, 2.0, 3.0, 1.0], [0.0, 0.0, -1.0, 0.0, 5.0, 5.0]])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_stable_sort_with_ties_is_torchs(torch, descending, dim):
    ours = Tensor(TIES).sort(dim, descending, stable=True)
    theirs = torch.tensor(TIES).sort(dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    assert ours.indices.dtype == np.int64 and not ours.indices.requires_grad
    np.testing.assert_array_equal(tg.argsort(Tensor(TIES), dim, descending, stable=True).data,
                                  theirs.indices.numpy())


@pytest.mark.parametrize("k, largest", [(1, True), (3, True), (2, False), (6, False)])
def test_topk_with_ties_gives_torchs_values_and_valid_indices(torch, k, largest):
    x = Tensor(TIES, requires_grad=True)
    ours = x.topk(k, largest=largest)
    theirs = torch.tensor(TIES).topk(k, largest=largest)
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    picked = np.take_along_axis(TIES, ours.indices.data, axis=-1)
    np.testing.assert_array_equal(picked, ours.values.data)
    assert all(len(set(row)) == k for row in ours.indices.data.tolist())   # each index once
    ours.values.sum().backward()                       # the gradient lands on the picked ones
    np.testing.assert_array_equal(x.grad.sum(axis=1), [k, k])
    np.testing.assert_array_equal(np.sort(np.nonzero(x.grad[0])[0]), np.sort(ours.indices.data[0]))


def test_sort_puts_nan_where_torch_does(torch):
    a = A([2.0, np.nan, -1.0, np.nan, 0.5])
    for descending in (False, True):
        ours, theirs = Tensor(a).sort(descending=descending), torch.tensor(a).sort(
            descending=descending, stable=True)
        np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


def test_sort_and_topk_of_ints_and_bools(torch):
    ints = np.array([[3, -1, 3, 0]])
    for x in (ints, ints > 0):
        for ours, theirs in ((Tensor(x).sort(1, True, stable=True),
                              torch.tensor(x).sort(dim=1, descending=True, stable=True)),
                             (Tensor(x).sort(stable=True), torch.tensor(x).sort(stable=True))):
            assert ours.values.dtype == theirs.values.numpy().dtype
            np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
            np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    np.testing.assert_array_equal(Tensor(ints).topk(2).values.data, [[3, 3]])


# --- no gradient, dtypes, integers ---------------------------------------------------------------
def test_logical_not_and_integer_ops_match_torch(torch):
    x = np.array([[0, 2, -3], [1, 0, 0]])
    for a in (x, x.astype(float), x > 0):
        ours, theirs = Tensor(a).logical_not(), torch.tensor(a).logical_not()
        assert ours.dtype == np.bool_ and not ours.requires_grad
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        np.testing.assert_array_equal(tg.logical_not(Tensor(a)).data, theirs.numpy())
    a, b = np.array([7, -7, 7, -7, 0]), np.array([3, 3, -3, -3, 2])
    for name in ("fmod", "remainder"):
        ours = getattr(Tensor(a), name)(Tensor(b))
        theirs = getattr(torch.tensor(a), name)(torch.tensor(b))
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        np.testing.assert_array_equal(getattr(tg, name)(Tensor(a), 2).data,
                                      getattr(torch, name)(torch.tensor(a), 2).numpy())
    assert tg.true_divide(Tensor(a), 2).dtype == np.float64          # as torch's default float
    np.testing.assert_array_equal(Tensor(np.array([[1, 2], [3, 4]])).trace().data, 5)


def test_float32_stays_float32():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    for out in (x.norm(), x.norm(1, 0), x.lerp(x * 2, 0.5), x.fmod(0.7), x.softplus(),
                x.where(x > 0, 0.0), x.sort().values, x.nansum(), x.roll(1), x.mT):
        assert out.dtype == np.float32


def test_fmod_is_exact_where_a_division_would_round():
    a = A([5.3, -5.3, 1e17 + 7, 0.3, -0.0])
    b = A([0.1, 0.1, 3.0, 0.1, 2.0])
    np.testing.assert_array_equal(Tensor(a).fmod(Tensor(b)).data, np.fmod(a, b))
    assert np.signbit(Tensor(a).fmod(2.0).data[-1])                  # -0.0 keeps its sign


def test_fmod_gradient_at_zero_dividend_is_one(torch):
    a, b = Tensor(A([0.0, -0.0, 2.0]), requires_grad=True), Tensor(A([3.0, -3.0, -0.75]),
                                                                  requires_grad=True)
    a.fmod(b).sum().backward()
    ta, tb = torch.tensor(A([0.0, -0.0, 2.0]), requires_grad=True), torch.tensor(
        A([3.0, -3.0, -0.75]), requires_grad=True)
    ta.fmod(tb).sum().backward()
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())
    np.testing.assert_array_equal(b.grad, tb.grad.numpy())


# --- in place: relu_ and exp_ follow add_ (update); detach_ on leaves ------------------------------
def test_relu_and_exp_in_place_are_the_same_tensor_and_torchs_gradient(torch):
    """relu_ then exp_: torch refuses the backward (relu saved its output, which exp_ changed);
    here the update keeps the old value in a tensor of its own, so it gives the true gradient."""
    a = N(3, 4)
    x = Tensor(a, requires_grad=True)
    y = x * 2
    same_y = y.relu_()
    assert same_y is y and y.op == "relu"
    y.exp_().sum().backward()
    t = torch.tensor(a, requires_grad=True)
    ty = (t * 2).relu_().exp()
    ty.sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


def test_in_place_without_a_graph_writes_the_array():
    data = A([-1.0, 0.5, 2.0])
    x = Tensor(data)
    assert x.relu_() is x and x.data is data
    np.testing.assert_array_equal(data, [0.0, 0.5, 2.0])
    x.exp_()
    np.testing.assert_allclose(data, np.exp([0.0, 0.5, 2.0]))


def test_in_place_errors_as_torch():
    leaf = Tensor(N(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="relu_.*leaf.*no_grad"):
        leaf.relu_()
    with pytest.raises(TypeError, match="exp_.*int64"):
        Tensor(np.arange(3)).exp_()
    with tg.no_grad():
        leaf.relu_()
    assert (leaf.data >= 0).all()


def test_detach_in_place(torch):
    x = Tensor(N(3), requires_grad=True)
    assert x.detach_() is x and not x.requires_grad and x.is_leaf
    y = Tensor(N(3), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach_.*mul.*y.detach()"):
        y.detach_()


# --- grad mode: set_grad_enabled as torch (a function and a context manager), inference_mode --
def test_set_grad_enabled_as_a_function_and_a_context_manager(torch):
    x = Tensor(N(2), requires_grad=True)
    try:
        tg.set_grad_enabled(False)
        torch.set_grad_enabled(False)
        assert not tg.is_grad_enabled() and not (x * 2).requires_grad
        assert not torch.is_grad_enabled()
    finally:
        tg.set_grad_enabled(True)
        torch.set_grad_enabled(True)
    assert tg.is_grad_enabled()
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with tg.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    with tg.no_grad(), tg.set_grad_enabled(True):
        assert (x * 2).requires_grad

    @tg.set_grad_enabled(False)
    def f():
        return (x * 2).requires_grad
    assert tg.is_grad_enabled() and f() is False and tg.is_grad_enabled()
    with pytest.raises(TypeError, match="set_grad_enabled: mode='no'"):
        tg.set_grad_enabled("no")


def test_inference_mode_as_no_grad():
    x = Tensor(N(2), requires_grad=True)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with tg.inference_mode(False):
        assert (x * 2).requires_grad
    with tg.no_grad(), tg.inference_mode(False):
        assert not tg.is_grad_enabled()          # False changes nothing, as torch

    @tg.inference_mode
    def bare():
        return tg.is_grad_enabled()

    @tg.inference_mode()
    def called():
        return tg.is_grad_enabled()
    assert bare() is False and called() is False and tg.is_grad_enabled()


# --- errors name the op, the shapes and the fix ---------------------------------------------------
X = Tensor(np.zeros((2, 3)))


@pytest.mark.parametrize("call, kind, match", [
    (lambda: Tensor(np.zeros(3)).mT, ValueError, r"mT: input \(3,\) has 1 dims"),
    (lambda: X.select(2, 0), IndexError, r"select: dim 2 is out of range for input \(2, 3\)"),
    (lambda: X.select(1, 3), IndexError, r"select: index 3 .*size 3.* -3..2"),
    (lambda: X.select(0.5, 0), TypeError, r"select: dim: 0.5"),
    (lambda: Tensor(1.0).select(0, 0), IndexError, r"select: input \(\) is 0-d"),
    (lambda: X.narrow(1, 2, 2), ValueError, r"narrow: start 2 \+ length 2 .*size 3"),
    (lambda: X.narrow(1, -4, 1), IndexError, r"narrow: start -4"),
    (lambda: X.index_select(0, [2]), IndexError, r"index_select: index \[2\] .* 0..1"),
    (lambda: X.index_select(0, [-1]), IndexError, r"index_select: index \[-1\]"),
    (lambda: X.index_select(0, [[0]]), ValueError, r"index_select: index int64 \(1, 1\).*1-D"),
    (lambda: X.index_select(0, [0.0]), ValueError, r"index_select: index float64"),
    (lambda: X.unbind(-3), IndexError, r"unbind: dim -3"),
    (lambda: X.roll((1, 2)), ValueError, r"roll: shifts \(1, 2\) without dims"),
    (lambda: X.roll((1, 2), (0,)), ValueError, r"roll: 2 shifts .* 1 dims"),
    (lambda: X.roll(1, 5), IndexError, r"roll: dim 5"),
    (lambda: Tensor(np.zeros(3)).diagonal(), ValueError, r"diagonal: input \(3,\) has 1 dims"),
    (lambda: X.diagonal(0, 1, -1), ValueError, r"diagonal: dim1=1 and dim2=-1 are the same"),
    (lambda: Tensor(np.zeros((2, 2, 2))).trace(), ValueError, r"trace: input \(2, 2, 2\)"),
    (lambda: Tensor(np.zeros(2)).outer(np.zeros((2, 2))), ValueError,
     r"outer: \(2,\) and \(2, 2\): both must be 1-D"),
    (lambda: X.norm("nuc"), ValueError, r"norm: p='nuc'"),
    (lambda: Tensor(np.arange(3)).norm(), TypeError, r"norm: input int64 \(3,\).*double"),
    (lambda: X.norm(2, 2), ValueError, r"norm: axis 2 is out of range"),
    (lambda: X.topk(4), ValueError, r"topk: k=4 .*size 3.* 0 <= k <= 3"),
    (lambda: X.topk(1, 2), IndexError, r"topk: dim 2"),
    (lambda: X.sort(-3), IndexError, r"argsort: dim -3"),
    (lambda: X.where(np.ones(3, bool), np.zeros(4)), ValueError, r"where: shapes"),
    (lambda: X.lerp(np.zeros(4), 0.5), ValueError, r"sub: shapes \(4,\) and \(2, 3\)"),
    (lambda: X.expand_as(np.zeros(4)), ValueError, r"broadcast|expand"),
    (lambda: Tensor(np.array([1, 2])).fmod(0), ZeroDivisionError, r"remainder: integer division"),
])
def test_bad_arguments_raise_naming_the_op(call, kind, match):
    with pytest.raises(kind, match=match):
        call()
