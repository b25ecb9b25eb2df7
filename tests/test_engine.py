"""The engine's promises: accumulation, release, tapes and steps, grad mode, read-only saved arrays,
memory, dtypes, operators, depth without recursion, and gradcheck itself."""
import threading
import warnings
import weakref

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tape, Tensor, gradcheck, no_grad
from tinygrad_bn.gradcheck import GradcheckError
from tinygrad_bn.engine.ops import OPS, Op
from tinygrad_bn.engine import apply


def leaf(*values, name=None):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, name=name)


# --- accumulation ------------------------------------------------------------------------------
def test_x_times_x_counts_both_inputs():
    x = leaf(3.0)
    (x * x).sum().backward()
    assert x.grad.tolist() == [6.0]


def test_x_plus_x_and_doubling_twice():
    x = leaf(1.0, 2.0)
    (x + x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    a = leaf(5.0)
    b = a + a
    c = b + b
    c.sum().backward()
    assert a.grad.tolist() == [4.0] and b.grad.tolist() == [2.0]


def test_reused_subexpression_gets_every_path():
    x = leaf(0.5, -1.0)
    y = x * 2
    z = (y * y + y).sum()        # dz/dx = (2y + 1) * 2
    z.backward()
    np.testing.assert_array_equal(x.grad, (2 * y.data + 1) * 2)
    np.testing.assert_array_equal(y.grad, 2 * y.data + 1)


def test_identity_grads_are_not_mutated():
    """add returns g itself: accumulating in place would change the caller's array."""
    x = leaf(1.0, 2.0, 3.0)
    a = x * 1.0
    v = np.array([1.0, 2.0, 3.0])
    ((a + a) + a).backward(v)
    assert v.tolist() == [1.0, 2.0, 3.0]
    assert x.grad.tolist() == [3.0, 6.0, 9.0]


def test_leaf_grads_accumulate_across_backward_calls():
    x = leaf(1.0, 2.0)
    (x * x).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    assert first.tolist() == [2.0, 4.0]        # the array the user kept is not changed


def test_intermediate_grad_is_set_not_accumulated():
    x = leaf(1.0, 2.0)
    y = x * 3
    loss = (y * y).sum()
    loss.backward(retain_graph=True)
    dy = y.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(y.grad, dy)
    np.testing.assert_array_equal(x.grad, 2 * dy * 3)
    assert loss.grad == 1.0


def test_unused_leaf_has_no_grad():
    x, w = leaf(1.0), leaf(2.0)
    (x * 2).sum().backward()
    assert w.grad is None


# --- release and retain_graph ------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda x: (x * x).sum(), lambda x: x + x],
                         ids=["saved-arrays", "saved-nothing"])
def test_second_backward_through_released_records_raises(make):
    x = leaf(2.0)
    loss = make(x)
    loss.backward()
    first = x.grad.copy()
    with pytest.raises(RuntimeError, match="released.*retain_graph=True"):
        loss.backward()
    assert np.array_equal(x.grad, first)       # the failed backward added nothing


def test_retain_graph_allows_a_second_backward():
    x = leaf(2.0)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert x.grad.tolist() == [8.0]
    assert loss.record.released               # the second (non-retaining) backward released it


def test_non_scalar_backward_needs_a_grad():
    y = leaf(1.0, 2.0) * 2
    with pytest.raises(RuntimeError, match=r"not a scalar.*\(2,\)"):
        y.backward()


def test_wrong_grad_shape_raises():
    y = leaf(1.0, 2.0) * 2
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(np.ones(3))


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).sum().backward()


def test_backward_from_a_leaf_seeds_its_grad():
    x = leaf(4.0)
    x.backward(np.array([2.0]))
    assert x.grad.tolist() == [2.0]


# --- tapes, records, steps ---------------------------------------------------------------------
def test_tape_lists_records_in_order_and_nests():
    x, w = leaf(1.0, 2.0, name="x"), leaf(3.0, name="w")
    with Tape() as outer:
        h = x * w
        with Tape() as inner:
            out = (h + 1.0).sum()
    assert [r.op for r in outer] == ["mul", "add", "sum"]
    assert [r.op for r in inner] == ["add", "sum"] and len(inner) == 2 and len(outer) == 3
    assert outer[1] is inner[0]
    r = outer[0]
    assert r.inputs == (x, w) and r.output is h and h.record is r and h.op == "mul"
    assert r.rule == OPS["mul"].rule and r.attrs == {}
    assert set(r.saved) == {"a", "b"} and r.saved["a"] is x.data
    assert outer[0].index < outer[1].index < outer[2].index
    assert outer[2].attrs == {"axis": None, "keepdims": False} and out.record is outer[2]
    assert r.nbytes == x.data.nbytes + w.data.nbytes == outer.nbytes
    assert inner.nbytes == 0 and "r" in repr(r) and "3 records" in repr(outer)


