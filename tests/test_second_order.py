"""Gradients of gradients: create_graph, tg.grad, tg.autograd.functional and gradgradcheck,
against central differences and torch 2.13 (float64). The per-op rows live in test_ops.py."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tape, Tensor, gradgradcheck, nn
from tinygrad_bn import functional as F
from tinygrad_bn.autograd import functional as AF
from tinygrad_bn.engine import KERNELS
from tinygrad_bn.gradcheck import GradcheckError

RNG = np.random.default_rng(21)


def leaf(*shape, low=None):
    data = RNG.uniform(low, 1.0, shape) if low is not None else RNG.standard_normal(shape)
    return Tensor(data, requires_grad=True)


def torch_copy(torch, t):
    return torch.tensor(t.data, requires_grad=True)


def second_order(torch, fn, xs, torch_fn=None):
    """(ours, torch's) d/dxs of sum(grad(fn(xs), xs, v) * w) for random v and w."""
    ts = [torch_copy(torch, x) for x in xs]
    out, t_out = fn(*xs), (torch_fn or fn)(*ts)
    v = RNG.standard_normal(out.shape)
    w = [RNG.standard_normal(x.shape) for x in xs]
    gs = tg.grad(out, xs, v, create_graph=True)
    live = [(g, wi) for g, wi in zip(gs, w) if g.requires_grad]   # pooling: piecewise linear
    ours = (tg.grad([g for g, _ in live], xs, [wi for _, wi in live], allow_unused=True)
            if live else [None] * len(xs))
    t_gs = torch.autograd.grad(t_out, ts, torch.as_tensor(v), create_graph=True)
    theirs = torch.autograd.grad(t_gs, ts, [torch.as_tensor(wi) for wi in w], allow_unused=True)
    return ([np.zeros(x.shape) if a is None else a.data for x, a in zip(xs, ours)],
            [np.zeros(x.shape) if b is None else (b + 0).detach().numpy() for x, b in zip(xs, theirs)])


# --- the ops test_ops.py leaves to their own files: conv, pooling, the fused batch norm --------
WINDOW_CASES = {
    "conv2d": (lambda x, w: F.conv2d(x, w, stride=2, padding=1), [(2, 3, 5, 5), (4, 3, 3, 3)], None),
    "conv2d-groups-dilation": (lambda x, w: F.conv2d(x, w, padding=2, dilation=2, groups=3),
                               [(2, 3, 5, 5), (6, 1, 3, 3)], None),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
                         [(2, 4, 3, 3), (4, 2, 3, 3)], None),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [(2, 2, 5, 5)], None),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), [(2, 2, 4, 4)], None),
    "batch_norm-fused-2d": (lambda x, g, b: F.batch_norm(x, g, b, fused=True) * x,
                            [(6, 3), (3,), (3,)], None),
    "batch_norm-fused-4d": (lambda x, g, b: F.batch_norm(x, g, b, fused=True).square(),
                            [(3, 2, 3, 3), (2,), (2,)], None),
}


def torch_version(torch, name):
    """The same case in torch.nn.functional (torch's own batchnorm_double_backward for BN)."""
    tf = torch.nn.functional
    return {"conv2d": lambda x, w: tf.conv2d(x, w, stride=2, padding=1),
            "conv2d-groups-dilation": lambda x, w: tf.conv2d(x, w, padding=2, dilation=2, groups=3),
            "conv_transpose2d": lambda x, w: tf.conv_transpose2d(x, w, stride=2, padding=1,
                                                                 output_padding=1),
            "max_pool2d": lambda x: tf.max_pool2d(x, 3, stride=2, padding=1),
            "avg_pool2d": lambda x: tf.avg_pool2d(x, 2),
            "batch_norm-fused-2d": lambda x, g, b: tf.batch_norm(x, None, None, g, b, True) * x,
            "batch_norm-fused-4d": lambda x, g, b: tf.batch_norm(x, None, None, g, b, True).square(),
            }[name]


@pytest.mark.parametrize("name", WINDOW_CASES)
def test_conv_pool_and_fused_bn_double_backward_match_torch(name, torch):
    fn, shapes, _ = WINDOW_CASES[name]
    xs = [leaf(*s) for s in shapes]
    ours, theirs = second_order(torch, fn, xs, torch_version(torch, name))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10, err_msg=f"{name}: input {i}")


@pytest.mark.parametrize("name", WINDOW_CASES)
def test_conv_pool_and_fused_bn_gradgradcheck(name):
    fn, shapes, _ = WINDOW_CASES[name]
    assert gradgradcheck(fn, *[leaf(*s) for s in shapes])


