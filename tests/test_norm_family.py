"""BN's family (LayerNorm, GroupNorm, InstanceNorm1d/2d), Embedding and Identity against torch:
parameter names and shapes, values and gradients in float64, a gradcheck each; eps <= 0 refused."""
import numpy as np
import pytest

from tinygrad_bn import Tape, Tensor, gradcheck, nn
from tinygrad_bn import functional as F

BN_CHAIN = ["mean", "sub", "square", "mean", "add", "sqrt", "reciprocal", "mul"]

# (our module, torch's name, constructor arguments, input shape)
LAYERS = [
    (nn.LayerNorm, "LayerNorm", (5,), (4, 5)),
    (nn.LayerNorm, "LayerNorm", ((3, 4),), (2, 5, 3, 4)),
    (nn.GroupNorm, "GroupNorm", (2, 6), (3, 6, 2, 2)),
    (nn.GroupNorm, "GroupNorm", (3, 6, 1e-3, False), (3, 6, 5)),
    (nn.InstanceNorm1d, "InstanceNorm1d", (3,), (2, 3, 6)),
    (nn.InstanceNorm1d, "InstanceNorm1d", (3, 1e-5, 0.1, True), (3, 6)),      # unbatched
    (nn.InstanceNorm2d, "InstanceNorm2d", (3, 1e-5, 0.1, True, True), (2, 3, 4, 3)),
]
IDS = [f"{name}{args}-{shape}" for _, name, args, shape in LAYERS]


def _randomize(module, rng):
    """Non-trivial weight and bias (ones and zeros would hide an affine bug)."""
    for p in module.parameters():
        p.data = rng.uniform(0.5, 1.5, p.shape)
    return module


def _twin(torch, module, name, args):
    twin = getattr(torch.nn, name)(*args).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in module.state_dict().items()})
    return twin


@pytest.mark.parametrize("make, name, args, shape", LAYERS, ids=IDS)
def test_values_and_gradients_match_torch_in_training_and_eval(torch, make, name, args, shape):
    rng = np.random.default_rng(0)
    ours = _randomize(make(*args), rng)
    twin = _twin(torch, ours, name, args)
    assert [(k, np.shape(v)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in twin.state_dict().items()]
    for training in (True, True, False):           # two steps move running stats, then eval
        ours.train(training)
        twin.train(training)
        x = rng.standard_normal(shape) * 3 + 2
        g = rng.standard_normal(shape)
        xt = Tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        out, t_out = ours(xt), twin(tx)
        out.backward(g)
        t_out.backward(torch.tensor(g))
        np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-11)
        for (k, p), (_, tp) in zip(ours.named_parameters(), twin.named_parameters()):
            np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=k)
            p.grad, tp.grad = None, None
    theirs = twin.state_dict()
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v, theirs[k].numpy(), rtol=1e-12, err_msg=k)


@pytest.mark.parametrize("make, name, args, shape", LAYERS, ids=IDS)
def test_gradcheck(make, name, args, shape):
    rng = np.random.default_rng(1)
    ours = _randomize(make(*args), rng)
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda x, *params: ours(x), x, *ours.parameters())


@pytest.mark.parametrize("fn, axes", [
    (lambda x, g, b: F.batch_norm(x, g, b), "batch"),
    (lambda x, g, b: F.layer_norm(x, (3,), g, b), "features"),
    (lambda x, g, b: F.instance_norm(x.reshape(1, 4, 3), weight=g, bias=b), "length")])
def test_the_family_records_bns_chain_and_differs_in_the_axes_only(fn, axes):
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    c = 4 if axes == "length" else 3
    g, b = Tensor(np.ones(c), requires_grad=True), Tensor(np.zeros(c), requires_grad=True)
    with Tape() as tape:
        fn(x, g, b)
    ops = [r.op for r in tape if r.op != "reshape"]
    assert ops == BN_CHAIN + ["mul", "add"]
    reduced = {r.attrs.get("axis") for r in tape if r.op == "mean"}
    assert reduced == {{"batch": (0,), "features": (1,), "length": (2,)}[axes]}