def test_tape_nbytes_counts_shared_arrays_once():
    x = leaf(*range(4))
    with Tape() as tape:
        (x * x).sum()
    assert tape.nbytes == x.data.nbytes and tape[0].nbytes == 2 * x.data.nbytes


def test_tape_str_is_a_wengert_listing():
    x = leaf(1.0, name="x")
    with Tape() as tape:
        y = (x * 2.0).named("y")
        y.sum(axis=0)
    lines = str(tape).splitlines()
    assert len(lines) == 2
    assert lines[0] == "r0: y = mul(x, 2)"          # numbered in the tape's order, from r0
    assert lines[1] == "r1: t3 = sum(y, axis=0, keepdims=False)"


def make_graph():
    """Same values every call: a small graph with fan-out, broadcasting and a reduction."""
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True, name="x")
    w = Tensor(rng.standard_normal((3,)), requires_grad=True, name="w")
    h = (x * w).tanh()
    loss = ((h - h.mean(axis=0)) ** 2).mean() + (w * w).sum()
    return x, w, h, loss


def test_backward_steps_drained_give_torchs_gradients(torch):
    """Draining the steps (what backward() does) gives PyTorch's gradients, leaves and h alike."""
    x2, w2, h2, loss2 = make_graph()
    steps = list(tg.engine.backward_steps(loss2))
    xt, wt = (torch.tensor(t.data, requires_grad=True) for t in (x2, w2))
    ht = (xt * wt).tanh()
    ht.retain_grad()
    (((ht - ht.mean(axis=0)) ** 2).mean() + (wt * wt).sum()).backward()
    for ours, theirs in ((x2, xt), (w2, wt), (h2, ht)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-15)
    indices = [s.record.index for s in steps]
    assert indices == sorted(indices, reverse=True) and len(steps) == len(set(indices))
    for s in steps:
        assert s.rule == s.record.rule and len(s.grad_inputs) == len(s.record.inputs)
        assert s.grad_output.shape == s.record.output.shape
        for t, g in zip(s.record.inputs, s.grad_inputs):
            assert g is None or g.shape == t.shape
    mul = next(s for s in steps if s.record.op == "mul" and s.record.inputs[0] is x2)
    assert mul.reduced_axes == ((), (0,))      # w (3,) was broadcast over the rows of x
    assert "mul" in repr(mul)


def random_graph(seed):
    """A random graph, the same for one seed: leaves used several times (fan-out and fan-in),
    broadcasting (1,) and (3,) against (4, 3), constants, unary ops, reductions, a tensor used
    twice by one op (x * x), intermediates that do not reach the loss; returns (tensors, loss)."""
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (3,), (1,), (4, 1)]
    leaves = [Tensor(rng.standard_normal(shapes[k % 4]), requires_grad=bool(k % 5), name=f"l{k}")
              for k in range(6)]
    nodes = list(leaves)
    for _ in range(rng.integers(5, 25)):
        a, b = (nodes[i] for i in rng.integers(0, len(nodes), 2))
        kind = rng.integers(0, 8)
        node = (a + b if kind == 0 else a * b if kind == 1 else a - b if kind == 2 else
                a * a if kind == 3 else (a * 0.5).tanh() if kind == 4 else a.exp() * 0.1 if kind == 5
                else a.sum(axis=0, keepdims=True) if kind == 6 and a.ndim == 2 else 2.0 - a)
        nodes.append(node)
    loss = sum((n * float(k + 1)).sum() for k, n in enumerate(nodes[-4:]) if n.requires_grad)
    return nodes, loss


