"""Batch norm: the ten-record graph, the fused primitive, the modules, vs PyTorch and the oracles."""
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_bn as tg
from tinygrad_bn import Tape, Tensor, cli, gradcheck, nn
from tinygrad_bn.teach import reference
from tinygrad_bn import functional as F

TEN = ["mean", "sub", "square", "mean", "add", "sqrt", "reciprocal", "mul", "mul", "add"]


def close(actual, expected, rtol, scale=None):
    """assert_allclose with atol = rtol * scale (default: the array's largest entry).

    Entries near 0 are judged by scale: they come from cancellation of much larger terms.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = max(np.abs(expected).max(initial=0.0), scale or 0.0, 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def dx_scale(x, g, gamma, eps=1e-5):
    """Size |g * gamma * ivar| of the terms dx is a difference of (N = 2: dx ~ eps, all cancellation)."""
    ivar = 1 / np.sqrt(x.var(axis=(0,) + tuple(range(2, x.ndim))) + eps)
    return np.abs(g).max() * ivar.max() * (1.0 if gamma is None else np.abs(gamma).max())


def leaves(x, c, seed=0, affine=True):
    """x, gamma, beta as float64 leaf tensors (non-trivial gamma and beta)."""
    rng = np.random.default_rng(seed)
    gamma = Tensor(rng.uniform(0.5, 2.0, c), requires_grad=True, name="gamma") if affine else None
    beta = Tensor(rng.standard_normal(c), requires_grad=True, name="beta") if affine else None
    return Tensor(np.array(x, dtype=np.float64), requires_grad=True, name="x"), gamma, beta


def run(x, gamma, beta, g, **kw):
    """Forward + backward with upstream g -> (out, dx, dgamma, dbeta); grads cleared after."""
    out = F.batch_norm(x, gamma, beta, **kw)
    out.backward(g)
    grads = [t.grad if t is not None else None for t in (x, gamma, beta)]
    for t in (x, gamma, beta):
        if t is not None:
            t.grad = None
    return (out.data.copy(), *grads)


# --- the recorded graph -------------------------------------------------------------------------
def test_composed_records_the_ten_named_ops_2d():
    x, gamma, beta = leaves(np.random.default_rng(0).standard_normal((5, 3)), 3)
    with Tape() as tape:
        F.batch_norm(x, gamma, beta)
    assert [r.op for r in tape] == TEN
    assert [r.output.name for r in tape] == list(reference.NAMES)
    assert all(r.scope and r.scope[-1].startswith("batch_norm#") for r in tape)


def test_composed_4d_is_the_ten_plus_leading_reshapes():
    x, gamma, beta = leaves(np.random.default_rng(0).standard_normal((2, 3, 2, 2)), 3)
    with Tape() as tape:
        F.batch_norm(x, gamma, beta)
    ops = [r.op for r in tape]
    assert ops == ["reshape", "reshape"] + TEN


@pytest.mark.parametrize("shape, affine", [((5, 3), True), ((2, 3, 2, 2), True), ((4, 2), False)])
def test_fused_is_one_record_saving_less(shape, affine):
    x, gamma, beta = leaves(np.random.default_rng(0).standard_normal(shape), shape[1],
                            affine=affine)
    with Tape() as fused:
        F.batch_norm(x, gamma, beta, fused=True)
    with Tape() as composed:
        F.batch_norm(x, gamma, beta)
    assert [r.op for r in fused] == ["batch_norm"]
    assert sorted(fused[0].saved) == sorted(["x", "var", "eps", "axes", "mean"] + ["gamma"] * affine)
    full_size = [a for r in composed for a in r.saved.values() if np.shape(a) == shape]
    assert len({id(a) for a in full_size}) == 1 + affine      # xmu, and xhat for gamma * xhat
    assert fused.nbytes < composed.nbytes if affine else fused.nbytes == composed.nbytes


# --- composed vs fused --------------------------------------------------------------------------
def _adversarial():
    rng = np.random.default_rng(3)
    const = rng.standard_normal((6, 3))
    const[:, 1] = 0.7                                   # a zero-variance channel
    return {"random": rng.standard_normal((7, 4)), "constant channel": const,
            "scale 1e6": 1e6 * rng.standard_normal((5, 3)) + 3e6,
            "scale 1e-6": 1e-6 * rng.standard_normal((5, 3)),
            "N = 2": rng.standard_normal((2, 5)),
            "4-D": rng.standard_normal((2, 3, 3, 2)),
            "4-D, N = 1": rng.standard_normal((1, 2, 2, 3))}


@pytest.mark.parametrize("case", list(_adversarial()))
@pytest.mark.parametrize("affine", [True, False])
def test_composed_and_fused_agree_to_1e12(case, affine):
    data = _adversarial()[case]
    g = np.random.default_rng(1).standard_normal(data.shape)
    results = []
    for fused in (False, True):
        x, gamma, beta = leaves(data, data.shape[1], affine=affine)
        rm, rv = np.zeros(data.shape[1]), np.ones(data.shape[1])
        out = run(x, gamma, beta, g, running_mean=rm, running_var=rv, fused=fused)
        results.append([a for a in out if a is not None] + [rm, rv])
    scales = [None, dx_scale(data, g, None if gamma is None else gamma.data)] + [None] * 4
    for a, b, scale in zip(*results, scales):
        assert np.all(np.isfinite(a))
        close(a, b, 1e-12, scale)


@pytest.mark.parametrize("order", ["C", "batch last"])
def test_fused_keeps_the_input_layout_and_agrees_with_composed(order):
    """conv2d's output keeps its batch axis last; fused BN's output and dx keep that layout (a
    C-ordered copy would slow every op after it) and give the composed numbers in either layout."""
    data = np.random.default_rng(2).standard_normal((4, 3, 5, 6))
    if order == "batch last":
        data = np.ascontiguousarray(data.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    g = np.random.default_rng(3).standard_normal(data.shape)
    results = []
    for fused in (False, True):
        x, gamma, beta = leaves(data, 3, affine=True)
        y = F.batch_norm(x, gamma, beta, fused=fused)
        y.backward(g)
        results.append((y.data, x.grad, gamma.grad, beta.grad))
        if fused:
            assert np.argsort(y.data.strides).tolist() == np.argsort(data.strides).tolist()
    for a, b in zip(*results):
        close(a, b, 1e-12)


# --- node by node against the plain-NumPy oracles -----------------------------------------------
@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 2, 3)])
def test_engine_nodes_match_the_staged_and_simplified_oracles(shape):
    rng = np.random.default_rng(4)
    data, g = rng.standard_normal(shape) * 2 + 1, rng.standard_normal(shape)
    x, gamma, beta = leaves(data, shape[1])
    with Tape() as tape:
        out = F.batch_norm(x, gamma, beta)
    out.backward(g)
    ref_out, cache = reference.staged_forward(data, gamma.data, beta.data)
    grads = reference.staged_backward(g, cache)
    nodes = {r.output.name: r.output for r in tape if r.op != "reshape"}
    for name in reference.NAMES:
        close(nodes[name].data, cache[name], 1e-13)
        close(nodes[name].grad, grads["d" + name], 1e-12)
    close(x.grad, grads["dx"], 1e-12, dx_scale(data, g, gamma.data))
    simple = reference.simplified_backward(g, cache)
    x.grad = gamma.grad = beta.grad = None
    _, dx, dgamma, dbeta = run(x, gamma, beta, g, fused=True)
    for name, ours in (("dx", dx), ("dgamma", dgamma), ("dbeta", dbeta)):
        close(ours, simple[name], 1e-12, dx_scale(data, g, gamma.data))
        close(ours, grads[name], 1e-12, dx_scale(data, g, gamma.data))


# --- against PyTorch ----------------------------------------------------------------------------
@st.composite
def bn_cases(draw):
    rank = draw(st.sampled_from([2, 3, 4, 5]))
    c = draw(st.integers(1, 4))
    shape = (draw(st.integers(1, 6 if rank == 2 else 3)), c) + \
        tuple(draw(st.integers(1, 3)) for _ in range(rank - 2))
    if np.prod(shape) // c < 2:
        shape = (shape[0] + 1,) + shape[1:]
    return dict(shape=shape, seed=draw(st.integers(0, 2**16)), fused=draw(st.booleans()),
                affine=draw(st.booleans()), track=draw(st.booleans()),
                momentum=draw(st.sampled_from([0.1, 0.25, None])),
                scale=draw(st.sampled_from([1e-3, 1.0, 1e3])))


def _torch_bn(torch, case, ours):
    cls = {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d,
           5: torch.nn.BatchNorm3d}[len(case["shape"])]
    tb = cls(case["shape"][1], momentum=case["momentum"], affine=case["affine"],
             track_running_stats=case["track"]).double()
    with torch.no_grad():
        for p, q in zip(tb.parameters(), ours.parameters()):
            p.copy_(torch.from_numpy(q.data))
    return tb


def _compare_step(torch, ours, tb, x, g):
    """One forward+backward of both modules; outputs, grads and buffers to rtol 1e-10.

    Returns PyTorch's out, dx, dgamma, dbeta (None without affine) for further checks.
    """
    X, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(X), tb(xt)
    out.backward(g)
    out_t.backward(torch.from_numpy(g))
    theirs = {"out": out_t.detach().numpy(), "dx": xt.grad.numpy(), "dgamma": None, "dbeta": None}
    close(out.data, theirs["out"], 1e-10)
    close(X.grad, theirs["dx"], 1e-10, dx_scale(x, g, getattr(ours.weight, "data", None)))
    for name, p, q in zip(("dgamma", "dbeta"), ours.parameters(), tb.parameters()):
        theirs[name] = q.grad.numpy()
        close(p.grad, theirs[name], 1e-10)
        p.grad, q.grad = None, None
    buffers = {k: v.numpy() for k, v in tb.state_dict().items()}
    mine = ours.state_dict()
    assert sorted(mine) == sorted(buffers)
    for k in mine:
        close(mine[k], buffers[k], 1e-10)
    return theirs


def _oracles_match(x, g, ours, theirs):
    """reference.py's staged and simplified BN give PyTorch's out, dx, dgamma, dbeta too.

    The oracles take (N, D) or (N, C, H, W): 3-D and 5-D inputs are viewed as 4-D (same stats).
    """
    c = x.shape[1]
    if x.ndim in (3, 5):
        as_4d = x.shape[:2] + (-1, x.shape[-1] if x.ndim == 5 else 1)
        x, g = x.reshape(as_4d), g.reshape(as_4d)
        theirs = dict(theirs, out=theirs["out"].reshape(as_4d), dx=theirs["dx"].reshape(as_4d))
    gamma = ours.weight.data if ours.affine else np.ones(c)
    out, cache = reference.staged_forward(x, gamma, ours.bias.data if ours.affine else np.zeros(c))
    close(out, theirs["out"], 1e-10)
    for grads in (reference.staged_backward(g, cache), reference.simplified_backward(g, cache)):
        close(grads["dx"], theirs["dx"], 1e-10, dx_scale(x, g, gamma))
        if ours.affine:
            close(grads["dgamma"], theirs["dgamma"], 1e-10)
            close(grads["dbeta"], theirs["dbeta"], 1e-10)


@settings(max_examples=60)
@given(bn_cases())
def test_modules_match_pytorch(case):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-check skipped")
    torch.set_num_threads(1)                  # tiny tensors: threads only contend with each other
    cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}[
        len(case["shape"])]
    ours = cls(case["shape"][1], momentum=case["momentum"], affine=case["affine"],
               track_running_stats=case["track"], fused=case["fused"])
    rng = np.random.default_rng(case["seed"])
    if case["affine"]:
        c = case["shape"][1]
        ours.weight.data, ours.bias.data = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    tb = _torch_bn(torch, case, ours)
    for _ in range(2):                        # two training steps: the momentum rule compounds
        x = case["scale"] * rng.standard_normal(case["shape"]) + rng.standard_normal()
        g = rng.standard_normal(case["shape"])
        _oracles_match(x, g, ours, _compare_step(torch, ours, tb, x, g))
    ours.eval(), tb.eval()
    x = case["scale"] * rng.standard_normal(case["shape"])
    _compare_step(torch, ours, tb, x, rng.standard_normal(case["shape"]))


@pytest.mark.parametrize("fused", [False, True])
def test_zero_variance_channel_is_finite_and_matches_pytorch(torch, fused):
    x = np.random.default_rng(5).standard_normal((4, 3, 2, 2))
    x[:, 2] = -1.25
    ours, tb = nn.BatchNorm2d(3, fused=fused), torch.nn.BatchNorm2d(3).double()
    g = np.random.default_rng(6).standard_normal(x.shape)
    _compare_step(torch, ours, tb, x, g)


@pytest.mark.parametrize("fused", [False, True])
def test_bn2d_with_one_sample_and_several_pixels_matches_pytorch(torch, fused):
    x = np.random.default_rng(7).standard_normal((1, 2, 2, 3))
    ours, tb = nn.BatchNorm2d(2, fused=fused), torch.nn.BatchNorm2d(2).double()
    _compare_step(torch, ours, tb, x, np.random.default_rng(8).standard_normal(x.shape))


# --- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (1, 3)), (nn.BatchNorm2d, (1, 3, 1, 1))])
@pytest.mark.parametrize("fused", [False, True])
def test_one_value_per_channel_in_training_raises_and_eval_works(cls, shape, fused):
    layer = cls(3, fused=fused)
    with pytest.raises(ValueError) as err:
        layer(Tensor(np.ones(shape)))
    msg = str(err.value)
    assert str(shape) in msg and "1 value per channel" in msg and "eval" in msg and "batch" in msg
    assert layer.num_batches_tracked == 0
    with pytest.warns(UserWarning, match="never updated"):      # eval before any training
        assert layer.eval()(Tensor(np.ones(shape))).shape == shape


@pytest.mark.parametrize("layer, shape, words", [
    (nn.BatchNorm1d(3), (4, 5), ["BatchNorm1d(3)", "(4, 5)", "5 features"]),
    (nn.BatchNorm2d(3), (4, 3, 5), ["BatchNorm2d", "(4, 3, 5)", "(N, C, H, W)"]),
    (nn.BatchNorm1d(3), (4, 3, 5, 2), ["BatchNorm1d", "(4, 3, 5, 2)", "BatchNorm2d"]),
    (nn.BatchNorm3d(3), (4, 3, 5, 2), ["BatchNorm3d", "(4, 3, 5, 2)", "(N, C, D, H, W)"])])
def test_module_input_errors_name_the_shapes_and_the_fix(layer, shape, words):
    with pytest.raises(ValueError) as err:
        layer(Tensor(np.ones(shape)))
    assert all(w in str(err.value) for w in words)


def test_functional_errors():
    x = Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"gamma has shape \(2,\).*\(3,\)"):
        F.batch_norm(x, np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="6 dims"):
        F.batch_norm(Tensor(np.ones((4, 3, 2, 1, 1, 1))), None, None)
    with pytest.raises(ValueError, match="1/num_batches_tracked"):
        F.batch_norm(x, None, None, np.zeros(3), np.ones(3), momentum=None)


# --- gradcheck ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (2, 2, 2, 3)])
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("affine", [True, False])
def test_gradcheck_training(shape, fused, affine):
    x, gamma, beta = leaves(np.random.default_rng(9).standard_normal(shape), shape[1],
                            affine=affine)
    args = (x, gamma, beta) if affine else (x,)
    fn = (lambda x, g, b: F.batch_norm(x, g, b, fused=fused)) if affine else \
        (lambda x: F.batch_norm(x, None, None, fused=fused))
    assert gradcheck(fn, *args)


def test_gradcheck_eval():
    x, gamma, beta = leaves(np.random.default_rng(10).standard_normal((3, 2, 2, 2)), 2)
    rm, rv = np.array([0.3, -0.2]), np.array([0.5, 2.0])
    assert gradcheck(lambda x, g, b: F.batch_norm(x, g, b, rm, rv, training=False), x, gamma, beta)


# --- folding ------------------------------------------------------------------------------------
def _trained(bn, shape, seed=11):
    rng = np.random.default_rng(seed)
    c = bn.num_features
    bn.weight.data, bn.bias.data = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    for _ in range(3):
        bn(Tensor(rng.standard_normal(shape) * 2 + 1))
    return bn.eval()


def test_fold_is_the_eval_map_and_needs_eval_mode():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(RuntimeError, match="eval"):
        bn.fold()
    bn = _trained(bn, (8, 3))
    x = np.random.default_rng(12).standard_normal((5, 3))
    k, b = bn.fold()
    close(k * x + b, bn(Tensor(x)).data, 1e-13)


@pytest.mark.parametrize("bias", [True, False])
def test_fold_into_a_matmul_layer(bias):
    rng = np.random.default_rng(13)
    layer = SimpleNamespace(weight=rng.standard_normal((3, 4)),
                            bias=rng.standard_normal(3) if bias else None)
    bn = _trained(nn.BatchNorm1d(3), (8, 3))
    x = rng.standard_normal((6, 4))
    pre = x @ layer.weight.T + (layer.bias if bias else 0)
    w, b = nn.fold_into(layer, bn)
    close(x @ w.T + b, bn(Tensor(pre)).data, 1e-12)


def test_fold_into_nn_linear_and_conv2d():
    rng = np.random.default_rng(14)
    for layer, bn, shape in ((nn.Linear(4, 3), nn.BatchNorm1d(3), (6, 4)),
                             (nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), (2, 2, 5, 5))):
        x = Tensor(rng.standard_normal(shape))
        bn = _trained(bn, layer(x).shape)
        expected = bn(layer(x)).data
        layer.weight.data, layer.bias.data = nn.fold_into(layer, bn)
        close(layer(x).data, expected, 1e-12)


def test_fold_into_rejects_a_mismatched_layer():
    layer = SimpleNamespace(weight=np.ones((4, 2)), bias=None)
    with pytest.raises(ValueError, match="4 outputs"):
        nn.fold_into(layer, _trained(nn.BatchNorm1d(3), (8, 3)))


def test_float32_stays_float32():
    x = Tensor(np.random.default_rng(15).standard_normal((4, 3)).astype(np.float32))
    gamma, beta = Tensor(np.ones(3, np.float32)), Tensor(np.zeros(3, np.float32))
    for fused in (False, True):
        assert F.batch_norm(x, gamma, beta, fused=fused).dtype == np.float32


def test_fused_with_float64_gamma_on_float32_x_promotes_as_composed():
    rng = np.random.default_rng(16)
    data, g = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((5, 3))
    results = []
    for fused in (False, True):
        x = Tensor(data, requires_grad=True)
        gamma = Tensor(rng.uniform(0.5, 2.0, 3) if not results else results[0][1], requires_grad=True)
        beta = Tensor(np.zeros(3), requires_grad=True)
        with pytest.warns(UserWarning, match="mixing float32"):
            out = F.batch_norm(x, gamma, beta, fused=fused)
        out.backward(g)
        results.append((out.data, gamma.data, x.grad, gamma.grad, beta.grad))
    for a, b in zip(*results):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert [a.dtype for a in results[1]] == [np.float64, np.float64, np.float32, np.float64,
                                             np.float64]


# --- compare_bn and its command -----------------------------------------------------------------
def test_compare_bn_figures_and_table():
    result = tg.compare_bn((6, 3, 2, 2), seed=1, repeats=2)
    assert result.records == {"composed": 12, "fused": 1}
    assert result.nbytes["fused"] < result.nbytes["composed"]
    assert all(rel < 1e-13 for _, rel in result.diffs.values())
    text = str(result)
    assert "| records | 12 | 1 | 0.08 | | |" in text
    assert all(f"| {name} |" in text for name in ("out", "dx", "dgamma", "dbeta", "forward",
                                                  "backward", "bytes saved"))


def test_compare_bn_command(capsys):
    assert cli.main(["compare-bn", "--shape", "8,3", "--dtype", "float32", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert "x (8, 3) float32" in out and "| records | 10 | 1 |" in out


@pytest.mark.parametrize("fused", [False, True])
def test_bias_right_before_bn_gets_zero_gradient(fused):
    rng = np.random.default_rng(16)
    for layer, bn, shape in ((nn.Linear(4, 3), nn.BatchNorm1d(3, fused=fused), (6, 4)),
                             (nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, fused=fused), (2, 2, 5, 5))):
        bn.weight.data = rng.uniform(0.5, 2, 3)
        out = bn(layer(Tensor(rng.standard_normal(shape))))
        out.backward(rng.standard_normal(out.shape))
        assert np.abs(layer.bias.grad).max() < 1e-12 * np.abs(layer.weight.grad).max()


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 2, 2)])
def test_fused_running_statistics_are_the_primitives_recorded_or_not(shape):
    data = np.random.default_rng(9).standard_normal(shape) * 3 + 1
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    n = data.size // shape[1]
    expected_mean = 0.9 * 0 + 0.1 * data.mean(axis=axes)
    expected_var = 0.9 * 1 + 0.1 * data.var(axis=axes) * n / (n - 1)
    for recorded in (True, False):
        rm, rv = np.zeros(shape[1]), np.ones(shape[1])
        x, gamma, beta = leaves(data, shape[1])
        with tg.enable_grad() if recorded else tg.no_grad():
            out = F.batch_norm(x, gamma, beta, rm, rv, fused=True)
        assert (out.record is not None) == recorded
        close(rm, expected_mean, 1e-13)
        close(rv, expected_var, 1e-13)
