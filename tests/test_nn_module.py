"""nn.Module, Parameter, Sequential: names, order, modes, state_dict round trip, strict loading."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn


class Block(nn.Module):
    """Two parameters and a BN child, set in a deliberate (non-alphabetical) order."""

    def __init__(self):
        self.w = nn.Parameter(np.ones((3, 2)))
        self.bn = nn.BatchNorm1d(3)
        self.a = nn.Parameter(np.zeros(3))

    def forward(self, x):
        return self.bn(x @ self.w.T) + self.a


def model():
    return nn.Sequential(Block(), nn.BatchNorm1d(3, affine=False))


def test_parameter_requires_grad_and_takes_the_default_dtype():
    assert nn.Parameter([1, 2]).requires_grad
    assert nn.Parameter([1, 2]).dtype == np.float64
    assert nn.Parameter(np.ones(2, np.float32)).dtype == np.float32     # arrays keep their dtype
    tg.set_default_dtype(np.float32)
    try:
        assert nn.Parameter([1.0, 2.0]).dtype == np.float32
        bn = nn.BatchNorm1d(2)
        assert bn.weight.dtype == bn.running_var.dtype == np.float32
        assert nn.Linear(2, 3).weight.dtype == nn.Conv2d(1, 2, 3).bias.dtype == np.float32
    finally:
        tg.set_default_dtype(np.float64)


def test_names_follow_registration_order_and_pytorch():
    m = model()
    assert [n for n, _ in m.named_parameters()] == ["0.w", "0.a", "0.bn.weight", "0.bn.bias"]
    assert [n for n, _ in m.named_buffers()] == [
        "0.bn.running_mean", "0.bn.running_var", "0.bn.num_batches_tracked",
        "1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert list(m.state_dict()) == ["0.w", "0.a", "0.bn.weight", "0.bn.bias",
                                    "0.bn.running_mean", "0.bn.running_var",
                                    "0.bn.num_batches_tracked", "1.running_mean",
                                    "1.running_var", "1.num_batches_tracked"]
    assert [type(c).__name__ for c in m.children()] == ["Block", "BatchNorm1d"]
    assert [type(c).__name__ for c in m.modules()] == ["Sequential", "Block", "BatchNorm1d",
                                                       "BatchNorm1d"]


def test_state_dict_keys_and_values_match_pytorch(torch):
    theirs = torch.nn.Sequential(torch.nn.BatchNorm1d(3), torch.nn.BatchNorm2d(2, affine=False),
                                 torch.nn.BatchNorm1d(2, track_running_stats=False)).double()
    ours = nn.Sequential(nn.BatchNorm1d(3), nn.BatchNorm2d(2, affine=False),
                         nn.BatchNorm1d(2, track_running_stats=False))
    sd = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(sd)
    for k, v in ours.state_dict().items():
        assert v.shape == sd[k].shape and v.dtype == sd[k].dtype
        np.testing.assert_array_equal(v, sd[k])


def test_state_dict_is_a_copy_and_round_trips():
    m, x = model(), Tensor(np.random.default_rng(0).standard_normal((5, 2)))
    m(x)                                            # train step: running stats move
    sd = m.state_dict()
    sd["0.w"][:] = 7.0
    assert not np.any(m[0].w.data == 7.0)
    fresh = model()
    fresh.load_state_dict(m.state_dict())
    assert int(fresh[0].bn.num_batches_tracked) == 1
    m.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh(x).data, m(x).data)


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    m = model()
    before = m.state_dict()
    bad = m.state_dict()
    del bad["0.a"]
    bad["0.extra"] = np.ones(1)
    bad["0.bn.running_var"] = np.ones(4)
    bad["0.w"] = np.full((3, 2), 5.0)               # fine on its own: must not be loaded either
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(bad)
    msg = str(err.value)
    assert "missing keys ['0.a']" in msg and "unexpected keys ['0.extra']" in msg
    assert "0.bn.running_var (4,) != expected (3,)" in msg
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_load_keeps_parameter_identity_and_dtype():
    m = nn.BatchNorm1d(2)
    w = m.weight
    m.load_state_dict({"weight": np.array([2, 3]), "bias": np.zeros(2, np.float32),
                       "running_mean": np.zeros(2), "running_var": np.ones(2),
                       "num_batches_tracked": 4})
    assert m.weight is w and w.dtype == np.float64 and list(w.data) == [2.0, 3.0]
    assert m.num_batches_tracked.dtype == np.int64 and int(m.num_batches_tracked) == 4


def test_train_eval_and_zero_grad_reach_every_module():
    m = model()
    assert m.eval() is m and not any(s.training for s in m.modules())
    assert all(s.training for s in m.train().modules())
    out = m(Tensor(np.random.default_rng(1).standard_normal((4, 2))))
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_sequential_indexing_and_repr():
    m = model()
    assert len(m) == 2 and isinstance(m[1], nn.BatchNorm1d) and list(m) == m.children()
    assert isinstance(m[:1], nn.Sequential) and len(m[:1]) == 1
    text = repr(m)
    assert text.startswith("Sequential(\n  (0): Block(\n    (bn): BatchNorm1d(3, eps=1e-05")
    assert "(1): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=False" in text
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(lambda x: x)


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="define forward"):
        nn.Module()(Tensor([1.0]))


@pytest.mark.parametrize("count, words", [
    (np.array(2.5), ["num_batches_tracked", "2.5", "whole numbers"]),
    (np.array([4]), ["num_batches_tracked (1,) != expected ()"]),
    (np.array("four"), ["num_batches_tracked", "<U4", "real numbers"]),
    (np.array(4 + 1j), ["num_batches_tracked", "complex128", "real numbers"]),
    (np.array(1e300), ["num_batches_tracked", "fit int64"])])
def test_a_bad_count_loads_nothing_not_even_the_good_weights(count, words):
    m = model()
    before = m.state_dict()
    good = {k: v + 1 if v.dtype.kind == "f" else v for k, v in before.items()}
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(dict(good, **{"1.num_batches_tracked": count}))
    assert all(w in str(err.value) for w in words + ["Nothing was loaded"]), str(err.value)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_whole_float_counts_and_int_weights_convert_as_torch(torch):
    ours, theirs = nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2).double()
    state = {"weight": np.array([2, 3]), "bias": np.zeros(2, np.float32),
             "running_mean": np.zeros(2), "running_var": np.ones(2),
             "num_batches_tracked": np.array(4.0)}
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    for k, v in theirs.state_dict().items():
        assert ours.state_dict()[k].tolist() == v.tolist()
        assert ours.state_dict()[k].dtype == v.numpy().dtype


def test_a_torch_tensor_that_requires_grad_is_reported_not_raised_midway(torch):
    m = nn.Linear(2, 1)
    before = m.state_dict()
    with pytest.raises(RuntimeError, match="weight is not an array"):
        m.load_state_dict({"weight": torch.ones(1, 2, requires_grad=True),
                           "bias": np.array([5.0])})
    assert m.state_dict()["bias"] == before["bias"]


def test_a_missing_num_batches_tracked_keeps_its_value_as_torch(torch):
    ours, theirs = nn.Sequential(nn.BatchNorm1d(2)), torch.nn.Sequential(torch.nn.BatchNorm1d(2))
    for m in (ours, theirs):
        m[0].num_batches_tracked += 5
    state = {k: v for k, v in ours.state_dict().items() if k != "0.num_batches_tracked"}
    state["0.running_mean"] = np.array([1.0, 2.0])
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    assert int(ours[0].num_batches_tracked) == int(theirs[0].num_batches_tracked) == 5
    assert list(ours[0].running_mean) == [1.0, 2.0]
    with pytest.raises(RuntimeError, match=r"missing keys \['0.running_var'\]"):
        ours.load_state_dict({k: v for k, v in state.items() if k != "0.running_var"})
