"""to_torch / from_torch: every layer type in the table, outputs and running statistics equal to
PyTorch's in train and eval mode (float64, rtol 1e-9), exact round trips, clear refusals, and
torch stays optional."""
import collections
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.interop import LAYERS, from_torch, to_torch

# One or more small models per layer type, with non-default settings, and an input shape.
# A layer type in LAYERS without an example here fails test_every_layer_type_has_an_example.
EXAMPLES = {
    "linear": (lambda: nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2, bias=False)), (5, 3)),
    "conv": (lambda: nn.Sequential(nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0)),
                                   nn.Conv2d(3, 2, 1, bias=False),
                                   nn.Conv2d(2, 4, 3, dilation=2, groups=2, padding="same",
                                             padding_mode="circular")), (2, 2, 7, 6)),
    "conv1d": (lambda: nn.Sequential(nn.Conv1d(2, 4, 3, stride=2, padding=1, groups=2),
                                     nn.Conv1d(4, 2, 2, padding=1, padding_mode="reflect")),
               (2, 2, 9)),
    "conv_transpose": (lambda: nn.Sequential(
        nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2),
        nn.ConvTranspose2d(4, 2, (2, 3), dilation=2, bias=False)), (2, 2, 4, 3)),
    "conv_transpose1d": (lambda: nn.Sequential(nn.ConvTranspose1d(2, 3, 3, stride=2, dilation=2)),
                         (2, 2, 5)),
    "bn1d": (lambda: nn.Sequential(nn.BatchNorm1d(4, eps=1e-3, momentum=0.3),
                                   nn.BatchNorm1d(4, momentum=None, affine=False)), (6, 4)),
    "bn1d_ncl": (lambda: nn.Sequential(nn.BatchNorm1d(3, track_running_stats=False)), (4, 3, 5)),
    "bn2d": (lambda: nn.Sequential(nn.BatchNorm2d(3, momentum=None)), (2, 3, 4, 4)),
    "bn3d": (lambda: nn.Sequential(nn.BatchNorm3d(2, eps=1e-2)), (2, 2, 3, 3, 2)),
    "activations": (lambda: nn.Sequential(nn.ReLU(), nn.Sigmoid(), nn.Linear(3, 3), nn.Tanh()),
                    (4, 3)),
    "flatten": (lambda: nn.Sequential(nn.Flatten(1, 2), nn.Flatten()), (2, 3, 4, 5)),
    "dropout": (lambda: nn.Sequential(nn.Dropout(p=1.0)), (4, 3)),   # p=1: the same in train too
    "unflatten_dropout2d": (lambda: nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 2, 8)),
                                                  nn.Dropout2d(p=1.0)), (2, 3, 4, 4)),
    "pools": (lambda: nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, dilation=2),
                                    nn.AvgPool2d(2, ceil_mode=True, divisor_override=3),
                                    nn.AdaptiveAvgPool2d((2, 3))), (2, 2, 11, 11)),
    "pools1d": (lambda: nn.Sequential(nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True),
                                      nn.AvgPool1d(2, padding=1, count_include_pad=False)),
                (2, 3, 10)),
    "torch_activations": (lambda: nn.Sequential(
        nn.LeakyReLU(0.2), nn.ELU(alpha=0.5), nn.Hardtanh(-0.5, 2.0), nn.ReLU6(inplace=True),
        nn.Softplus(beta=2.0, threshold=1.0), nn.SiLU(), nn.GELU("tanh"), nn.Hardswish(),
        nn.Mish(), nn.LogSigmoid(), nn.Softmin(dim=1), nn.Softmax(dim=0), nn.LogSoftmax(dim=-1)),
        (4, 3)),
    # torch's hardsigmoid backward multiplies by float32(1/6) (3e-8 off): saturated here
    "hardsigmoid": (lambda: nn.Sequential(nn.Hardtanh(3.5, 4.0), nn.Hardsigmoid()), (4, 3)),
    "containers": (lambda: nn.ModuleList([nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ModuleDict(
        {"act": nn.Tanh(), "out": nn.Sequential(nn.Linear(4, 2))})]), (6, 3)),
    "named": (lambda: nn.Sequential(collections.OrderedDict([("fc", nn.Linear(3, 4)),
                                                             ("act", nn.Identity())])), (2, 3)),
    "norms": (lambda: nn.Sequential(nn.LayerNorm((3, 4), eps=1e-3),
                                    nn.GroupNorm(3, 6, affine=False),
                                    nn.InstanceNorm2d(6, momentum=0.2, affine=True,
                                                      track_running_stats=True),
                                    nn.LayerNorm(4, elementwise_affine=False)), (2, 6, 3, 4)),
    "norms1d": (lambda: nn.Sequential(nn.InstanceNorm1d(3), nn.GroupNorm(1, 3, eps=1e-2),
                                      nn.LayerNorm(5, bias=False)), (2, 3, 5)),
    "embedding": (lambda: nn.Sequential(nn.Embedding(7, 3, padding_idx=-2), nn.Linear(3, 2)),
                  (4, 5)),          # integer ids in 0..6, see sample()
}