def test_group_norm_is_instance_norm_or_layer_norm_at_the_extremes(torch):
    x = Tensor(np.random.default_rng(2).standard_normal((2, 4, 3)))
    np.testing.assert_allclose(F.group_norm(x, 4).data, F.instance_norm(x).data, rtol=1e-12)
    np.testing.assert_allclose(F.group_norm(x, 1).data, F.layer_norm(x, (4, 3)).data, rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda x: F.batch_norm(x, eps=0.0), lambda x: F.batch_norm(x, eps=-1e-5, fused=True),
    lambda x: nn.BatchNorm1d(3, eps=0)(x), lambda x: nn.BatchNorm1d(3, eps=0, fused=True)(x),
    lambda x: F.layer_norm(x, (3,), eps=0), lambda x: F.group_norm(x, 1, eps=-1.0),
    lambda x: F.instance_norm(x.reshape(1, 4, 3), eps=0)])
def test_eps_must_be_positive_with_batch_statistics(call):
    x = Tensor(np.ones((4, 3)))                     # constant channels: variance 0
    with pytest.raises(ValueError, match=r"eps=.* must be a number > 0.*divides by zero"):
        call(x)


def test_eval_bn_with_eps_zero_still_uses_its_running_variance():
    bn = nn.BatchNorm1d(3, eps=0).eval()
    bn.num_batches_tracked += 1
    np.testing.assert_array_equal(bn(Tensor(np.ones((2, 3)))).data, 1.0)


def test_norm_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"normalized_shape=\(4,\).*\(2, 3\)"):
        F.layer_norm(Tensor(np.ones((2, 3))), 4)
    with pytest.raises(ValueError, match="num_groups=4 must divide"):
        F.group_norm(Tensor(np.ones((2, 6, 3))), 4)
    with pytest.raises(ValueError, match="1 spatial value per channel"):
        nn.InstanceNorm1d(3)(Tensor(np.ones((2, 3, 1))))


def test_embedding_matches_torch_with_repeated_ids_and_padding(torch):
    ours = nn.Embedding(6, 3, padding_idx=2)
    twin = torch.nn.Embedding(6, 3, padding_idx=2).double()
    assert [(k, np.shape(v)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in twin.state_dict().items()]
    assert not ours.weight.data[2].any()
    ours.weight.data[2] = 0.5                       # the padding row's value is still looked up
    twin.load_state_dict({"weight": torch.tensor(ours.weight.data)})
    ids = np.array([[0, 2, 5, 0], [2, 3, 0, 1]])
    g = np.random.default_rng(0).standard_normal((2, 4, 3))
    out, t_out = ours(ids), twin(torch.tensor(ids))
    out.backward(g)
    t_out.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad, twin.weight.grad.numpy(), rtol=1e-14)
    assert not ours.weight.grad[2].any() and ours.weight.grad[0].any()
    assert gradcheck(lambda w: ours(ids), ours.weight)


def test_embedding_refuses_float_and_out_of_range_ids():
    emb = nn.Embedding(4, 2)
    with pytest.raises(TypeError, match="integer ids"):
        emb(np.array([0.0, 1.0]))
    with pytest.raises(IndexError, match=r"ids range 0..4, outside 0..3"):
        emb(Tensor(np.array([0, 4])))


def test_identity_passes_its_input_through_as_torch(torch):
    x = Tensor(np.ones(3), requires_grad=True)
    assert nn.Identity(54, unused="argument")(x) is x
    assert not nn.Identity().parameters() and not list(torch.nn.Identity().parameters())


@pytest.mark.parametrize("target, axis", [("layernorm", (1,)), ("groupnorm", (2,)),
                                          ("instancenorm", (2,))])
def test_built_in_graph_targets_draw_bns_chain_over_other_axes(target, axis):
    """`tinygrad-bn graph layernorm` and friends: BN's named nodes, a mean over other axes."""
    from tinygrad_bn.teach.targets import load_target
    from tinygrad_bn.viz import to_dot
    source, bn_source = to_dot(load_target(target)).source, to_dot(load_target("bn")).source
    assert f"mean\\naxis={axis}" in source and "mean\\naxis=(0,)" in bn_source
    assert "axis=(0,)" not in source
    for name in ("mu", "xmu", "sq", "var", "var_eps", "sqrtvar", "ivar", "xhat", "gammax", "loss"):
        assert f'label="{name}\\n' in source and f'label="{name}\\n' in bn_source