def test_fused_bn_double_backward_equals_the_composed_graphs():
    x, g, b = leaf(8, 3), leaf(3), leaf(3)
    hessians = [AF.hessian(lambda x: (F.batch_norm(x, g, b, fused=fused) ** 3).sum(), x).data
                for fused in (False, True)]
    np.testing.assert_allclose(*hessians, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 2)])
def test_fused_bn_is_walked_as_the_composed_graph_under_create_graph(shape):
    x, g, b = leaf(*shape), leaf(3), leaf(3)
    with Tape() as composed:
        F.batch_norm(x, g, b)
    out = F.batch_norm(x, g, b, fused=True)
    with Tape() as tape:
        out.backward(RNG.standard_normal(out.shape), create_graph=True)
    rebuilt = [r.op for r in tape if r.scope and r.scope[-1].startswith("backward of batch_norm")]
    assert rebuilt == [r.op for r in composed]


# --- every nn layer: gradgradcheck over the input and the parameters --------------------------
def _bn(cls, c, fused=False):
    return cls(c, fused=fused)


LAYERS = {   # name: (make layer, input shape, input low end or None for normal values)
    "Linear": (lambda: nn.Linear(3, 2), (4, 3), None),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, padding=1), (2, 2, 5), None),
    "Conv2d": (lambda: nn.Conv2d(2, 2, 3, stride=2), (2, 2, 5, 5), None),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(2, 2, 3, stride=2), (2, 2, 3), None),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 2, 2, stride=2), (1, 2, 2, 3), None),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3), (5, 3), None),
    "BatchNorm1d-fused": (lambda: nn.BatchNorm1d(3, fused=True), (5, 3), None),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(2), (3, 2, 2, 2), None),
    "BatchNorm2d-fused": (lambda: nn.BatchNorm2d(2, fused=True), (3, 2, 2, 2), None),
    "BatchNorm3d": (lambda: nn.BatchNorm3d(2), (2, 2, 2, 2, 2), None),
    "BatchNorm1d-eval": (lambda: nn.BatchNorm1d(3).eval(), (5, 3), None),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), (2, 2, 6), None),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (1, 2, 4, 4), None),
    "AvgPool1d": (lambda: nn.AvgPool1d(2), (2, 2, 6), None),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (1, 2, 4, 4), None),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d(2), (1, 2, 5, 5), None),
    "Flatten": (lambda: nn.Flatten(), (2, 3, 2), None),
    "Dropout-eval": (lambda: nn.Dropout(0.5).eval(), (3, 4), None),
    "Sequential": (lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(),
                                         nn.Linear(4, 2)), (6, 3), None),
    **{name: (lambda name=name: getattr(nn, name)(), (3, 4), None) for name in (
        "ReLU", "Sigmoid", "Tanh", "ELU", "GELU", "Hardsigmoid", "Hardswish", "Hardtanh",
        "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish", "ReLU6", "SiLU", "Softmax", "Softmin",
        "Softplus")},
}
LOSSES = {   # name: (loss, input shape, target)
    "MSELoss": (nn.MSELoss(), (3, 4), RNG.standard_normal((3, 4))),
    "L1Loss": (nn.L1Loss(), (3, 4), RNG.standard_normal((3, 4))),
    "BCELoss": (nn.BCELoss(), (3, 4), RNG.uniform(0, 1, (3, 4))),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss(), (3, 4), RNG.uniform(0, 1, (3, 4))),
    "CrossEntropyLoss": (nn.CrossEntropyLoss(), (3, 4), np.array([0, 3, 1])),
    "NLLLoss": (nn.NLLLoss(), (3, 4), np.array([0, 3, 1])),
}


def with_parameters(layer):
    """fn(x, *params) running `layer` with the given tensors as its parameters (gradgradcheck
    hands float64 copies), and the parameters themselves."""
    names = [name for name, _ in layer.named_parameters()]
    params = [p for _, p in layer.named_parameters()]

    def fn(x, *ps):
        for name, p in zip(names, ps):
            *path, attr = name.split(".")
            owner = layer
            for part in path:
                owner = owner[int(part)] if part.isdigit() else getattr(owner, part)
            object.__setattr__(owner, attr, p)
        return layer(x)
    return fn, params


@pytest.mark.filterwarnings("ignore:BatchNorm1d.3.. eval mode but the running statistics")
@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_passes_gradgradcheck(name):
    make, shape, _ = LAYERS[name]
    layer = make()
    fn, params = with_parameters(layer)
    x = leaf(*shape)
    if name.startswith("MaxPool"):                  # distinct values: no ties inside a window
        x = Tensor(RNG.permutation(x.size).reshape(shape) / x.size, requires_grad=True)
    assert gradgradcheck(fn, x, *[Tensor(p.data, requires_grad=True) for p in params])


