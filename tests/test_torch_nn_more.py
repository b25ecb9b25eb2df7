"""The later nn additions against PyTorch in float64: losses (huber, smooth_l1, kl_div),
normalize, cosine_similarity, pairwise_distance, embedding, Dropout2d, Unflatten, the container
add_module, gradient clipping, RMSprop and Adagrad, and the schedulers ExponentialLR,
MultiStepLR, LambdaLR and LinearLR; plus the errors they raise on bad input.

Values and every input's gradient must agree to rtol 1e-7 (losses, functions), parameters after
12 optimizer steps to rtol 1e-10, learning rates exactly.
"""
import math
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, functional as F, nn, optim
from tinygrad_bn.optim import lr_scheduler

RNG = np.random.default_rng(11)
N = lambda *s: RNG.standard_normal(s)                       # noqa: E731
P = lambda *s: RNG.uniform(0.05, 1.0, s)                    # noqa: E731


def torch_F():
    import torch
    return torch.nn.functional


def compare(torch, ours, theirs, arrays, rtol=1e-7):
    """ours(*Tensors) and theirs(*torch tensors) on the same arrays: values, dtype, shape and
    the gradient of every input for the same random upstream gradient."""
    xs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # kl_div's 'mean' warns in both
        out, t_out = ours(*xs), theirs(*ts)
    assert out.shape == tuple(t_out.shape) and out.dtype == np.float64
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.as_tensor(g))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=rtol, atol=1e-14)
    for i, (x, t) in enumerate(zip(xs, ts)):
        want = np.zeros_like(arrays[i]) if t.grad is None else t.grad.numpy()
        got = np.zeros_like(arrays[i]) if x.grad is None else x.grad
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-14, err_msg=f"gradient {i}")