@pytest.mark.parametrize("seed", range(40))
def test_backward_and_drained_backward_steps_agree_bitwise_on_random_graphs(seed):
    """backward() runs the walk without building Steps; draining backward_steps() must give
    every tensor the very same .grad, bit for bit (leaves accumulate over two backwards)."""
    results = []
    for drain in (False, True):
        nodes, loss = random_graph(seed)
        if not isinstance(loss, Tensor):
            pytest.skip("this seed drew no node that needs a gradient")
        for _ in range(2):
            if drain:
                steps = list(tg.engine.backward_steps(loss, retain_graph=True))
                assert len(steps) == len({s.record.index for s in steps})
            else:
                loss.backward(retain_graph=True)
        results.append([n.grad for n in nodes])
    for a, b in zip(*results):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and np.array_equal(a, b)


def test_backward_steps_after_the_tape_block_ended():
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal((3,)), requires_grad=True)
    with Tape() as tape:
        h = (x * w).tanh()
    loss = ((h - h.mean(axis=0)) ** 2).mean() + (w * w).sum()     # after the block
    steps = list(tape.backward_steps(loss))
    hd = h.data                  # by hand: dloss/dh = 2 (h - column mean) / 12 (centering drops out)
    dx = 2 * (hd - hd.mean(axis=0)) / hd.size * (1 - hd ** 2) * w.data
    np.testing.assert_allclose(x.grad, dx, rtol=1e-12, atol=1e-15)
    assert len(steps) > len(tape) == 2


def test_tape_backward_is_loss_backward():
    x = leaf(1.0, 2.0)
    with Tape() as tape:
        loss = (x * x).sum()
    tape.backward(loss)
    assert x.grad.tolist() == [2.0, 4.0]


def test_steps_skip_records_off_the_path():
    x = leaf(1.0)
    with Tape() as tape:
        side = x * 5
        loss = (x * 2).sum()
    steps = list(tape.backward_steps(loss))
    assert [s.record.op for s in steps] == ["sum", "mul"] and side.grad is None


# --- grad mode ---------------------------------------------------------------------------------
def test_no_grad_context_records_nothing():
    x = leaf(1.0)
    with Tape() as tape, no_grad():
        y = x * 2
        assert not tg.is_grad_enabled()
        with tg.enable_grad():
            z = x * 3
    assert y.record is None and not y.requires_grad
    assert z.requires_grad and [r.op for r in tape] == ["mul"] and tg.is_grad_enabled()


def test_no_grad_decorator_records_nothing():
    @no_grad()
    def double(t):
        return t * 2

    x = leaf(1.0)
    with Tape() as tape:
        y = double(x)
    assert len(tape) == 0 and y.record is None and tg.is_grad_enabled()


def test_grad_mode_and_tapes_are_per_thread():
    seen = []
    with Tape() as tape, no_grad():
        worker = threading.Thread(target=lambda: seen.append((leaf(1.0) * 2).requires_grad))
        worker.start()
        worker.join()
    assert seen == [True] and len(tape) == 0