@pytest.mark.parametrize("name", LOSSES)
def test_every_loss_passes_gradgradcheck(name):
    loss, shape, target = LOSSES[name]
    low = 0.05 if name == "BCELoss" else None
    x = leaf(*shape, low=low)
    if name == "NLLLoss":
        assert gradgradcheck(lambda x: loss(x.log_softmax(axis=1), target), x)
    else:
        assert gradgradcheck(lambda x: loss(x, target), x)


def test_gradgradcheck_reports_a_wrong_second_derivative_in_the_table():
    """A double backward that is off fails with the worst-mismatch table, as gradcheck does."""
    x = leaf(3)
    with pytest.raises(GradcheckError, match=r"gradgradcheck: \d+ gradient entries disagree"):
        gradgradcheck(lambda x: x * Tensor(x.data) * x, x)   # x.data: left the graph


# --- create_graph and retain_graph -------------------------------------------------------------
def test_create_graph_makes_grad_a_tensor_with_its_graph(torch):
    x = leaf(4)
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad and x.grad.record is not None
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2, rtol=1e-12)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data, rtol=1e-12)


def test_second_derivatives_flow_through_a_small_slice_saved_as_a_copy(torch):
    """A small slice of a big array is saved as a private copy (so the rest stays writable); under
    create_graph that copy still stands for the slice it was made from."""
    data = np.random.default_rng(3).standard_normal(12)
    x = Tensor(data, requires_grad=True)
    y = x[:3]                                   # a view of 3 of x's 12 values
    (g,) = tg.grad((y * y * y).sum(), [x], create_graph=True)
    (h,) = tg.grad((g * Tensor(np.arange(12.0))).sum(), [x])
    xt = torch.tensor(data, requires_grad=True)
    (gt,) = torch.autograd.grad((xt[:3] ** 3).sum(), [xt], create_graph=True)
    (ht,) = torch.autograd.grad((gt * torch.arange(12.0, dtype=torch.float64)).sum(), [xt])
    np.testing.assert_allclose(h.data, ht.numpy(), rtol=1e-12)


def test_first_order_grads_stay_arrays_and_record_nothing():
    x = leaf(3)
    loss = (x * x).sum()
    with Tape() as tape:
        loss.backward()
    assert type(x.grad) is np.ndarray and len(tape) == 0


def test_retain_graph_defaults_to_create_graph_and_a_freed_graph_names_the_record():
    x = leaf(3)
    y = (x.exp() * 2).sum()
    y.backward(create_graph=True)
    y.backward(create_graph=True)                # retained: a second pass works
    z = (x.exp() * 2).sum()
    z.backward()
    with pytest.raises(RuntimeError, match=r"record r\d \(sum of \(3,\)\) was released.*"
                                           r"retain_graph=True \(or create_graph=True\)"):
        z.backward()


def test_memory_first_order_frees_every_record_and_create_graph_keeps_the_second_pass():
    """A first-order backward releases every saved array, as before. create_graph keeps the
    forward's records (the gradient's graph reads their outputs: the second pass goes back
    through them, as in torch) plus the records the backward made; the second pass frees both."""
    x, g, b = Tensor(RNG.standard_normal((64, 32)), requires_grad=True), leaf(32), leaf(32)
    with Tape() as tape:
        loss = (F.batch_norm(x, g, b) ** 2).mean()
    loss.backward()
    assert all(r.saved is None for r in tape) and tape.nbytes == 0
    with Tape() as forward:
        loss = (F.batch_norm(x, g, b) ** 2).mean()
    with Tape() as backward:
        loss.backward(create_graph=True)
    assert all(r.saved is not None for r in forward) and forward.nbytes > 0
    assert all(r.index > forward.records[-1].index for r in backward)
    x.grad.sum().backward()
    assert all(r.saved is None for r in forward.records + backward.records
               if r in tg.engine.records_of(x.grad))


# --- tg.grad --------------------------------------------------------------------------------------
def test_grad_returns_a_tuple_and_sets_no_grad(torch):
    x, w = leaf(3), leaf(3)
    y = (x * w).sum()
    gx, gw = tg.grad(y, (x, w))
    assert x.grad is None and w.grad is None and y.grad is None
    np.testing.assert_allclose(gx.data, w.data)
    np.testing.assert_allclose(gw.data, x.data)
    assert not gx.requires_grad