def sample(name, shape, rng):
    """An input for example `name`: ids for the Embedding example, else normal floats."""
    return rng.integers(0, 7, shape) if name == "embedding" else rng.standard_normal(shape)


def run(model, x):
    """model(x), where a ModuleList or ModuleDict (no forward) applies its children in order."""
    kind = type(model).__name__
    if kind not in ("ModuleList", "ModuleDict"):
        return model(x)
    for child in (model.values() if kind == "ModuleDict" else model):
        x = run(child, x)
    return x


def build(name, seed=0):
    """The example model with random weights, biases and BN statistics (not their defaults)."""
    nn.init.manual_seed(seed)
    make, shape = EXAMPLES[name]
    model, rng = make(), np.random.default_rng(seed)
    for p in model.parameters():
        p.data = rng.standard_normal(p.shape)
    for m in model.modules():
        if getattr(m, "running_var", None) is not None:
            m.running_mean[...] = rng.standard_normal(m.running_mean.shape)
            m.running_var[...] = rng.uniform(0.5, 2, m.running_var.shape)
            m.num_batches_tracked[...] = 7
    return model, shape


def state_of(model):
    """name -> NumPy array for a model of either side."""
    return {k: (v.detach().numpy() if hasattr(v, "detach") else np.asarray(v))
            for k, v in model.state_dict().items()}


def assert_same_state(a, b, exact=True):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        if exact:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-9, atol=1e-12, err_msg=k)


def _classes_in_nn():
    """Layer types: Modules of nn, but not the losses nor CosineSimilarity (they take two
    inputs, (input, target) or (x1, x2), and end a computation; a model converted to torch is a
    tree of layers), nor ParameterList/ParameterDict (weights of a model class's own forward,
    which does not convert; to_torch names them)."""
    return sorted((c for c in vars(nn).values() if isinstance(c, type) and issubclass(c, nn.Module)
                   and c is not nn.Module and not issubclass(c, nn.loss._Loss)
                   and c not in (nn.CosineSimilarity, nn.ParameterList, nn.ParameterDict)),
                  key=lambda c: c.__name__)


# --- the table is complete ---------------------------------------------------------------------
def test_every_layer_type_of_nn_is_in_the_table():
    missing = [c.__name__ for c in _classes_in_nn() if c not in {row.ours for row in LAYERS}]
    assert not missing, f"add a Layer(...) row to tinygrad_bn/interop.py LAYERS for {missing}"


def test_every_constructor_argument_is_in_the_table():
    """A new argument of a layer (e.g. dilation) must be carried across or declared ours_only."""
    for row in LAYERS:
        if row.children:
            continue
        args = [k for k, a in inspect.signature(row.ours.__init__).parameters.items()
                if k != "self" and a.kind not in (a.VAR_POSITIONAL, a.VAR_KEYWORD)]
        declared = [*row.settings, *row.flags, *row.ours_only]
        assert sorted(args) == sorted(declared), f"{row.ours.__name__}: {args} vs {declared}"


