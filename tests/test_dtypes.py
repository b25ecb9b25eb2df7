"""The dtype rules (engine/dtypes.py), checked against PyTorch: weak Python numbers, list kinds,
int/bool promotion to the default float, float32 kept, float32 x float64 promoted, and gradients
that keep their input's dtype (the engine raises if a backward changes it)."""
import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.functional as F
from tinygrad_bn import Tensor
from tinygrad_bn.engine import Op, OPS, apply

INT = np.array([4, 9, 0, 3])
MASK = np.array([1.0, -1.0, 2.0, 0.0]) > 0
F32 = np.array([1.5, -2.0, 0.25, 3.0], dtype=np.float32)

# (id, expression); `T` builds a tensor: Tensor for ours, torch.as_tensor for torch's
CASES = [
    ("int*float", lambda T: T(INT) * 0.5),
    ("int**float", lambda T: T(INT) ** 0.5),
    ("int**int", lambda T: T(INT) ** 2),
    ("int/int", lambda T: T(INT) / T(np.array([2, 4, 1, 3]))),
    ("int/number", lambda T: T(INT) / 2),
    ("number/int", lambda T: 1 / (T(INT) + 1)),
    ("int+int-number", lambda T: T(INT) + 1),
    ("int-float", lambda T: T(INT) - 0.25),
    ("bool*float", lambda T: T(MASK) * 2.0),
    ("bool*int", lambda T: T(MASK) * 2),
    ("bool+bool-number", lambda T: T(MASK) + True),
    ("uint8+int", lambda T: T(INT.astype(np.uint8)) + 1),
    ("uint8*float", lambda T: T(INT.astype(np.uint8)) * 0.5),
    ("int*float32", lambda T: T(INT) * T(F32)),
    ("f32*float", lambda T: T(F32) * 0.1),
    ("f32/int", lambda T: T(F32) / 3),
    ("f32**float", lambda T: T(np.abs(F32)) ** 0.5),
    ("f32*0d-f64", lambda T: T(F32) * T(np.array(2.0))),
    ("int*0d-f32", lambda T: T(INT) * T(np.array(2.0, dtype=np.float32))),
    ("f32*f64", lambda T: T(F32) * T(F32.astype(np.float64))),
    ("maximum-int-float", lambda T: T(INT).maximum(T(np.array(0.5)))),
    ("minimum-f32-int", lambda T: T(F32).minimum(T(INT))),
    ("sqrt-int", lambda T: T(INT).sqrt()),
    ("exp-bool", lambda T: T(MASK).exp()),
    ("sum-int", lambda T: T(INT).sum()),
    ("neg-int", lambda T: -T(INT)),
]


def test_numbers_and_lists_take_the_documented_dtypes():
    assert list((Tensor(np.arange(4)) * 0.5).data) == [0.0, 0.5, 1.0, 1.5]
    assert list((Tensor([4, 9]) ** 0.5).data) == [2.0, 3.0]
    assert list(((Tensor([1.0, -1.0]) > 0) * 2.0).data) == [2.0, 0.0]
    assert list(tg.maximum(Tensor([0, 1]), 0.5).data) == [0.5, 1.0]
    assert (Tensor(np.arange(4)) * 0.5).dtype == tg.get_default_dtype()