# --- losses: every reduction, values and the gradients of input and target ----------------------
D = N(4, 5) * 2                 # differences on both sides of delta/beta
LOSSES = {
    "huber": (lambda r, **k: lambda x, y: F.huber_loss(x, y, reduction=r, **k),
              lambda r, **k: lambda x, y: torch_F().huber_loss(x, y, reduction=r, **k),
              [{}, {"delta": 0.5}, {"delta": 2.5}]),
    "smooth_l1": (lambda r, **k: lambda x, y: F.smooth_l1_loss(x, y, reduction=r, **k),
                  lambda r, **k: lambda x, y: torch_F().smooth_l1_loss(x, y, reduction=r, **k),
                  [{}, {"beta": 0.3}, {"beta": 0.0}]),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_elementwise_losses_match_torch(torch, name, reduction):
    ours, theirs, settings = LOSSES[name]
    for kwargs in settings:
        compare(torch, ours(reduction, **kwargs), theirs(reduction, **kwargs), [D, N(4, 5)])


def test_losses_at_the_kinks_match_torch(torch):
    """|d| exactly delta or beta, and d = 0: the branch taken and its gradient agree."""
    x = np.array([1.0, -1.0, 0.0, 0.5, -0.5, 3.0])
    y = np.zeros(6)
    compare(torch, lambda a, b: F.huber_loss(a, b, reduction="sum"),
            lambda a, b: torch_F().huber_loss(a, b, reduction="sum"), [x, y])
    compare(torch, lambda a, b: F.smooth_l1_loss(a, b, beta=0.5, reduction="sum"),
            lambda a, b: torch_F().smooth_l1_loss(a, b, beta=0.5, reduction="sum"), [x, y])
    compare(torch, lambda a, b: F.smooth_l1_loss(a, b, beta=0.0),
            lambda a, b: torch_F().smooth_l1_loss(a, b, beta=0.0), [x, y])


def test_huber_weight_matches_torch(torch):
    w = P(4, 5)
    for r in ("mean", "sum", "none"):
        compare(torch, lambda a, b: F.huber_loss(a, b, r, 0.7, weight=w),
                lambda a, b: torch_F().huber_loss(a, b, r, 0.7, weight=torch.tensor(w)),
                [D, N(4, 5)])


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_div_matches_torch(torch, reduction, log_target):
    logp = np.log(np.random.default_rng(3).dirichlet(np.ones(5), 4))
    q = np.random.default_rng(4).dirichlet(np.ones(5), 4)
    target = np.log(q) if log_target else q
    compare(torch, lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
            lambda a, b: torch_F().kl_div(a, b, reduction=reduction, log_target=log_target),
            [logp, target])


def test_kl_div_counts_zero_targets_as_zero(torch):
    logp, q = np.log(np.full((2, 3), 1 / 3)), np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    ours = F.kl_div(Tensor(logp, requires_grad=True), q, reduction="batchmean")
    theirs = torch_F().kl_div(torch.tensor(logp), torch.tensor(q), reduction="batchmean")
    assert np.isfinite(ours.data) and np.isclose(ours.data, theirs.item(), rtol=1e-12)


def test_kl_div_mean_warns_as_torch():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(Tensor(np.zeros((2, 2))), np.full((2, 2), 0.5))


@pytest.mark.parametrize("module, theirs, kwargs", [
    (nn.HuberLoss, "HuberLoss", {"delta": 0.4}),
    (nn.SmoothL1Loss, "SmoothL1Loss", {"beta": 0.6}),
    (nn.KLDivLoss, "KLDivLoss", {"reduction": "batchmean", "log_target": True}),
    (nn.KLDivLoss, "KLDivLoss", {"reduction": "sum"}),
])
def test_loss_modules_match_torch(torch, module, theirs, kwargs):
    ours, ref = module(**kwargs), getattr(torch.nn, theirs)(**kwargs)
    target = -P(3, 4) if kwargs.get("log_target") else P(3, 4)
    compare(torch, ours, ref, [N(3, 4), target])
    assert repr(ours).startswith(theirs)


# --- normalize, cosine_similarity, pairwise_distance --------------------------------------------
@pytest.mark.parametrize("p, dim", [(2.0, 1), (1.0, 0), (3.0, -1), (math.inf, 1), (0.5, 1)])
def test_normalize_matches_torch(torch, p, dim):
    compare(torch, lambda x: F.normalize(x, p, dim), lambda t: torch_F().normalize(t, p, dim),
            [N(3, 4, 2)])


def test_normalize_defaults_and_zero_rows_match_torch(torch):
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1e-13, 0.0]])
    compare(torch, F.normalize, torch_F().normalize, [x])
    compare(torch, lambda t: F.normalize(t, eps=0.1), lambda t: torch_F().normalize(t, eps=0.1),
            [np.array([[0.03, 0.04], [3.0, 4.0]])])


@pytest.mark.parametrize("shapes, dim", [(((4, 5), (4, 5)), 1), (((3, 1, 4), (1, 2, 4)), -1),
                                         (((6,), (6,)), 0), (((2, 3), (3,)), 1),
                                         (((2, 3, 4), (2, 3, 4)), 0)])
def test_cosine_similarity_matches_torch_with_broadcasting(torch, shapes, dim):
    compare(torch, lambda a, b: F.cosine_similarity(a, b, dim),
            lambda a, b: torch_F().cosine_similarity(a, b, dim), [N(*s) for s in shapes])


def test_cosine_similarity_near_zero_vectors_match_torch(torch):
    """A norm below eps counts as eps in value only: torch's gradient (clamp under no_grad)."""
    a, b = np.array([[1e-9, 2e-9, 0.0], [1.0, 2.0, 3.0]]), np.array([[1.0, 0.5, 2.0], [0, 0, 0.0]])
    compare(torch, lambda x, y: F.cosine_similarity(x, y, eps=1e-8),
            lambda x, y: torch_F().cosine_similarity(x, y, eps=1e-8), [a, b])
    compare(torch, nn.CosineSimilarity(dim=0), torch.nn.CosineSimilarity(dim=0), [N(3, 2), N(3, 2)])