# --- read-only saved arrays and memory ---------------------------------------------------------
def test_saved_arrays_are_read_only_until_backward():
    data = np.array([1.0, 2.0])
    x = Tensor(data, requires_grad=True)
    loss = (x * x).sum()
    with pytest.raises(ValueError, match="read-only"):
        data[0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        x.data[1:][0] = 5.0                    # a view of a saved array
    loss.backward()
    data[0] = 5.0
    assert x.data[0] == 5.0


def test_saved_views_writable_again_after_backward():
    """A tensor whose data is a view (a slice of a bigger array) can be updated in place later."""
    base = np.arange(6.0)
    x = Tensor(base[2:], requires_grad=True)
    loss = (x * x).sum()
    with pytest.raises(ValueError, match="read-only"):
        base[3] = 0.0
    loss.backward()
    x.data -= 0.25 * x.grad                     # what an optimizer step does: x - x/2
    assert base.tolist() == [0.0, 1.0, 1.0, 1.5, 2.0, 2.5]


def test_saved_arrays_writable_again_when_the_graph_is_dropped():
    data = np.array([1.0, 2.0])
    x = Tensor(data, requires_grad=True)
    y = x.exp() * x                             # two records save data
    z = x * Tensor([3.0, 3.0], requires_grad=True)    # and a third (x * 3 would not: see below)
    del y
    assert not data.flags.writeable            # z's record still holds it
    del z
    data[0] = 0.0


def test_read_only_inputs_stay_read_only():
    """The engine unlocks only what it locked: a user's read-only array is never made writable."""
    data = np.array([1.0, 2.0])
    data.flags.writeable = False
    x = Tensor(data, requires_grad=True)
    (x * x).sum().backward()
    assert not data.flags.writeable and x.grad.tolist() == [2.0, 4.0]


def test_graph_dropped_without_backward_is_freed():
    x = leaf(1.0, 2.0)
    y = (x * x).exp().sum()
    records = [weakref.ref(y.record), weakref.ref(y.record.inputs[0].record)]
    del y                                       # no gc.collect(): no cycles keep records alive
    assert all(r() is None for r in records)


def test_backward_frees_saved_arrays():
    x = leaf(1.0, 2.0)
    with Tape() as tape:
        loss = (x * x).sum()
    assert tape.nbytes > 0
    loss.backward()
    assert tape.nbytes == 0 and all(r.released and r.saved is None for r in tape)


# --- dtypes and operators ----------------------------------------------------------------------
def test_float32_stays_float32_through_ops_and_grads():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no float64 sneaks in and triggers the mix warning
        with Tape() as tape:
            h = (x @ w).sigmoid() * 2.0 - 1 / (1 + x.max(axis=1, keepdims=True) ** 2)
            loss = (h.var(axis=0) + h.mean() + x[1:, 0].abs().sum() + x.abs().sqrt().clip(0.1)[0, 0]
                    + tg.maximum(h, 0.0).sum() / 3).sum()
        steps = list(tape.backward_steps(loss))
    assert all(r.output.dtype == np.float32 for r in tape)
    assert all(s.grad_output.dtype == np.float32 for s in steps)
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_lists_and_numbers_keep_their_kind():
    assert Tensor([1, 2]).dtype == np.int64 and Tensor(3).dtype == np.int64
    assert Tensor([True, False]).dtype == np.bool_ and Tensor([1, 2.5]).dtype == np.float64
    assert Tensor([[1.5]]).dtype == np.float64
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32


def test_numbers_and_arrays_on_either_side_give_tensors():
    x = leaf(1.0, 2.0)
    for y in (1 - x, 2 / x, np.ones(2) + x, np.ones(2) * x, np.ones((3, 2)) @ x, 2 ** x, x ** 2):
        assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_allclose((1 - x).data, [0.0, -1.0])
    np.testing.assert_allclose((2 / x).data, [2.0, 1.0])
    np.testing.assert_allclose((2 ** x).data, [2.0, 4.0])


def test_repr_shows_name_shape_op_and_small_values():
    x = leaf(1.0, 2.0, name="x")
    text = repr(x * 2)
    assert "shape=(2,)" in text and "op=mul" in text and "2., 4." in text
    assert "name='x'" in repr(x) and "requires_grad=True" in repr(x)
    assert "data=" not in repr(Tensor(np.zeros(100)))


def test_tensor_helpers():
    x = leaf(1.0, 2.0, name="x")
    d = x.detach()
    assert d.data is x.data and not d.requires_grad and d.is_leaf and x.numpy() is x.data
    assert (x.sum()).item() == 3.0 and len(x) == 2 and x.ndim == 1 and x.size == 2
    assert (x * 2).named("y").name == "y" and (x < 2).data.tolist() == [True, False]
    with pytest.raises(ValueError, match="item"):
        x.item()
    assert Tensor(x).data is x.data
    m = Tensor(np.arange(6.0))
    assert m.reshape((2, 3)).shape == (2, 3) and m.reshape(3, 2).transpose((1, 0)).shape == (2, 3)


# --- depth -------------------------------------------------------------------------------------
def test_100k_op_chain_without_recursion_error():
    from benchmarks.deep_chain import chain
    assert chain(100_000) == 1.0


def test_deep_chain_benchmark_smoke(capsys):
    from benchmarks.deep_chain import main
    results = main(sizes=(10, 20), repeats=1)
    assert [set(t) for t in results.values()] == [{10, 20}, {10, 20}]
    assert "ratio 20/10" in capsys.readouterr().out


# --- gradcheck ---------------------------------------------------------------------------------
def test_gradcheck_passes_correct_functions():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    w = Tensor(np.random.default_rng(1).standard_normal((2, 4)), requires_grad=True)
    assert gradcheck(lambda x, w: (x @ w).tanh().sum(axis=0), x, w) is True


@pytest.fixture
def wrong_square():
    """A test-only primitive whose backward forgets the factor 2; removed from OPS afterwards."""
    class WrongSquare(Op):
        """out = x**2 with a deliberately wrong backward."""
        name = "test_wrong_square"
        rule = "dx = g * x"

        @staticmethod
        def forward(x, *, needs_input_grad):
            return x * x, {"x": x}

        @staticmethod
        def backward(g, saved, needs_input_grad):
            return g * saved["x"]
    yield WrongSquare
    del OPS["test_wrong_square"]


def test_gradcheck_raises_with_a_table_on_a_wrong_backward(wrong_square):
    x = Tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True, name="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: apply(wrong_square, x), x)
    lines = str(info.value).splitlines()
    assert "4 gradient entries disagree" in lines[0]
    assert lines[1].split() == ["input", "index", "analytic", "numeric", "abs", "err", "rel", "err"]
    worst = lines[2].split()        # x[1, 0] = 3 has the largest error: analytic 3 v, numeric 6 v
    assert worst[0] == "x" and worst[1:3] == ["(1,", "0)"]
    assert float(worst[4]) == pytest.approx(2 * float(worst[3]), rel=1e-5)


def test_gradcheck_passes_other_arguments_through():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert gradcheck(lambda x, axis, w: (x * w).sum(axis=axis), x, 1, np.array([1.0, 2.0, 3.0]))


def test_gradcheck_warns_on_float32():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float32"):
        assert gradcheck(lambda x: x * x, x)


def test_gradcheck_needs_an_input_with_requires_grad():
    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(lambda x: x * 2, Tensor([1.0]))
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda x: 3.0, leaf(1.0))