@pytest.fixture
def torch64(torch):
    """torch with float64 as its default dtype, as ours (restored after the test)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(previous)


@pytest.mark.filterwarnings("ignore:mul. mixing float32")     # f32*f64: tested below
@pytest.mark.parametrize("expr", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_result_dtype_and_values_match_torch(expr, torch64):
    ours, theirs = expr(Tensor), expr(torch64.as_tensor).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.data, theirs, rtol=1e-6)


@pytest.mark.parametrize("default", [np.float32, np.float64])
def test_int_with_a_float_number_gives_the_default_float(default, torch):
    previous, torch_previous = tg.get_default_dtype(), torch.get_default_dtype()
    tg.set_default_dtype(default)
    torch.set_default_dtype(getattr(torch, np.dtype(default).name))
    try:
        for expr in (lambda T: T(INT) * 0.5, lambda T: T(INT) / 2, lambda T: T(INT).sqrt(),
                     lambda T: T(MASK) * 2.5, lambda T: T(INT) ** 0.5):
            assert expr(Tensor).dtype == default == expr(torch.as_tensor).numpy().dtype
        assert Tensor([1.5]).dtype == default == torch.tensor([1.5]).numpy().dtype
    finally:
        tg.set_default_dtype(previous)
        torch.set_default_dtype(torch_previous)


@pytest.mark.parametrize("data", [[0, 2], [True, False], [1.5, 2], [[1, 2], [3, 4]], 3, 2.5,
                                  True, [], [True, 2]], ids=str)
def test_lists_and_numbers_keep_their_kind_as_torch_tensor(data, torch64):
    assert Tensor(data).dtype == torch64.tensor(data).numpy().dtype


def test_arrays_keep_their_dtype_and_are_shared():
    a = np.arange(3, dtype=np.int32)
    assert Tensor(a).dtype == np.int32 and Tensor(a).data is a
    assert Tensor(np.float32(2.0)).dtype == np.float32


def test_int_labels_and_indices_from_lists_work():
    logits = Tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    loss = F.cross_entropy(logits, Tensor([0, 2]))
    loss.backward()
    assert logits.grad.shape == (2, 3)
    assert list(Tensor([10.0, 11.0, 12.0])[Tensor([0, 2])].data) == [10.0, 12.0]
    assert list(Tensor([10.0, 11.0, 12.0])[Tensor([True, False, True])].data) == [10.0, 12.0]


@pytest.mark.parametrize("make", [lambda: Tensor([1j]), lambda: Tensor(np.array([1 + 2j])),
                                  lambda: Tensor([1.0]) * 1j, lambda: Tensor([1.0]) + np.ones(1, complex),
                                  lambda: tg.maximum(Tensor([1.0]), 2j)],
                         ids=["list", "array", "number", "array-operand", "maximum"])
def test_complex_values_raise_instead_of_becoming_zero(make):
    with pytest.raises(TypeError, match="complex128; tensors hold real numbers"):
        make()


def test_float32_mixed_with_float64_promotes_like_torch_and_grads_keep_their_dtype(torch):
    x = Tensor(F32, requires_grad=True)
    y = Tensor(F32.astype(np.float64) + 1, requires_grad=True)
    with pytest.warns(UserWarning, match="mul: mixing float32 .4,. with float64 gives float64"):
        out = x * y
    assert out.dtype == np.float64 and out.op == "mul" and x.dtype == np.float32
    out.sum().backward()
    tx, ty = (torch.tensor(a, requires_grad=True) for a in (F32, F32.astype(np.float64) + 1))
    (tx * ty).sum().backward()
    assert x.grad.dtype == np.float32 and y.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-6)


def test_a_scalar_tensor_does_not_widen_float32():
    """Like torch, a 0-d float64 tensor (a loss, a mean) times a float32 batch stays float32."""
    x = Tensor(F32, requires_grad=True)
    s = Tensor(np.array(2.0), requires_grad=True)
    out = (x * s).sum()
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float64
    assert s.grad == pytest.approx(float(F32.sum()), rel=1e-6)


@pytest.mark.parametrize("op", ["max", "min", "maximum", "minimum", "mean", "var", "sigmoid", "div"])
def test_float32_gradients_are_computed_in_float32(op):
    """No op computes a float64 gradient for a float32 input (the engine would raise if one did)."""
    x = Tensor(np.array([[1.0, 3.0], [3.0, 0.5]], dtype=np.float32), requires_grad=True)
    fn = {"maximum": lambda t: tg.maximum(t, 1.0), "minimum": lambda t: tg.minimum(t, 1.0),
          "div": lambda t: 1 / t}.get(op, lambda t: getattr(t, op)())
    fn(x).sum().backward()
    assert x.grad.dtype == np.float32


def test_a_backward_that_changes_the_dtype_raises_naming_the_op():
    class Sloppy(Op):
        """out = 2 x, with a backward that returns float64."""
        name = "test_sloppy"
        rule = "dx = 2 g"

        @staticmethod
        def forward(x, *, needs_input_grad):
            return 2 * x, {}

        @staticmethod
        def backward(g, saved, needs_input_grad):
            return 2 * g.astype(np.float64)

    try:
        x = Tensor(F32, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"test_sloppy: backward returned a float64 gradient "
                                               r"for input 0 \(float32 \(4,\)\)"):
            apply(Sloppy, x).sum().backward()
    finally:
        del OPS["test_sloppy"]


def test_astype_is_recorded_and_sends_the_gradient_back_in_the_input_dtype():
    x = Tensor(F32, requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.op == "cast"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 2 * F32)
    assert x.astype(np.int64).requires_grad is False


def test_result_type_follows_the_three_tiers():
    rt = tg.engine.result_type
    assert rt(np.ones(2, np.float32), 0.5) == np.float32
    assert rt(np.ones(2, np.int64), 0.5) == tg.get_default_dtype()
    assert rt(np.ones(2, np.int8), 300) == np.int8          # weak int: the tensor's width
    assert rt(np.ones(2, np.int64), np.array(2.0, np.float32)) == np.float32
    assert rt(np.ones(2, np.float32), np.array(2.0)) == np.float32
    assert rt(np.ones(2, np.float32), np.ones(2)) == np.float64
    assert rt(np.ones(2, np.int64), np.ones(2, np.float32)) == np.float32     # torch, not NumPy
    assert rt(np.ones(2, np.int64), 3, floating=True) == tg.get_default_dtype()


def test_eq_and_ne_are_elementwise_bool_tensors_as_torch(torch):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])
    for ours, theirs in (((Tensor(a) == Tensor(b)), torch.tensor(a) == torch.tensor(b)),
                         ((Tensor(a) != Tensor(b)), torch.tensor(a) != torch.tensor(b)),
                         ((Tensor(a) == 2), torch.tensor(a) == 2),
                         ((Tensor([1, 2, 3]) != 2.0), torch.tensor([1, 2, 3]) != 2.0),
                         ((b == Tensor(a)), torch.tensor(b) == torch.tensor(a))):
        assert isinstance(ours, Tensor) and ours.dtype == np.bool_
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert (Tensor(a) == None) is False and (Tensor(a) != "x") is True     # noqa: E711


def test_tensors_stay_hashable_by_identity():
    x, y = Tensor([1.0]), Tensor([1.0])
    assert len({x, y}) == 2 and {x: 1, y: 2}[y] == 2 and hash(x) == object.__hash__(x)
    assert [t for t in (x, y) if t is y] == [y]


def test_bool_of_one_element_and_the_error_for_more(torch):
    assert bool(Tensor([2.0]) > 1) and not Tensor(0.0) and bool(Tensor([[True]]))
    assert bool(torch.tensor([2.0]) > 1)
    with pytest.raises(ValueError, match=r"bool: the truth value of a tensor of shape \(3,\) is "
                                         "ambiguous; reduce it first"):
        bool(Tensor([1.0, 2.0, 3.0]) == 1)
    with pytest.raises(ValueError, match="ambiguous"):
        if Tensor([]):
            pass