@pytest.mark.parametrize("p, keepdim", [(2.0, False), (1.0, True), (3.0, False), (math.inf, False)])
def test_pairwise_distance_matches_torch(torch, p, keepdim):
    compare(torch, lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim),
            lambda a, b: torch_F().pairwise_distance(a, b, p, keepdim=keepdim), [N(4, 3), N(4, 3)])
    compare(torch, lambda a, b: F.pairwise_distance(a, b, p),
            lambda a, b: torch_F().pairwise_distance(a, b, p), [N(4, 3), N(1, 3)])


@pytest.mark.parametrize("p", [0.5, 3.0])
def test_pairwise_distance_where_a_coordinate_matches_has_torchs_zero_gradient(torch, p):
    """eps=0 and one equal coordinate: |d|**p at d = 0 is 0 with gradient 0 in torch (for p < 1
    the power's formula is inf there)."""
    a, b = N(2, 3), N(2, 3)
    b[0, 1] = a[0, 1]
    compare(torch, lambda x, y: F.pairwise_distance(x, y, p, eps=0.0),
            lambda x, y: torch_F().pairwise_distance(x, y, p, eps=0.0), [a, b])


# --- embedding, Unflatten, Dropout2d ------------------------------------------------------------
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(torch, padding_idx):
    ids = np.array([[0, 2, 4], [2, 2, 1]])
    compare(torch, lambda w: F.embedding(ids, w, padding_idx),
            lambda w: torch_F().embedding(torch.tensor(ids), w, padding_idx), [N(5, 3)])


def test_embedding_module_shares_the_function(torch):
    layer = nn.Embedding(5, 3, padding_idx=1)
    ids = np.array([1, 3, 3])
    out = layer(ids)
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad[:, 0], [0, 0, 0, 2, 0])
    np.testing.assert_array_equal(F.embedding(ids, layer.weight.data).data, out.data)


def test_unflatten_matches_torch(torch):
    compare(torch, nn.Unflatten(1, (2, -1)), torch.nn.Unflatten(1, (2, -1)), [N(3, 8)])
    compare(torch, nn.Unflatten(-1, (2, 2)), torch.nn.Unflatten(-1, (2, 2)), [N(3, 2, 4)])
    assert repr(nn.Unflatten(1, (2, 4))) == repr(torch.nn.Unflatten(1, (2, 4)))


def test_dropout2d_drops_whole_channels_scaled_by_one_over_keep():
    tg.manual_seed(0)
    x = Tensor(np.ones((8, 6, 3, 3)), requires_grad=True)
    out = nn.Dropout2d(p=0.25)(x)
    per_channel = out.data.reshape(8, 6, -1)
    assert (per_channel == per_channel[..., :1]).all(), "one value per (sample, channel)"
    assert set(np.unique(per_channel)) == {0.0, 1 / 0.75}
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)          # the gradient is the same mask
    assert 0 < (per_channel[..., 0] == 0).sum() < 48


def test_dropout2d_eval_p0_and_p1():
    x = Tensor(N(2, 3, 4, 4))
    layer = nn.Dropout2d(0.5).eval()
    assert layer(x) is x
    assert F.dropout2d(x, 0.0) is x and F.dropout2d(x, 0.5, training=False) is x
    assert not F.dropout2d(x, 1.0).data.any()


def test_dropout2d_is_seeded_and_replays_under_jit():
    x = N(4, 5, 2, 2)
    draws = []
    for _ in range(2):
        tg.manual_seed(3)
        draws.append(F.dropout2d(Tensor(x)).data)
    np.testing.assert_array_equal(*draws)
    model = nn.Sequential(nn.Conv2d(5, 2, 1), nn.Dropout2d(0.5))

    def step(xb):
        return model(xb).sum()

    results = []
    for fn in (step, tg.jit(step)):
        tg.manual_seed(9)
        results.append([fn(Tensor(x)).data for _ in range(5)])
    np.testing.assert_array_equal(results[0], results[1])
    assert len({float(v) for v in results[0]}) > 1, "a new mask each call"