def test_steps_carry_fan_in_sums_and_arrivals():
    """xmu reaches the loss by two paths (square and mul): the second arrival shows the sum."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True, name="x")
    loss = (tg.functional.batch_norm(x, None, None) * rng.standard_normal((4, 3))).sum()
    steps = list(tg.engine.backward_steps(loss, retain_graph=True))
    seen = []
    for s in steps:
        for t, gi, total, arr in zip(s.record.inputs, s.grad_inputs, s.grad_totals, s.arrivals):
            if t.name == "xmu":
                seen.append((gi, total, arr))
    (g1, t1, a1), (g2, t2, a2) = seen
    assert a1 == (1, 2) and a2 == (2, 2)
    assert t1 is g1 and np.array_equal(t2, g1 + g2)
    x.grad = None
    loss.backward()
    xmu = next(t for s in steps for t in s.record.inputs if t.name == "xmu")
    np.testing.assert_array_equal(t2, xmu.grad)       # the last total is the tensor's gradient
    # x itself: used by mean and by sub -> two arrivals, and the totals end at x.grad
    xs = [(tot, arr) for s in steps for t, tot, arr in zip(s.record.inputs, s.grad_totals,
                                                           s.arrivals) if t is x]
    assert [a for _, a in xs] == [(1, 2), (2, 2)]
    np.testing.assert_allclose(xs[-1][0], x.grad, rtol=1e-12)


def test_backward_with_the_wrong_number_of_grads_names_the_op():
    """Arity is part of the op contract: nothing is dropped silently."""
    class TwoGrads(tg.engine.Op):
        """out = x; its backward wrongly returns two gradients."""
        name = "test_two_grads"

        @staticmethod
        def forward(x, *, needs_input_grad):
            return x.copy(), {}

        @staticmethod
        def backward(g, saved, needs_input_grad):
            return g, g
    try:
        x = Tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=r"test_two_grads: backward returned 2 gradient\(s\) for 1 input"):
            apply(TwoGrads, x).sum().backward()
    finally:
        del OPS["test_two_grads"]


def test_backward_is_told_which_inputs_need_a_gradient():
    seen = []

    class Spy(tg.engine.Op):
        """out = a * b, recording the needs_input_grad mask it is given."""
        name = "test_spy"

        @staticmethod
        def forward(a, b, *, needs_input_grad):
            return a * b, {"a": a, "b": b}

        @staticmethod
        def backward(g, saved, needs_input_grad):
            seen.append(needs_input_grad)
            return tuple(gi if need else None for gi, need in
                         zip((g * saved["b"], g * saved["a"]), needs_input_grad))
    try:
        a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0])
        apply(Spy, a, b).sum().backward()
        assert seen == [(True, False)]
        np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    finally:
        del OPS["test_spy"]


def test_forward_is_told_the_mask_backward_will_get():
    """Every forward gets needs_input_grad at record time (all False when nothing is recorded),
    and backward gets that same mask."""
    seen = []

    class Spy(tg.engine.Op):
        """out = a * b, saving only what the needed gradients read."""
        name = "test_spy_forward"

        @staticmethod
        def forward(a, b, *, needs_input_grad):
            seen.append(("forward", needs_input_grad))
            need_a, need_b = needs_input_grad
            return a * b, {"a": a if need_b else None, "b": b if need_a else None}

        @staticmethod
        def backward(g, saved, needs_input_grad):
            seen.append(("backward", needs_input_grad))
            need_a, need_b = needs_input_grad
            return (g * saved["b"] if need_a else None), (g * saved["a"] if need_b else None)
    try:
        a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0])
        out = apply(Spy, a, b)
        assert out.record.saved["a"] is None and out.record.needs_input_grad == (True, False)
        out.sum().backward()
        with no_grad():
            apply(Spy, a, b)
        apply(Spy, b, b)                                  # no input needs a gradient
        assert seen == [("forward", (True, False)), ("backward", (True, False)),
                        ("forward", (False, False)), ("forward", (False, False))]
        np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    finally:
        del OPS["test_spy_forward"]


def test_requires_grad_is_read_when_the_op_runs_as_in_pytorch():
    """A leaf switched to requires_grad after an op ran gets no gradient through that op (its
    record kept nothing for it), as torch; ops that run after the switch do give it one."""
    x, w = leaf(1.0, 2.0), Tensor([3.0, 4.0])
    before = (x * w).sum()
    w.requires_grad_()
    after = (x * w).sum()
    (before + after).backward()
    assert w.grad.tolist() == [1.0, 2.0] and x.grad.tolist() == [6.0, 8.0]


@pytest.mark.parametrize("a_shape, b_shape", [((3,), ()), ((), (3,)), ((4, 3), (3,)), ((3,), (4, 3)),
                                              ((2, 1, 4), (3, 1)), ((4, 3), (4, 3))])
@pytest.mark.parametrize("needs", [(True, False), (False, True), (True, True)])
def test_mul_saves_only_what_the_needed_grads_read_with_the_same_bits(a_shape, b_shape, needs):
    """x * 2.0 keeps 2.0 but not x (x stays writable): da reads b, db reads a; each gradient has
    the bits it has when both inputs need one, broadcast inputs included."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in (a_shape, b_shape)]
    a, b = (Tensor(v.copy(), requires_grad=n) for v, n in zip(arrays, needs))
    out = a * b
    kept = [out.record.saved[k] is not None for k in ("a", "b")]
    for i, t in enumerate((a, b)):
        assert kept[i] == needs[1 - i], (a_shape, b_shape, needs)
        assert t.data.flags.writeable != kept[i]            # locked exactly when kept
    g = rng.standard_normal(out.shape)
    out.backward(g)
    both = [Tensor(v.copy(), requires_grad=True) for v in arrays]
    (both[0] * both[1]).backward(g)
    for t, full, need in zip((a, b), both, needs):
        if need:
            assert t.grad.dtype == full.grad.dtype and np.array_equal(t.grad, full.grad)
        else:
            assert t.grad is None


