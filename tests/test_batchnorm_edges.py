"""Batch norm off the textbook path, each case checked against PyTorch in float64: empty batches,
half-given running statistics, track_running_stats switched on a built module, (N, C, L) and
(N, C, D, H, W) inputs, PyTorch's keyword names, gamma or beta alone, and the reset methods."""
import warnings

import numpy as np
import pytest

from tinygrad_bn import Tape, Tensor, gradcheck, nn
from tinygrad_bn import functional as F

TEN = ["mean", "sub", "square", "mean", "add", "sqrt", "reciprocal", "mul", "mul", "add"]
MODULES = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}


def pair(torch, shape, seed=0, **kw):
    """Our BN module for `shape` and torch's, float64, same non-trivial gamma, beta and buffers."""
    name, c, rng = MODULES[len(shape)], shape[1], np.random.default_rng(seed)
    theirs = getattr(torch.nn, name)(c, **{k: v for k, v in kw.items() if k != "fused"}).double()
    ours = getattr(nn, name)(c, **kw)
    state = {"weight": rng.uniform(0.5, 2, c), "bias": rng.standard_normal(c),
             "running_mean": rng.standard_normal(c), "running_var": rng.uniform(0.5, 2, c),
             "num_batches_tracked": np.array(3)}
    state = {k: v for k, v in state.items() if k in ours.state_dict()}
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    return ours, theirs


def step(torch, ours, theirs, x, seed=1):
    """Forward and backward through both with the same upstream gradient; everything must agree."""
    g = np.random.default_rng(seed).standard_normal(x.shape)
    X, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(X), theirs(xt)
    out.backward(g)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(X.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-10)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-12)
        p.grad, q.grad = None, None
    same_state(ours, theirs)


def same_state(ours, theirs):
    theirs = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs)
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v, theirs[k], rtol=1e-12, err_msg=k)


# --- empty batches ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 4), (2, 3, 0), (0, 3, 2, 2), (2, 3, 0, 2),
                                   (0, 3, 1, 2, 2)])
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_empty_batch_gives_empty_output_and_keeps_running_stats_as_torch(torch, shape, fused,
                                                                          momentum):
    ours, theirs = pair(torch, shape, fused=fused, momentum=momentum)
    before = ours.state_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # no NumPy "mean of empty slice" either
        step(torch, ours, theirs, np.zeros(shape))
    after = ours.state_dict()
    assert int(after["num_batches_tracked"]) == 4                       # torch counts it
    for k in ("running_mean", "running_var"):
        np.testing.assert_array_equal(after[k], before[k])


@pytest.mark.parametrize("fused", [False, True])
def test_functional_empty_batch_leaves_running_arrays_alone(fused):
    rm, rv = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    out = F.batch_norm(Tensor(np.zeros((0, 2, 3))), None, None, rm, rv, fused=fused)
    assert out.shape == (0, 2, 3)
    assert list(rm) == [0.5, -1.0] and list(rv) == [2.0, 3.0]


# --- running statistics: both or neither --------------------------------------------------------
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("given", ["running_mean", "running_var"])
def test_only_one_running_array_raises_before_touching_it(torch, fused, training, given):
    x = np.random.default_rng(2).standard_normal((4, 3))
    arr = np.array([0.5, 1.5, 2.5])
    with pytest.raises((ValueError, RuntimeError), match="both|must be defined"):    # torch too
        torch.nn.functional.batch_norm(torch.tensor(x), *(
            (torch.tensor(arr), None) if given == "running_mean" else (None, torch.tensor(arr))),
            training=training)
    with pytest.raises(ValueError) as err:
        F.batch_norm(Tensor(x), None, None, fused=fused, training=training, **{given: arr})
    assert f"only {given}" in str(err.value) and "both be given or both be None" in str(err.value)
    assert list(arr) == [0.5, 1.5, 2.5]


def test_read_only_running_array_raises_before_touching_the_other():
    rm, rv = np.zeros(2), np.ones(2)
    rv.flags.writeable = False
    with pytest.raises(TypeError, match="writable"):
        F.batch_norm(Tensor(np.random.default_rng(3).standard_normal((4, 2))), None, None, rm, rv)
    assert list(rm) == [0.0, 0.0]


# --- track_running_stats switched on a built module ---------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2, 2)])
@pytest.mark.parametrize("fused", [False, True])
def test_turning_tracking_off_stops_updates_and_eval_still_uses_the_buffers(torch, shape, fused):
    ours, theirs = pair(torch, shape, fused=fused)
    ours.track_running_stats = theirs.track_running_stats = False
    rng = np.random.default_rng(4)
    before = ours.state_dict()
    step(torch, ours, theirs, 2 * rng.standard_normal(shape) + 1)        # batch stats, no update
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    ours.eval(), theirs.eval()
    step(torch, ours, theirs, 2 * rng.standard_normal(shape) + 1)        # running stats, as torch
    assert np.allclose(ours.fold()[0], ours.weight.data / np.sqrt(ours.running_var + ours.eps))


@pytest.mark.parametrize("fused", [False, True])
def test_turning_tracking_on_without_buffers_uses_batch_stats_as_torch(torch, fused):
    ours, theirs = pair(torch, (5, 3), fused=fused, track_running_stats=False)
    ours.track_running_stats = theirs.track_running_stats = True
    rng = np.random.default_rng(5)
    step(torch, ours, theirs, rng.standard_normal((5, 3)))
    ours.eval(), theirs.eval()
    step(torch, ours, theirs, rng.standard_normal((5, 3)))
    assert ours.state_dict().keys() == {"weight", "bias"}


