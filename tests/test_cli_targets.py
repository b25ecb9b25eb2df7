"""The CLI's TARGET loading: seeded (same numbers every run), a user's file loaded as Python runs
it (sibling imports, dataclasses), and a torch tensor or a missing scikit-learn named clearly."""
import sys
import shutil

import pytest

from tinygrad_bn.cli import main

MODEL = '''
from tinygrad_bn import nn, randn, functional as F

def loss():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    return F.cross_entropy(model(randn(6, 3)), [0, 1, 0, 1, 1, 0])
'''
SIBLING = '''
from helpers import make_loss

def loss():
    return make_loss()
'''
HELPERS = '''
from tinygrad_bn import Tensor

def make_loss():
    return (Tensor([1.0, 2.0], requires_grad=True) ** 2).sum()
'''
DATACLASS = '''
from __future__ import annotations
from dataclasses import dataclass
from tinygrad_bn import Tensor

@dataclass
class Config:
    scale: float = 3.0
    inner: Config | None = None

def loss():
    return (Tensor([1.0, 2.0], requires_grad=True) * Config().scale).sum()
'''
TORCH = '''
import torch

def loss():
    return (torch.ones(3, requires_grad=True) * 2).sum()
'''


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", ["explain", "graph"])
def test_a_model_target_gives_the_same_numbers_every_run(tmp_path, capsys, command):
    """Layers drawn from the package's generator: seeded before the call, so two runs agree."""
    (tmp_path / "model.py").write_text(MODEL)
    target = f"{tmp_path / 'model.py'}:loss"
    extra = ["--values", "--grads", "--out", str(tmp_path / "g.svg")] if command == "graph" else []
    texts = []
    for _ in range(2):
        code, out, err = _run(capsys, command, target, *extra)
        assert code == 0, err
        texts.append(out if command == "explain" else (tmp_path / "g.gv").read_text())
    assert texts[0] == texts[1]
    code, out, _ = _run(capsys, command, target, "--seed", "1", *extra)
    other = out if command == "explain" else (tmp_path / "g.gv").read_text()
    assert code == 0 and other != texts[0]


def test_help_says_the_target_is_seeded(capsys):
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    assert "manual_seed" in " ".join(capsys.readouterr().out.split())


def test_a_file_importing_its_sibling_loads(tmp_path, capsys):
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "target.py").write_text(SIBLING)
    code, out, err = _run(capsys, "explain", f"{tmp_path / 'target.py'}:loss")
    assert code == 0, err
    assert "backward: 2 steps" in out


def test_a_dataclass_with_postponed_annotations_loads(tmp_path, capsys):
    (tmp_path / "config.py").write_text(DATACLASS)
    code, out, err = _run(capsys, "explain", f"{tmp_path / 'config.py'}:loss")
    assert code == 0, err
    assert "backward: 2 steps" in out


def test_a_torch_tensor_returned_is_named_torch(tmp_path, capsys):
    pytest.importorskip("torch", reason="torch makes the tensor this test returns")
    (tmp_path / "t.py").write_text(TORCH)
    code, _, err = _run(capsys, "explain", f"{tmp_path / 't.py'}:loss")
    assert code == 1
    assert "torch Tensor" in err and "tg.Tensor(t.detach().numpy())" in err


def test_train_without_scikit_learn_says_what_to_install(tmp_path, capsys, monkeypatch):
    for name in ("sklearn", "sklearn.datasets"):             # importing them now raises ImportError
        monkeypatch.setitem(sys.modules, name, None)
    code, _, err = _run(capsys, "train", "mlp", "--out", str(tmp_path / "run"))
    assert code == 1 and "scikit-learn, which is not installed" in err and "pip install scikit-learn" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "run").exists()   # nothing written


def test_train_models_get_their_own_folders(capsys, monkeypatch, tmp_path):
    """mlp and cnn default to out/train/mlp and out/train/cnn: one never overwrites the other."""
    monkeypatch.chdir(tmp_path)
    for model in ("mlp", "cnn"):
        code, out, err = _run(capsys, "train", model, "--epochs", "1", "--quiet")
        assert code == 0, err
        assert (tmp_path / "out" / "train" / model / "model.safetensors").is_file()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")
def test_graph_picks_the_direction_that_fits_a_screen_unless_told(tmp_path, capsys):
    """`graph mlp` without --rankdir lays the model out top-down (nearer 16:9 than a long strip);
    --rankdir LR still forces left-to-right."""
    for extra, direction in (([], "rankdir=TB"), (["--rankdir", "LR"], "rankdir=LR")):
        out = tmp_path / f"mlp{len(extra)}.svg"
        assert main(["graph", "mlp", "--out", str(out), *extra]) == 0
        assert direction in out.with_suffix(".gv").read_text()
