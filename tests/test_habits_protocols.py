"""Python and NumPy protocols a PyTorch user relies on, each checked against torch: numbers out
of one-element tensors, format specs, np.asarray, abs/+/%, bitwise masks, list operands,
iteration, ndarray subclasses, pickling, retain_grad, the bare @no_grad, warnings' lines."""
import pickle
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, gradcheck


def test_numbers_from_one_element_tensors_as_torch(torch):
    for value in ([2.75], -2.75, [[3.0]]):
        ours, theirs = Tensor(value), torch.tensor(value)
        assert float(ours) == float(theirs) and int(ours) == int(theirs)
    assert f"{Tensor(2.0) / 3:.3f}" == f"{torch.tensor(2.0) / 3:.3f}" == "0.667"
    assert f"{Tensor([1.0, 2.0])}" == str(Tensor([1.0, 2.0]))     # no spec: str, as torch
    for convert in (float, int, lambda t: f"{t:.2f}"):
        with pytest.raises((ValueError, TypeError)):
            convert(torch.tensor([1.0, 2.0]))
        with pytest.raises(ValueError, match="only one-element tensors convert"):
            convert(Tensor([1.0, 2.0]))


def test_int_tensors_are_indices_as_torch(torch):
    assert list(range(Tensor(3))) == list(range(torch.tensor(3))) == [0, 1, 2]
    assert [10, 20, 30][Tensor([1])] == 20
    with pytest.raises(TypeError, match="only integer tensors of one element"):
        [10, 20][Tensor(1.0)]


def test_np_asarray_is_the_data():
    t = Tensor([[1.0, 2.0]])
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert np.array(t).tolist() == [[1.0, 2.0]]


def test_abs_pos_and_remainder_as_torch(torch):
    a, b = np.array([-3.0, 3.0, -3.0, 3.0, 5.5, -7.25]), np.array([2.0, -2.0, 2.5, 2.5, -1.5, 4.0])
    ours, theirs = Tensor(a) % Tensor(b), torch.tensor(a) % torch.tensor(b)
    np.testing.assert_array_equal(ours.data, theirs.numpy())      # sign of the divisor
    np.testing.assert_array_equal((Tensor([-3, 3, 7]) % 2).data,
                                  (torch.tensor([-3, 3, 7]) % 2).numpy())
    np.testing.assert_array_equal((5.0 % Tensor([-3.0, 3.0])).data,
                                  (5.0 % torch.tensor([-3.0, 3.0])).numpy())
    assert abs(Tensor([-1.5, 2.0])).data.tolist() == [1.5, 2.0]
    t = Tensor([1.0])
    assert +t is t


def test_remainder_gradients_as_torch(torch):
    a, b = np.array([-3.2, 3.5, 7.1]), np.array([2.0, -2.0, 1.5])
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (x % y).sum().backward()
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (tx % ty).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy())
    np.testing.assert_allclose(y.grad, ty.grad.numpy())
    assert gradcheck(lambda p, q: p % q, Tensor(a, requires_grad=True),
                     Tensor(b, requires_grad=True))


def test_bitwise_operators_on_bool_and_int_tensors_as_torch(torch):
    m, n = [True, False, True], [True, True, False]
    for op in (lambda a, b: a & b, lambda a, b: a | b, lambda a, b: a ^ b, lambda a, b: ~a,
               lambda a, b: a & True, lambda a, b: False | a):
        ours, theirs = op(Tensor(m), Tensor(n)), op(torch.tensor(m), torch.tensor(n))
        assert ours.data.tolist() == theirs.tolist()
    i = [5, 3, -2]
    for op in (lambda a: ~a, lambda a: a & 1, lambda a: a | 8, lambda a: a ^ 6):
        assert op(Tensor(i)).data.tolist() == op(torch.tensor(i)).tolist()
    x = Tensor([0.5, 2.0])
    assert ((x > 0) & (x < 1)).data.tolist() == [True, False]
    with pytest.raises(TypeError, match="bitwise operators take bool or int"):
        ~x


def test_a_list_operand_works_with_the_list_kept_as_its_kind():
    t = Tensor([1.0, 2.0], requires_grad=True)
    out = t + [1, 2]
    assert out.data.tolist() == [2.0, 4.0] and out.dtype == np.float64
    assert ([10, 20] - Tensor([1, 2])).data.tolist() == [9, 18]
    out.sum().backward()
    assert t.grad.tolist() == [1.0, 1.0]


def test_iteration_as_torch(torch):
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(torch.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(Tensor(1.0))
    rows = list(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert [r.data.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.filterwarnings("ignore:the matrix subclass")
def test_ndarray_subclasses_become_plain_arrays_and_masked_arrays_are_refused():
    m = Tensor(np.matrix([[1.0, 2.0], [3.0, 4.0]]))
    assert type(m.data) is np.ndarray
    assert (m * m).data.tolist() == [[1.0, 4.0], [9.0, 16.0]]      # elementwise, as torch
    with pytest.raises(TypeError, match=r"masked array \(2,\) would lose its mask.*filled"):
        Tensor(np.ma.masked_array([1.0, 2.0], mask=[False, True]))


def test_pickling_a_non_leaf_gives_a_leaf_that_requires_grad_as_torch(torch):
    w = Tensor([1.0, 2.0], requires_grad=True)
    back = pickle.loads(pickle.dumps((w * 2).named("h")))
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    tback = pickle.loads(pickle.dumps(tw * 2))
    assert (back.requires_grad, back.is_leaf) == (tback.requires_grad, tback.is_leaf)
    assert (back.requires_grad, back.is_leaf) == (True, True)
    assert back.data.tolist() == tback.tolist() and back.name == "h"


def test_retain_grad_as_torch(torch):
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2
    assert h.retain_grad() is None and h.retains_grad and not w.retains_grad
    (h * h).sum().backward()
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    th = tw * 2
    th.retain_grad()
    (th * th).sum().backward()
    np.testing.assert_allclose(h.grad, th.grad.numpy())
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).retain_grad()


def test_no_grad_as_a_bare_decorator_and_with_parentheses():
    @tg.no_grad
    def bare(x):
        return x * 2

    @tg.no_grad()
    def called(x):
        return x * 2

    x = Tensor([1.0], requires_grad=True)
    assert not bare(x).requires_grad and not called(x).requires_grad
    assert (x * 2).requires_grad and tg.is_grad_enabled()


def test_numpy_warnings_inside_ops_point_at_the_users_line():
    x = Tensor([0.0, -1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (1.0 / x).log()                          # divide by zero, then log of a negative
    assert [str(w.message) for w in caught] == ["div: divide by zero encountered",
                                                "log: invalid value encountered"]
    assert {w.filename for w in caught} == {__file__}
    with np.errstate(divide="raise"):           # the user's own settings stay
        with pytest.raises(FloatingPointError):
            1.0 / x
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        (1.0 / x).log()