def test_dropout2d_three_d_input_is_n_c_l_as_torch():
    tg.manual_seed(1)
    with pytest.warns(UserWarning, match=r"\(N, C, L\)"):
        out = F.dropout2d(Tensor(np.ones((3, 4, 5))))
    rows = out.data
    assert (rows == rows[..., :1]).all()


# --- containers -----------------------------------------------------------------------------------
def test_sequential_add_module_and_append_name_children_as_torch(torch):
    ours, theirs = nn.Sequential(nn.Linear(2, 3)), torch.nn.Sequential(torch.nn.Linear(2, 3))
    for seq, lib in ((ours, nn), (theirs, torch.nn)):
        seq.add_module("act", lib.ReLU())
        seq.append(lib.Linear(3, 1))
        seq.add_module("act", lib.Tanh())                  # the same name: replaced in place
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert isinstance(ours.act, nn.Tanh) and len(ours) == 3
    assert ours.append(nn.ReLU()) is ours


def test_module_add_module_registers_a_child():
    class Net(nn.Module):
        def __init__(self):
            for i in range(2):
                self.add_module(f"fc{i}", nn.Linear(2, 2))

    assert list(Net().state_dict()) == ["fc0.weight", "fc0.bias", "fc1.weight", "fc1.bias"]


# --- gradient clipping ----------------------------------------------------------------------------
def _model_pair(torch, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (4,), (2, 4), (2,)]
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [nn.Parameter(a.copy()) for a in arrays]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    return ours, theirs


def _loss(params, x, lib):
    """A small two-layer net's loss, the same code for both libraries."""
    w1, b1, w2, b2 = params
    return (((x @ w1.T + b1).tanh() @ w2.T + b2) ** 2).sum()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm):
    ours, theirs = _model_pair(torch)
    x = N(5, 3)
    _loss(ours, Tensor(x), None).backward()
    _loss(theirs, torch.tensor(x), torch).backward()
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, Tensor) and total.shape == ()
    np.testing.assert_allclose(total.data, t_total.item(), rtol=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_nonfinite_and_empty(torch):
    w = nn.Parameter(np.ones(3))
    assert nn.utils.clip_grad_norm_([w], 1.0).item() == 0.0          # no gradients yet
    w.grad = np.array([1.0, np.inf, 0.0])
    with pytest.raises(RuntimeError, match="non-finite.*error_if_nonfinite=False"):
        nn.utils.clip_grad_norm_(w, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(w.grad, [1.0, np.inf, 0.0])       # left alone


def test_clip_grad_value_matches_torch(torch):
    ours, theirs = _model_pair(torch)
    x = N(5, 3)
    _loss(ours, Tensor(x), None).backward()
    _loss(theirs, torch.tensor(x), torch).backward()
    assert nn.utils.clip_grad_value_(ours, 0.3) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.3)
    for p, t in zip(ours, theirs):          # the backward passes round differently, not the clip
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
        assert np.abs(p.grad).max() == 0.3


# --- optimizers: two parameter groups, 12 steps, a resume through state_dict at step 6 ---------
OPTIMIZERS = {
    "rmsprop": ("RMSprop", dict(lr=0.01)),
    "rmsprop-all": ("RMSprop", dict(lr=0.02, alpha=0.9, eps=1e-6, weight_decay=0.1,
                                    momentum=0.8, centered=True)),
    "rmsprop-momentum": ("RMSprop", dict(lr=0.01, momentum=0.5, maximize=True)),
    "rmsprop-centered": ("RMSprop", dict(lr=0.01, centered=True)),
    "adagrad": ("Adagrad", dict(lr=0.1)),
    "adagrad-all": ("Adagrad", dict(lr=0.2, lr_decay=0.05, weight_decay=0.01,
                                    initial_accumulator_value=0.3, eps=1e-8)),
    "adagrad-maximize": ("Adagrad", dict(lr=0.05, maximize=True)),
}
STEPS = 12


def _groups(params, second_lr):
    return [{"params": params[:2]}, {"params": params[2:], "lr": second_lr}]


def _run(opt, params, xs, lib, torch=None):
    for x in xs:
        opt.zero_grad()
        _loss(params, Tensor(x) if lib is None else torch.tensor(x), lib).backward()
        opt.step()


@pytest.mark.parametrize("case", sorted(OPTIMIZERS))
def test_optimizers_match_torch_over_steps_with_groups_and_resume(torch, case):
    name, kwargs = OPTIMIZERS[case]
    xs = [N(5, 3) for _ in range(STEPS)]
    ours, theirs = _model_pair(torch, seed=5)
    opt = getattr(optim, name)(_groups(ours, 0.03), **kwargs)
    t_opt = getattr(torch.optim, name)(_groups(theirs, 0.03), **kwargs)
    _run(opt, ours, xs[:6], None)
    _run(t_opt, theirs, xs[:6], torch, torch)
    # resume: a new optimizer (over the same parameters) loads the saved state half-way
    saved = opt.state_dict()
    assert set(saved["state"][0]) == set(t_opt.state_dict()["state"][0])
    opt = getattr(optim, name)(_groups(ours, 1.0), lr=5.0)
    opt.load_state_dict(saved)
    _run(opt, ours, xs[6:], None)
    _run(t_opt, theirs, xs[6:], torch, torch)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-13)
    for i, state in opt.state_dict()["state"].items():
        t_state = t_opt.state_dict()["state"][i]
        for key, value in state.items():
            want = t_state[key].numpy() if hasattr(t_state[key], "numpy") else t_state[key]
            np.testing.assert_allclose(value, want, rtol=1e-10, atol=1e-13, err_msg=key)