# --- (N, C, L) and (N, C, D, H, W) --------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3, 5), (2, 3, 2, 3, 2)])
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_3d_and_5d_modules_match_torch_over_steps_and_eval(torch, shape, fused, momentum):
    ours, theirs = pair(torch, shape, fused=fused, momentum=momentum)
    rng = np.random.default_rng(6)
    for _ in range(2):
        step(torch, ours, theirs, 3 * rng.standard_normal(shape) - 1)
    ours.eval(), theirs.eval()
    step(torch, ours, theirs, rng.standard_normal(shape))


@pytest.mark.parametrize("shape", [(3, 2, 4), (2, 2, 2, 1, 3)])
@pytest.mark.parametrize("fused", [False, True])
def test_3d_and_5d_gradcheck_and_records(shape, fused):
    rng = np.random.default_rng(7)
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    gamma = Tensor(rng.uniform(0.5, 2, 2), requires_grad=True)
    beta = Tensor(rng.standard_normal(2), requires_grad=True)
    assert gradcheck(lambda x, g, b: F.batch_norm(x, g, b, fused=fused), x, gamma, beta)
    with Tape() as tape:
        F.batch_norm(x, gamma, beta, fused=fused)
    ops = [r.op for r in tape]
    assert ops == (["reshape", "reshape", *TEN] if not fused else ["batch_norm"])


def test_bn1d_on_4d_and_bn3d_on_4d_name_the_module_to_use():
    with pytest.raises(ValueError, match=r"BatchNorm1d.*\(2, 3, 4, 4\).*use BatchNorm2d"):
        nn.BatchNorm1d(3)(Tensor(np.ones((2, 3, 4, 4))))
    with pytest.raises(ValueError, match=r"BatchNorm3d.*\(2, 3, 4\).*\(N, C, D, H, W\)"):
        nn.BatchNorm3d(3)(Tensor(np.ones((2, 3, 4))))


# --- PyTorch's argument names; gamma or beta alone ----------------------------------------------
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
@pytest.mark.parametrize("training", [True, False])
def test_torch_keywords_and_gamma_or_beta_alone_match_torch(torch, fused, affine, training):
    rng = np.random.default_rng(8)
    x, g = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    params = {"weight": rng.uniform(0.5, 2, 3), "bias": rng.standard_normal(3)}
    params = {k: v for k, v in params.items() if affine in (k, "both")}
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    ours = {k: Tensor(v, requires_grad=True) for k, v in params.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    X, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    rm_t, rv_t = torch.tensor(rm), torch.tensor(rv)
    out = F.batch_norm(input=X, running_mean=rm, running_var=rv, training=training, momentum=0.3,
                       eps=1e-3, fused=fused, **ours)
    out_t = torch.nn.functional.batch_norm(input=xt, running_mean=rm_t, running_var=rv_t,
                                           training=training, momentum=0.3, eps=1e-3, **theirs)
    out.backward(g)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(X.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    for k in params:
        np.testing.assert_allclose(ours[k].grad, theirs[k].grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rm, rm_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv, rv_t.numpy(), rtol=1e-12)


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("which", ["gamma", "beta"])
def test_gamma_or_beta_alone_gradcheck(fused, which):
    rng = np.random.default_rng(9)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    p = Tensor(rng.uniform(0.5, 2, 3), requires_grad=True)
    fn = (lambda x, p: F.batch_norm(x, p, None, fused=fused)) if which == "gamma" else \
        (lambda x, p: F.batch_norm(x, None, p, fused=fused))
    assert gradcheck(fn, x, p)


def test_our_name_and_torch_name_together_raise():
    x = Tensor(np.ones((4, 3)))
    with pytest.raises(TypeError, match="both gamma and weight="):
        F.batch_norm(x, np.ones(3), weight=np.ones(3))
    with pytest.raises(TypeError, match="both x and input="):
        F.batch_norm(x, input=x)
    with pytest.raises(TypeError, match="missing the input"):
        F.batch_norm(weight=np.ones(3))


# --- reset_running_stats, reset_parameters ------------------------------------------------------
@pytest.mark.parametrize("track", [True, False])
def test_resets_match_torch(torch, track):
    ours, theirs = pair(torch, (4, 3), track_running_stats=track)
    ours.track_running_stats = theirs.track_running_stats = track
    buffers = [b for b in (ours.running_mean, ours.running_var) if b is not None]
    ours.reset_running_stats(), theirs.reset_running_stats()
    same_state(ours, theirs)
    assert all(b is c for b, c in zip(buffers, (ours.running_mean, ours.running_var)))
    ours.load_state_dict({k: v + 1 for k, v in ours.state_dict().items()})
    theirs.load_state_dict({k: v + 1 for k, v in theirs.state_dict().items()})
    ours.reset_parameters(), theirs.reset_parameters()
    same_state(ours, theirs)
    assert list(ours.weight.data) == [1.0] * 3 and list(ours.bias.data) == [0.0] * 3


def test_reset_running_stats_after_switching_tracking_off_is_a_no_op_as_torch(torch):
    ours, theirs = pair(torch, (4, 3))
    ours.track_running_stats = theirs.track_running_stats = False
    ours.reset_running_stats(), theirs.reset_running_stats()
    same_state(ours, theirs)
    assert int(ours.num_batches_tracked) == 3


@pytest.mark.parametrize("shape, words", [((0, 3), r"\(0, 3\) has an empty batch \(N = 0\)"),
                                          ((0, 2, 3, 3), "an empty batch"),
                                          ((4, 0), r"\(4, 0\) has a size of 0")])
def test_compare_bn_on_an_empty_batch_says_so(shape, words):
    from tinygrad_bn import compare_bn
    with pytest.raises(ValueError, match=words + ".*no statistics.*e.g. shape=") as info:
        compare_bn(shape, repeats=1)
    assert "reduction" not in str(info.value)             # not NumPy's zero-size max error