def test_grad_of_several_outputs_with_grad_outputs_and_a_non_leaf_input(torch):
    x = leaf(2, 3)
    h = x.tanh()
    a, b = (h * h).sum(axis=0), h.exp().mean()
    v = RNG.standard_normal(3)
    gh, gx = tg.grad([a, b], [h, x], [v, None])
    xt = torch_copy(torch, x)
    ht = xt.tanh()
    t_gh, t_gx = torch.autograd.grad([(ht * ht).sum(0), ht.exp().mean()], [ht, xt],
                                     [torch.as_tensor(v), None])
    np.testing.assert_allclose(gh.data, t_gh.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.data, t_gx.numpy(), rtol=1e-12)


def test_grad_unused_inputs_raise_unless_allowed():
    x, unused = leaf(3), leaf(2)
    y = x.sum()
    with pytest.raises(RuntimeError, match="input 1 .* was not used.*allow_unused=True"):
        tg.grad(y, [x, unused], retain_graph=True)
    gx, gu = tg.grad(y, [x, unused], allow_unused=True)
    assert gu is None and np.all(gx.data == 1)


def test_grad_of_an_input_without_requires_grad_raises():
    x = leaf(3)
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.grad(x.sum(), [Tensor(np.ones(3))])


def test_grad_with_create_graph_matches_torch_to_third_order(torch):
    x = leaf(5)
    f = lambda x: (x.sin() * x.exp()).sum()
    (g1,) = tg.grad(f(x), x, create_graph=True)
    (g2,) = tg.grad(g1.sum(), x, create_graph=True)
    (g3,) = tg.grad(g2.sum(), x)
    xt = torch_copy(torch, x)
    (t1,) = torch.autograd.grad(f(xt), xt, create_graph=True)
    (t2,) = torch.autograd.grad(t1.sum(), xt, create_graph=True)
    (t3,) = torch.autograd.grad(t2.sum(), xt)
    for a, b in ((g1, t1), (g2, t2), (g3, t3)):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10)


def test_a_compiled_kernel_falls_back_to_the_reference_rule_under_create_graph():
    """KERNELS entries run forward and first-order backward; create_graph uses OPS' rule."""
    class ArrayOnlyTanh(tg.OPS["tanh"]):
        @staticmethod
        def backward(g, saved, needs_input_grad):
            assert type(g) is np.ndarray, "a kernel's backward never sees Tensors"
            return g * (1 - saved["out"] ** 2)
    KERNELS["tanh"] = ArrayOnlyTanh
    try:
        x = leaf(4)
        y = x.tanh()
        assert y.record.impl is ArrayOnlyTanh
        (g,) = tg.grad(y.sum(), x, create_graph=True)
        (h,) = tg.grad(g.sum(), x)
    finally:
        del KERNELS["tanh"]
    t = np.tanh(x.data)
    np.testing.assert_allclose(h.data, -2 * t * (1 - t * t), rtol=1e-12)


# --- tg.autograd.functional against torch.autograd.functional ---------------------------------
def f_scalar(x, w):
    return ((w @ x).tanh() ** 2).sum() + (x * x).sum() * w.sum()


def f_vector(x, w):
    return (w @ x).sigmoid() * x[:2]


def _tensors(torch, arrays):
    return tuple(torch.tensor(a) for a in arrays)