def test_adagrad_state_exists_before_the_first_step(torch):
    ours, theirs = _model_pair(torch)
    state = optim.Adagrad(ours, initial_accumulator_value=0.5).state_dict()["state"]
    t_state = torch.optim.Adagrad(theirs, initial_accumulator_value=0.5).state_dict()["state"]
    assert sorted(state) == sorted(t_state) and state[1]["step"] == 0
    np.testing.assert_array_equal(state[0]["sum"], t_state[0]["sum"].numpy())


@pytest.mark.parametrize("make", [
    lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True, weight_decay=0.01),
    lambda p: optim.Adagrad(p, lr=0.05, lr_decay=0.01)], ids=["rmsprop", "adagrad"])
def test_jitted_steps_equal_eager_bit_for_bit(make):
    """The step is Optimizer.step, a replayable effect; clip_grad_norm_ is one too."""
    rng = np.random.default_rng(2)
    batches = [(rng.standard_normal((8, 6)), rng.integers(0, 3, 8)) for _ in range(8)]
    results = []
    for use_jit in (False, True):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))
        opt = make(model.parameters())

        def step(xb, yb):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt.step()
            return loss

        step = tg.jit(step) if use_jit else step
        losses = [step(Tensor(x), y).data for x, y in batches]
        results.append((losses, model.state_dict()))
    (l0, s0), (l1, s1) = results
    np.testing.assert_array_equal(l0, l1)
    for k in s0:
        np.testing.assert_array_equal(s0[k], s1[k], err_msg=k)


# --- schedulers: lr per epoch for 20 epochs, exactly torch's ------------------------------------
SCHEDULERS = {
    "exponential": ("ExponentialLR", dict(gamma=0.9)),
    "multistep": ("MultiStepLR", dict(milestones=[3, 7, 7, 15], gamma=0.5)),
    "multistep-default": ("MultiStepLR", dict(milestones=[5, 10])),
    "lambda": ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e + 0.01 * e)),
    "lambda-per-group": ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.9 ** e])),
    "linear": ("LinearLR", dict()),
    "linear-decay": ("LinearLR", dict(start_factor=1.0, end_factor=0.1, total_iters=12)),
    "linear-warmup": ("LinearLR", dict(start_factor=0.25, end_factor=0.75, total_iters=8)),
}