def test_every_layer_type_has_an_example():
    covered = {type(m) for name in EXAMPLES for m in EXAMPLES[name][0]().modules()}
    missing = [row.ours.__name__ for row in LAYERS if row.ours not in covered]
    assert not missing, f"add an example using {missing} to EXAMPLES in tests/test_interop.py"


def test_every_torch_counterpart_exists(torch):
    assert all(isinstance(getattr(torch.nn, row.ours.__name__), type) for row in LAYERS)


# --- same outputs, gradients and running statistics as PyTorch ---------------------------------
@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_to_torch_gives_the_same_outputs_gradients_and_statistics(torch, name, mode):
    model, shape = build(name)
    tmodel = to_torch(getattr(model, mode)())
    assert_same_state(state_of(tmodel), state_of(model))
    rng = np.random.default_rng(1)
    floats = name != "embedding"                      # ids have no gradient
    x = Tensor(sample(name, shape, rng), requires_grad=floats)
    tx = torch.tensor(x.data, requires_grad=floats)
    out, tout = run(model, x), run(tmodel, tx)
    np.testing.assert_allclose(tout.detach().numpy(), out.data, rtol=1e-9, atol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.from_numpy(g))
    if floats:
        np.testing.assert_allclose(tx.grad.numpy(), x.grad, rtol=1e-9, atol=1e-12)
    tparams = dict(tmodel.named_parameters())
    for k, p in model.named_parameters():
        np.testing.assert_allclose(tparams[k].grad.numpy(), p.grad, rtol=1e-9, atol=1e-12,
                                   err_msg=k)
    assert_same_state(state_of(tmodel), state_of(model), exact=False)   # after the update


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_from_torch_gives_the_same_outputs_and_statistics(torch, name, mode):
    tmodel = to_torch(build(name, seed=3)[0])
    shape = EXAMPLES[name][1]
    with torch.no_grad():                             # torch changes its own statistics first
        run(tmodel.train(), torch.from_numpy(sample(name, shape, np.random.default_rng(4))))
    model = from_torch(getattr(tmodel, mode)())
    assert all(m.training == (mode == "train") for m in model.modules())
    x = sample(name, shape, np.random.default_rng(2))
    np.testing.assert_allclose(run(model, Tensor(x)).data,
                               run(tmodel, torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-9, atol=1e-12)
    assert_same_state(state_of(model), state_of(tmodel), exact=False)


@pytest.mark.parametrize("name", EXAMPLES)
def test_round_trips_are_exact(torch, name):
    model, _ = build(name)
    model[0].eval()                                   # modes are kept per module
    back = from_torch(to_torch(model))
    assert_same_state(state_of(back), state_of(model))
    assert repr(to_torch(back)) == repr(to_torch(model))   # settings, in torch's normal form
    assert [m.training for m in back.modules()] == [m.training for m in model.modules()]
    tmodel = to_torch(model)
    again = to_torch(from_torch(tmodel))
    assert_same_state(state_of(again), state_of(tmodel))
    assert repr(again) == repr(tmodel)
    assert [m.training for m in again.modules()] == [m.training for m in tmodel.modules()]


def test_dtypes_and_requires_grad_are_kept(torch):
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))   # float32
    tmodel[0].bias.requires_grad_(False)
    model = from_torch(tmodel)
    assert model[0].weight.dtype == np.float32 and model[1].num_batches_tracked.dtype == np.int64
    assert model[0].weight.requires_grad and not model[0].bias.requires_grad
    again = to_torch(model)
    assert again[0].weight.dtype == torch.float32 and not again[0].bias.requires_grad
    assert again[1].num_batches_tracked.dtype == torch.int64


def test_shared_layers_and_tied_weights_stay_shared(torch):
    lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.Tanh(), lin)
    tmodel = to_torch(model)
    assert tmodel[0] is tmodel[2] and len(list(tmodel.parameters())) == 2
    back = from_torch(tmodel)
    assert back[0] is back[2] and len(back.parameters()) == 2


def test_buffers_kept_after_track_running_stats_is_switched_off(torch):
    model, shape = build("bn1d")
    model[0].track_running_stats = False             # buffers stay; eval still uses them
    tmodel = to_torch(model)
    assert not tmodel[0].track_running_stats and tmodel[0].running_mean is not None
    assert_same_state(state_of(from_torch(tmodel)), state_of(model))