def _close(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _close(a, b)
    else:
        assert isinstance(ours, Tensor)
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


ARRAYS = (RNG.standard_normal(4), RNG.standard_normal((2, 4)))


@pytest.mark.parametrize("fn", [f_scalar, f_vector])
def test_jacobian_matches_torch(fn, torch):
    from torch.autograd import functional as TF
    _close(AF.jacobian(fn, tuple(map(Tensor, ARRAYS))), TF.jacobian(fn, _tensors(torch, ARRAYS)))
    one = lambda x: fn(x, Tensor(ARRAYS[1]))
    t_one = lambda x: fn(x, torch.tensor(ARRAYS[1]))
    _close(AF.jacobian(one, Tensor(ARRAYS[0])), TF.jacobian(t_one, torch.tensor(ARRAYS[0])))


def test_hessian_matches_torch_for_one_and_several_inputs(torch):
    from torch.autograd import functional as TF
    _close(AF.hessian(f_scalar, tuple(map(Tensor, ARRAYS))),
           TF.hessian(f_scalar, _tensors(torch, ARRAYS)))
    one = lambda x: f_scalar(x, Tensor(ARRAYS[1]))
    t_one = lambda x: f_scalar(x, torch.tensor(ARRAYS[1]))
    h = AF.hessian(one, Tensor(ARRAYS[0]))
    assert h.shape == (4, 4)
    _close(h, TF.hessian(t_one, torch.tensor(ARRAYS[0])))


def test_vjp_jvp_hvp_match_torch(torch):
    from torch.autograd import functional as TF
    xs, ts = tuple(map(Tensor, ARRAYS)), _tensors(torch, ARRAYS)
    u = RNG.standard_normal(2)
    vs = (RNG.standard_normal(4), RNG.standard_normal((2, 4)))
    _close(AF.vjp(f_vector, xs, u), TF.vjp(f_vector, ts, torch.tensor(u)))
    _close(AF.jvp(f_vector, xs, vs), TF.jvp(f_vector, ts, _tensors(torch, vs)))
    _close(AF.hvp(f_scalar, xs, vs), TF.hvp(f_scalar, ts, _tensors(torch, vs)))
    _close(AF.vjp(f_scalar, xs), TF.vjp(f_scalar, ts))


def test_functional_create_graph_keeps_results_differentiable():
    x = leaf(3)
    _, (hv,) = AF.hvp(lambda x: (x ** 4).sum(), (x,), (np.ones(3),), create_graph=True)
    assert hv.requires_grad
    (d,) = tg.grad(hv.sum(), x)
    np.testing.assert_allclose(d.data, 24 * x.data, rtol=1e-12)


def test_functional_v_none_needs_a_single_element():
    with pytest.raises(ValueError, match="v can be None only"):
        AF.vjp(lambda x: x * 2, Tensor(np.ones(3)))


# --- teaching views: the backward as a graph you can draw, explain and step through ------------
def bn_penalty():
    """A gradient penalty on composed BN: sum((d loss / dx)**2), with the backward recorded."""
    x = Tensor(RNG.standard_normal((4, 2)), requires_grad=True, name="x")
    gamma = Tensor(RNG.uniform(0.5, 1.5, 2), requires_grad=True, name="gamma")
    beta = Tensor(RNG.standard_normal(2), requires_grad=True, name="beta")
    (F.batch_norm(x, gamma, beta) ** 3).mean().backward(create_graph=True)
    return x, (x.grad * x.grad).sum()


def test_drawing_a_gradient_tells_the_two_passes_apart():
    from tinygrad_bn.teach.viz.dot import STYLES
    x, _ = bn_penalty()
    source = tg.viz.to_dot(x.grad).source
    assert x.grad.name == "dx" and '"dx\\n' in source.replace("label=", "")
    forward_ops = source.count(f'fillcolor="{STYLES["op"]["fillcolor"]}"')
    backward_ops = source.count(f'fillcolor="{STYLES["backward_op"]["fillcolor"]}"')
    assert forward_ops >= 10 and backward_ops >= 10          # ten BN records, and their backward
    assert backward_ops == source.count("(backward of ")
    assert "r7: mul" in source and "(backward of r7)" in source   # xhat = xmu * ivar, and its rule


def test_explain_and_the_stepper_walk_the_backward_of_a_backward(tmp_path):
    _, penalty = bn_penalty()
    text = str(tg.explain(penalty))
    assert "mean_backward" in text and "step 1:" in text
    steps = tg.viz.Stepper(penalty).steps()
    assert sum(1 for s in steps if "mean_backward" in str(s)) >= 1


def test_cli_graph_backward_draws_forward_and_backward_together(tmp_path, capsys):
    from tinygrad_bn.cli import main
    out = tmp_path / "bn_backward.svg"
    assert main(["graph", "bn", "--backward", "--out", str(out)]) == 0
    source = (tmp_path / "bn_backward.gv").read_text()
    assert "(backward of r" in source and "r9: add" in source and "dgamma" in source


def test_functional_takes_torchs_keywords_and_vhp_equals_torchs(torch):
    """Code written for torch.autograd.functional runs as it is: vectorize/strategy change nothing
    here, strict=True says it is not supported, and vhp is v^T H as torch's."""
    data = np.array([0.3, -1.2, 2.0])
    f = lambda t: (t ** 3).sum() + (t[0] * t[1])
    ours = AF.jacobian(lambda t: t ** 2, Tensor(data), vectorize=True, strategy="reverse-mode")
    np.testing.assert_allclose(ours.data, np.diag(2 * data), rtol=1e-12)
    v = np.array([1.0, 0.5, -2.0])
    _, vh = AF.vhp(f, Tensor(data), Tensor(v))
    tf = lambda t: (t ** 3).sum() + (t[0] * t[1])
    _, vt = torch.autograd.functional.vhp(tf, torch.tensor(data), torch.tensor(v))
    np.testing.assert_allclose(vh.data, vt.numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="strict=True"):
        AF.hessian(f, Tensor(data), strict=True)