def _schedule(lib, name, kwargs, params, saved=None):
    """SGD with two groups and the scheduler; `saved` (optimizer, scheduler state dicts)
    resumes both into new objects, the way a training script restarts."""
    opt = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1)
    if saved:
        opt.load_state_dict(saved[0])
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
    if saved:
        sched.load_state_dict(saved[1])
    return opt, sched


@pytest.mark.parametrize("case", sorted(SCHEDULERS))
def test_schedulers_match_torch_for_20_epochs_and_resume(torch, case):
    name, kwargs = SCHEDULERS[case]
    ours, theirs = _model_pair(torch)
    opt, sched = _schedule(tg, name, kwargs, ours)
    t_opt, t_sched = _schedule(torch, name, kwargs, theirs)
    got, want = [sched.get_last_lr()], [t_sched.get_last_lr()]
    for epoch in range(20):
        opt.step()
        t_opt.step()
        sched.step()
        t_sched.step()
        got.append(sched.get_last_lr())
        want.append(t_sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == got[-1]
        if epoch == 9:                               # resume both from their state dicts
            opt, sched = _schedule(tg, name, kwargs, ours, (opt.state_dict(), sched.state_dict()))
            t_opt, t_sched = _schedule(torch, name, kwargs, theirs,
                                       (t_opt.state_dict(), t_sched.state_dict()))
    assert got == want                               # exact, every epoch and group


def test_lambda_lr_state_dict_skips_functions_and_keeps_callable_objects():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.n)

    w = nn.Parameter(np.ones(2))
    fn = Warmup(4)
    sched = lr_scheduler.LambdaLR(optim.SGD([w], lr=1.0), fn)
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"n": 4}] and "optimizer" not in state
    fn.n = 10
    sched.load_state_dict(state)
    assert fn.n == 4
    assert lr_scheduler.LambdaLR(optim.SGD([w], lr=1.0), lambda e: 1.0).state_dict()[
        "lr_lambdas"] == [None]