def test_fused_batch_norm_converts_and_comes_back_composed(torch):
    model = nn.Sequential(nn.BatchNorm1d(3, fused=True))
    x = np.random.default_rng(0).standard_normal((5, 3))
    tmodel = to_torch(model)
    np.testing.assert_allclose(tmodel(torch.from_numpy(x)).detach().numpy(),
                               model(Tensor(x)).data, rtol=1e-9)
    assert from_torch(tmodel)[0].fused is False


# --- clear refusals ----------------------------------------------------------------------------
class Custom(nn.Module):
    def forward(self, x):
        return x


def test_unknown_layer_is_named_with_its_path(torch):
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(Custom()))
    with pytest.raises(TypeError, match=r"to_torch: no counterpart for .*Custom at '1.0'"):
        to_torch(model)

    class TorchCustom(torch.nn.Module):
        def forward(self, x):
            return x
    with pytest.raises(TypeError, match=r"from_torch: no counterpart for .*TorchCustom at '2'"):
        from_torch(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh(), TorchCustom()))
    with pytest.raises(TypeError, match="at the root"):
        to_torch(Custom())


def test_the_wrong_direction_is_named(torch):
    with pytest.raises(TypeError, match="from_torch takes a torch.nn.Module, "
                                        "not a tinygrad_bn.*Linear; did you mean to_torch"):
        from_torch(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="to_torch takes a tinygrad_bn.nn.Module, not a torch"):
        to_torch(torch.nn.Linear(2, 2))


def test_torch_settings_the_table_does_not_carry_are_refused(torch, monkeypatch):
    row = next(i for i, r in enumerate(LAYERS) if r.ours is nn.MaxPool2d)
    forgetful = LAYERS[row]._replace(settings=("kernel_size", "stride"))
    monkeypatch.setattr(tg.interop, "LAYERS", LAYERS[:row] + [forgetful] + LAYERS[row + 1:])
    pool = torch.nn.Sequential(torch.nn.MaxPool2d(2, padding=1))
    with pytest.raises(ValueError, match=r"MaxPool2d at '0' has padding=1, which tinygrad_bn's"):
        from_torch(pool)
    from_torch(torch.nn.MaxPool2d(2))                 # defaults are fine
    bn = torch.nn.ModuleList([torch.nn.BatchNorm1d(3, bias=False)])
    with pytest.raises(ValueError, match=r"BatchNorm1d at '0' holds \['num_batches_tracked'"):
        from_torch(bn)


def test_torch_in_place_activations_convert(torch):
    model = from_torch(torch.nn.Sequential(torch.nn.ReLU(inplace=True)))
    assert type(model[0]) is nn.ReLU


def test_named_sequentials_keep_their_names(torch):
    named = torch.nn.Sequential(collections.OrderedDict([("fc", torch.nn.Linear(2, 2)),
                                                         ("act", torch.nn.ReLU())]))
    model = from_torch(named)
    assert isinstance(model.fc, nn.Linear) and list(model.state_dict()) == ["fc.weight", "fc.bias"]
    assert list(to_torch(model).state_dict()) == ["fc.weight", "fc.bias"]


def test_bfloat16_is_refused_with_the_fix(torch):
    with pytest.raises(TypeError, match=r"weight at '0' is torch.bfloat16.*module.double\(\)"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2).bfloat16()))


# --- torch stays optional ----------------------------------------------------------------------
def _python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])


def test_importing_tinygrad_bn_does_not_import_torch():
    done = _python("import sys, tinygrad_bn as tg; tg.nn.Linear(2, 2); "
                   "print('torch' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_without_torch_interop_says_how_to_install_it():
    done = _python("import sys; sys.modules['torch'] = None\n"
                   "import tinygrad_bn as tg\n"
                   "try:\n    tg.interop.to_torch(tg.nn.Linear(2, 2))\n"
                   "except ImportError as e:\n    print(e)")
    assert done.returncode == 0, done.stderr
    assert "optional dependency: pip install torch" in done.stdout
