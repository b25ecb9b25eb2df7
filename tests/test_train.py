"""Training: model builders, fit/evaluate (against PyTorch step for step), and `tinygrad-bn train`."""
import re

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, functional as F, gradcheck, nn
from tinygrad_bn.cli import main as cli
from tinygrad_bn.data import batches, load_digits, spirals
from tinygrad_bn.train import evaluate, fit, make_cnn, make_mlp


def _kinds(model):
    return [type(m).__name__ for m in model]


def test_mlp_layer_order():
    assert _kinds(make_mlp(hidden=(8, 8))) == ["Linear", "BatchNorm1d", "ReLU"] * 2 + ["Linear"]
    assert _kinds(make_mlp(bn=False, hidden=(8,), activation="sigmoid")) == \
        ["Linear", "Sigmoid", "Linear"]
    assert _kinds(make_mlp(hidden=(8,), bn_after_activation=True)) == \
        ["Linear", "ReLU", "BatchNorm1d", "Linear"]


def test_cnn_shapes_and_bias_only_without_bn():
    x = Tensor(np.random.default_rng(0).random((5, 1, 8, 8)))
    for bn in (True, False):
        model = make_cnn(bn=bn)
        assert model(x).shape == (5, 10)
        convs = [m for m in model if isinstance(m, nn.Conv2d)]
        assert all((c.bias is None) == bn for c in convs)


def test_same_seed_same_model():
    a, b, c = make_cnn(seed=1), make_cnn(seed=1), make_cnn(seed=2)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(np.array_equal(sa[k], sb[k]) for k in sa)
    assert not np.array_equal(sa["0.weight"], sc["0.weight"])


def test_models_gradcheck_float64():
    rng = np.random.default_rng(0)
    y = np.array([0, 1, 2, 3])
    for model, shape in ((make_mlp(hidden=(6, 5), d_in=3, classes=4), (4, 3)),
                         (make_cnn(channels=(2, 3), classes=4, dropout=0), (4, 1, 8, 8))):
        x = Tensor(rng.standard_normal(shape), requires_grad=True)
        params = model.parameters()
        assert gradcheck(lambda x, *p: F.cross_entropy(model(x), y), x, *params[:4])


def test_fit_learns_spirals_and_history_shape():
    x, y = spirals(300, 3, noise=0.1, seed=0)
    data = (x, y, x[:60], y[:60])
    h = fit(make_mlp(d_in=2, hidden=(32, 32), classes=3), data, epochs=30, lr=0.1,
            progress=False)
    assert len(h["step_loss"]) == 30 * 10 and len(h["test_acc"]) == 30
    assert h["train_acc"][-1] > 0.9 and h["train_loss"][-1] < h["train_loss"][0] / 3
    assert not h["diverged"]


def test_fit_is_deterministic_and_stops_at_max_steps():
    x, y = spirals(90, 3, seed=1)
    data = (x, y, x, y)
    runs = [fit(make_mlp(d_in=2, hidden=(8,), classes=3, seed=3), data, epochs=5, lr=0.1,
                progress=False, max_steps=7) for _ in range(2)]
    assert runs[0]["step_loss"] == runs[1]["step_loss"] and len(runs[0]["step_loss"]) == 7
    assert len(runs[0]["test_acc"]) == 3                  # 3 batches per epoch: 3 + 3 + 1 steps


def test_fit_reports_divergence_and_stops():
    x, y = spirals(64, 2, seed=0)
    h = fit(make_mlp(bn=False, d_in=2, hidden=(16,), classes=2), (x * 1e3, y, x, y), epochs=50,
            lr=1e8, progress=False)
    assert h["diverged"] and len(h["step_loss"]) < 50 * 2


def test_evaluate_is_the_eval_mode_loss_and_accuracy_computed_by_hand():
    """Logits known in closed form (a Linear and a BN with set running statistics, in eval mode):
    loss and accuracy from plain NumPy, over uneven batches (50 = 16 + 16 + 16 + 2)."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((50, 2)), rng.integers(0, 3, 50)
    w, b = rng.standard_normal((3, 2)), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, affine=False))
    model.load_state_dict({"0.weight": w, "0.bias": b, "1.running_mean": rm,
                           "1.running_var": rv, "1.num_batches_tracked": np.array(1)})
    logits = (x @ w.T + b - rm) / np.sqrt(rv + 1e-5)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss, acc = evaluate(model, x, y, batch_size=16)
    assert model.training                                # the previous mode is restored
    np.testing.assert_allclose(loss, -log_p[np.arange(50), y].mean(), rtol=1e-12)
    assert acc == np.count_nonzero(logits.argmax(axis=1) == y) / 50
    assert 0 < acc < 1                                   # a figure that can be wrong both ways


def test_fit_matches_pytorch_step_for_step(torch):
    """Same weights, batches, SGD momentum and cosine schedule: same parameters and running stats."""
    torch.set_default_dtype(torch.float64)
    x, y = spirals(60, 3, seed=0)
    ours = make_mlp(d_in=2, hidden=(8, 8), classes=3, seed=0)
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3))
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    fit(ours, (x, y, x, y), epochs=2, lr=0.1, batch_size=16, progress=False, cosine=True)
    opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    total, step = 2 * 4, 0
    for epoch in range(2):
        for xb, yb in batches(x, y, 16, seed=epoch):
            opt.param_groups[0]["lr"] = 0.1 * 0.5 * (1 + np.cos(np.pi * step / total))
            opt.zero_grad()
            torch.nn.functional.cross_entropy(theirs(torch.tensor(xb)), torch.tensor(yb)).backward()
            opt.step()
            step += 1
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


def test_cli_train_writes_checkpoint_plot_and_accuracy(tmp_path, capsys):
    assert cli(["train", "mlp", "--epochs", "2", "--seed", "1", "--out", str(tmp_path),
                "--quiet"]) == 0
    out = capsys.readouterr().out
    printed = float(re.search(r"^test accuracy: ([\d.]+)%$", out, re.M).group(1))
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = tg.load(make_mlp(seed=99), tmp_path / "model.safetensors")
    x_train, y_train, x_test, y_test = load_digits()
    assert printed == pytest.approx(100 * evaluate(model, x_test, y_test)[1], abs=0.05)
    assert printed > 80


def test_cli_train_cnn_without_bn_runs(tmp_path, capsys):
    assert cli(["train", "cnn", "--no-bn", "--epochs", "1", "--batch-size", "128", "--out",
                str(tmp_path), "--quiet"]) == 0
    assert "cnn without BN" in capsys.readouterr().out
    model = tg.load(make_cnn(bn=False), tmp_path / "model.safetensors")
    assert all(isinstance(m.bias, nn.Parameter) for m in model if isinstance(m, nn.Conv2d))