# --- errors name the op, the shapes and the fix ---------------------------------------------------
@pytest.mark.parametrize("call, error, match", [
    (lambda: F.huber_loss(Tensor(np.zeros((2, 3))), np.zeros(3)), ValueError,
     r"huber_loss: input \(2, 3\) and target \(3,\) differ"),
    (lambda: F.huber_loss(Tensor(np.zeros(2)), np.zeros(2), delta=0), ValueError, "delta=0"),
    (lambda: F.huber_loss(Tensor(np.zeros(2)), np.zeros(2), weight=np.ones(3)), ValueError,
     r"weight \(3,\) and input \(2,\)"),
    (lambda: F.smooth_l1_loss(Tensor(np.zeros(2)), np.zeros(2), beta=-1), ValueError, "beta=-1"),
    (lambda: F.smooth_l1_loss(Tensor(np.zeros(2)), np.zeros(2), reduction="avg"), ValueError,
     "smooth_l1_loss: reduction='avg'"),
    (lambda: F.kl_div(Tensor(np.zeros((2, 3))), np.zeros((3, 2))), ValueError,
     r"kl_div: input \(2, 3\) and target \(3, 2\)"),
    (lambda: F.kl_div(Tensor(np.zeros(2)), np.zeros(2), reduction="avg"), ValueError,
     "batchmean"),
    (lambda: nn.KLDivLoss(reduction="avg"), ValueError, "KLDivLoss: reduction='avg'.*batchmean"),
    (lambda: nn.HuberLoss(reduction="batchmean"), ValueError, "HuberLoss: reduction="),
    (lambda: F.normalize(Tensor(np.zeros(3))), IndexError,
     r"normalize: dim=1 is out of range for input \(3,\)"),
    (lambda: F.cosine_similarity(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 4)))),
     ValueError, r"cosine_similarity: x1 \(2, 3\) and x2 \(2, 4\) do not broadcast"),
    (lambda: F.pairwise_distance(Tensor(np.zeros((2, 3))), Tensor(np.zeros((4, 2)))),
     ValueError, r"pairwise_distance: x1 \(2, 3\)"),
    (lambda: F.embedding(np.array([0, 5]), np.zeros((5, 2))), IndexError,
     r"embedding: ids range 0..5, outside 0..4"),
    (lambda: F.embedding(np.array([0.5]), np.zeros((5, 2))), TypeError, "integer ids"),
    (lambda: F.embedding(np.array([0]), np.zeros((5, 2)), max_norm=1.0), NotImplementedError,
     "max_norm"),
    (lambda: F.embedding(np.array([0]), np.zeros((5, 2)), padding_idx=5), ValueError,
     "padding_idx=5"),
    (lambda: nn.Embedding(4, 2)(np.array([4])), IndexError, r"Embedding\(4, 2\): ids range"),
    (lambda: nn.Dropout2d(1.5), ValueError, "Dropout2d: p=1.5"),
    (lambda: F.dropout2d(Tensor(np.zeros(3))), ValueError, r"dropout2d: input \(3,\)"),
    (lambda: nn.Sequential().add_module("a.b", nn.ReLU()), KeyError, "'.'"),
    (lambda: nn.Sequential().add_module("x", 3), TypeError, "int, not a Module"),
    (lambda: nn.Sequential().add_module("training", nn.ReLU()), KeyError, "already exists"),
    (lambda: nn.utils.clip_grad_norm_([np.zeros(2)], 1.0), TypeError,
     "clip_grad_norm_: parameter 0 is a ndarray"),
    (lambda: nn.utils.clip_grad_value_([], -1.0), ValueError, "clip_value=-1.0"),
    (lambda: optim.RMSprop([nn.Parameter(np.ones(2))], alpha=-0.1), ValueError,
     "RMSprop: invalid alpha=-0.1"),
    (lambda: optim.RMSprop([nn.Parameter(np.ones(2))], eps=-1), ValueError, "RMSprop: invalid eps"),
    (lambda: optim.Adagrad([nn.Parameter(np.ones(2))], lr_decay=-1), ValueError,
     "Adagrad: invalid lr_decay=-1"),
    (lambda: optim.Adagrad([nn.Parameter(np.ones(2))], initial_accumulator_value=-1), ValueError,
     "initial_accumulator_value"),
    (lambda: lr_scheduler.LinearLR(optim.SGD([nn.Parameter(np.ones(2))]), start_factor=0),
     ValueError, "LinearLR: start_factor=0"),
    (lambda: lr_scheduler.LinearLR(optim.SGD([nn.Parameter(np.ones(2))]), end_factor=2),
     ValueError, "LinearLR: end_factor=2"),
    (lambda: lr_scheduler.LambdaLR(optim.SGD([nn.Parameter(np.ones(2))]), [abs, abs]),
     ValueError, "expected 1 lr_lambdas.*got 2"),
    (lambda: lr_scheduler.ExponentialLR("sgd", 0.9), TypeError, "str is not an Optimizer"),
])
def test_errors_name_the_op_the_shapes_and_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("call", [
    lambda x, y: F.huber_loss(x, y), lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
    lambda x, y: F.kl_div(x, abs(y), reduction="batchmean"), lambda x, y: F.normalize(x, 3.0),
    lambda x, y: F.cosine_similarity(x, y), lambda x, y: F.pairwise_distance(x, y),
    lambda x, y: F.dropout2d(x.reshape(3, 4, 1, 1))],
    ids=["huber", "smooth_l1", "kl_div", "normalize", "cosine", "pairwise", "dropout2d"])
def test_float32_stays_float32_values_and_gradients(call):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    out = call(x, Tensor(rng.standard_normal((3, 4)).astype(np.float32)))
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_optimizer_state_keeps_float32():
    w = nn.Parameter(np.ones(3, np.float32))
    for opt in (optim.RMSprop([w], momentum=0.9, centered=True), optim.Adagrad([w])):
        w.grad = np.full(3, 0.5, np.float32)
        opt.step()
        assert w.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[w].values()
                   if isinstance(v, np.ndarray))