def test_number_operands_keep_the_sign_of_zero():
    """x + 0.0 and x + -0.0 differ at x = -0.0: each number is its own constant."""
    x = Tensor(np.array([-0.0, 0.0, 1.5], np.float32), requires_grad=True)
    assert np.array_equal(np.signbit((x + 0.0).data), np.signbit(x.data + np.float32(0.0)))
    assert np.array_equal(np.signbit((x + -0.0).data), np.signbit(x.data + np.float32(-0.0)))


@pytest.mark.parametrize("a_shape, b_shape", [((4, 3), (3,)), ((4, 3), (1, 3)), ((2, 1, 4), (3, 1)),
                                              ((2, 3, 4, 5), (1, 3, 1, 1)), ((2, 3, 4), (4,))])
@pytest.mark.parametrize("op", ["mul", "sub"])
def test_the_engine_sums_broadcast_grads_back_and_the_step_names_the_axes(op, a_shape, b_shape):
    """Mul and sub return gradients in the broadcast shape; the engine's sum_to_shape sums them
    back to each input's shape, and the step view names the summed axes."""
    rng = np.random.default_rng(0)
    a, b = (Tensor(rng.standard_normal(s), requires_grad=True) for s in (a_shape, b_shape))
    g = rng.standard_normal(np.broadcast_shapes(a_shape, b_shape))
    steps = list(tg.engine.backward_steps(a * b if op == "mul" else a - b, g))
    full_a, full_b = np.broadcast_to(a.data, g.shape), np.broadcast_to(b.data, g.shape)
    full = {"mul": (g * full_b, g * full_a), "sub": (g, -g)}[op]
    for i, t in enumerate((a, b)):
        expected, axes = tg.engine.sum_to_shape(full[i], t.shape, op)
        np.testing.assert_allclose(t.grad, expected, rtol=1e-12, atol=1e-14)
        assert steps[0].reduced_axes[i] == axes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_square_of_a_broadcast_grad_gives_the_bits_of_two_g_x(dtype):
    """Square's backward on a broadcast g (var's grad in BN) or a full one: the bits of 2 * (g * x)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4, 3)).astype(dtype)
    for g in (np.broadcast_to(rng.standard_normal((1, 4, 1)).astype(dtype), x.shape),
              rng.standard_normal(x.shape).astype(dtype)):
        dx = OPS["square"].backward(g, {"x": x}, (True,))
        np.testing.assert_array_equal(dx, 2 * (g * x))
        assert dx.dtype == dtype and dx.shape == x.shape


def test_a_kernel_runs_in_place_of_its_reference_op_and_is_no_new_op():
    """KERNELS[name] (a subclass of OPS[name]) is what apply runs; the record keeps the op's name
    and rule and names the class in record.impl; the registry still lists the reference."""
    reference, calls = OPS["neg"], []

    class CountingNeg(reference):
        @staticmethod
        def forward(x, *, needs_input_grad):
            calls.append(needs_input_grad)
            return reference.forward(x, needs_input_grad=needs_input_grad)
    before = tg.engine.KERNELS.get("neg")
    tg.engine.KERNELS["neg"] = CountingNeg
    try:
        x = leaf(1.0, 2.0)
        y = -x
        assert calls == [(True,)] and OPS["neg"] is reference
        assert y.record.impl is CountingNeg and (y.record.op, y.record.rule) == ("neg", reference.rule)
        y.sum().backward()
        assert x.grad.tolist() == [-1.0, -1.0]
    finally:
        if before is None:
            del tg.engine.KERNELS["neg"]
        else:
            tg.engine.KERNELS["neg"] = before
    assert (-x).record.impl is (before or reference)


def test_a_copied_gradient_is_laid_out_as_its_tensor():
    """The copy the engine makes of a view gradient has its tensor's memory order, as torch lays
    out .grad: a Fortran-ordered leaf and a batch-last activation keep theirs."""
    rng = np.random.default_rng(0)
    data = np.asfortranarray(rng.standard_normal((3, 4)))
    x = Tensor(data, requires_grad=True)
    h = Tensor(np.ascontiguousarray(rng.standard_normal((4, 2, 3)).transpose(2, 0, 1)),
               requires_grad=True) * 1.0                # batch-last, as conv2d leaves it
    (x.transpose().sum() + (h + 1.0).sum()).backward()
    assert x.grad.flags.f_contiguous and not x.grad.flags.c_contiguous
    assert h.grad.strides == h.data.strides and h.grad.flags.writeable
    np.testing.assert_array_equal(x.grad, np.ones((3, 4)))
    np.testing.assert_array_equal(h.grad, np.ones((3, 4, 2)))


def test_intermediate_gradients_are_fresh_writable_arrays():
    """After composed BN's backward no two tensors share a gradient array (add returns g, mean's
    backward a broadcast view: the engine copies those), and each is writable in C order."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((8, 4)), requires_grad=True, name="x")
    gamma, beta = (Tensor(rng.standard_normal(4), requires_grad=True) for _ in range(2))
    with Tape() as tape:
        out = tg.functional.batch_norm(x, gamma, beta)
    out.backward(rng.standard_normal((8, 4)))
    tensors = [r.output for r in tape] + [x, gamma, beta]
    named = {t.name: t for t in tensors if t.name}
    assert named["gammax"].grad is not out.grad and named["var"].grad is not named["var_eps"].grad
    for i, a in enumerate(tensors):
        assert a.grad.flags.writeable and a.grad.flags.c_contiguous, a.name
        assert not any(np.shares_memory(a.grad, b.grad) for b in tensors[i + 1:]), a.name
    named["sq"].grad += 1
