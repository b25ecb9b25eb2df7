"""The CLI on bad invocations: one line on stderr, a non-zero exit, never a traceback; and the
graph/stepper/explain commands on a user's own file.py:function."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_bn.cli import main

ROOT = Path(__file__).resolve().parents[1]
USER = '''
import numpy as np
from tinygrad_bn import Tensor, nn, functional as F

def loss():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    return F.cross_entropy(model(Tensor(rng.standard_normal((6, 3)))), rng.integers(0, 2, 6))

def boom():
    raise ValueError("my model is broken")

def vec():
    return Tensor(np.ones(3), requires_grad=True) * 2

def notensor():
    return 1.5

def needs(data):
    return data

def nograd():
    return Tensor(2.0)
'''

BAD = [   # argv, with {dir} an existing folder, {file} an existing file, {user} the user's module
    "graph bn --out {dir}", "graph bn --out x.txt", "graph bn --out noext", "graph bn --out {dir}/a.doc",
    "compare-bn --shape abc", "compare-bn --shape 4,0", "compare-bn --shape 4", "compare-bn --shape 2,3,4",
    "compare-bn --shape -1,2", "compare-bn --shape 1.5,2", "compare-bn --repeats 0", "compare-bn --repeats x",
    "compare-bn --dtype float16", "compare-bn --seed abc",
    "train mlp --epochs 0", "train mlp --epochs -3", "train mlp --batch-size 0", "train mlp --lr 0",
    "train mlp --lr nan", "train mlp --lr inf", "train mlp --out {file}", "train resnet",
    "train mlp --optimizer rmsprop", "bench --threads -1", "bench --threads 0", "bench --threads two",
    "graph", "graph nope", "graph {user}:missing", "graph nowhere.py:f", "graph {user}:boom",
    "graph {user}:vec", "graph {user}:notensor", "graph {user}:needs", "graph {user}:nograd",
    "graph {broken}:f", "graph {file}:f", "stepper bn --out {dir}", "stepper bn --out x.svg",
    "stepper nope", "stepper {user}:boom --out {dir}/s.html", "explain nope", "explain {user}:boom",
    "explain {user}:vec", "frobnicate", "", "graph bn --rankdir XY", "graph bn --bogus-flag",
    "demo --epochs 0", "demo --out {file}", "rules extra", "bench --json {dir}",
]
NO_DOT = ["graph bn --out {dir}/bn.svg", "graph {user}:loss --out {dir}/u.png",
          "stepper bn --out {dir}/bn.html", "graph bn --slide --out {dir}/s.png"]


@pytest.fixture
def places(tmp_path):
    (tmp_path / "user.py").write_text(USER)
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "plain.txt").write_text("not a folder")
    (tmp_path / "folder").mkdir()
    return {"dir": tmp_path / "folder", "file": tmp_path / "plain.txt",
            "user": tmp_path / "user.py", "broken": tmp_path / "broken.py"}


def run(argv, capsys):
    """main(argv) as the console script runs it -> (exit code, stdout, stderr)."""
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def test_the_table_has_at_least_40_bad_invocations():
    assert len(BAD) + len(NO_DOT) >= 40 and len(set(BAD)) == len(BAD)


@pytest.mark.parametrize("line", BAD)
def test_a_bad_invocation_is_one_line_on_stderr(line, places, capsys, monkeypatch):
    import tinygrad_bn.train
    monkeypatch.setattr(tinygrad_bn.train, "fit", _never)
    rc, out, err = run(line.format(**places).split(), capsys)
    assert rc not in (0, None), (line, out, err)
    assert len(err.strip().splitlines()) == 1, (line, err)
    assert "Traceback" not in err + out and err.startswith("tinygrad-bn"), (line, err)


@pytest.mark.parametrize("line", NO_DOT)
def test_a_missing_dot_is_one_line_saying_how_to_install_it(line, places, capsys, monkeypatch):
    monkeypatch.setenv("PATH", "")
    rc, _, err = run(line.format(**places).split(), capsys)
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "apt-get install graphviz" in err


def test_messages_say_what_is_wrong_and_the_fix(places, capsys):
    cases = {"graph bn --out {dir}": "is a folder; give a file in it",
             "graph {user}:vec": "returned a Tensor of shape (3,), not a scalar loss",
             "graph {user}:boom": "calling it raised ValueError: my model is broken",
             "graph {user}:missing": "its functions: boom, loss, needs, nograd, notensor, vec",
             "graph nope": "use a built-in example (bn, mlp, cnn, layernorm",
             "compare-bn --shape 4,0": "every size >= 1",
             "train mlp --out {file}": "is a file, not a folder"}
    for line, phrase in cases.items():
        _, _, err = run(line.format(**places).split(), capsys)
        assert phrase in err, (line, err)


def _never(*args, **kwargs):
    raise AssertionError("train started although --out was unusable")


def test_train_checks_out_before_it_trains(places, capsys, monkeypatch):
    import tinygrad_bn.train
    monkeypatch.setattr(tinygrad_bn.train, "fit", _never)
    rc, _, err = run(["train", "mlp", "--epochs", "1", "--out", str(places["file"])], capsys)
    assert rc == 2 and "is a file" in err


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")


@needs_dot
def test_graph_stepper_explain_on_a_user_function(places, capsys, tmp_path):
    target = f"{places['user']}:loss"
    out = tmp_path / "new" / "deeper" / "mine.svg"
    rc, text, _ = run(["graph", target, "--out", str(out)], capsys)
    assert rc == 0 and out.exists() and "0.weight" in out.with_suffix(".gv").read_text()
    assert "1: BatchNorm1d(4)" in out.with_suffix(".gv").read_text()
    rc, _, _ = run(["stepper", target, "--out", str(tmp_path / "s" / "mine.html")], capsys)
    assert rc == 0 and (tmp_path / "s" / "mine.html").read_text().count('"kind":"backward"') > 10
    rc, text, _ = run(["explain", target], capsys)
    assert rc == 0 and "r0: " in text and "fan-in:" in text and "d0.weight" in text


@needs_dot
@pytest.mark.parametrize("target", ["bn", "mlp", "cnn"])
def test_builtin_targets_draw_by_default_into_their_own_files(target, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(["graph", target], capsys)[0] == 0 and (tmp_path / "out" / f"{target}.svg").exists()
    assert run(["graph", target, "--fused"], capsys)[0] == 0


def test_explain_without_target_is_bn(capsys):
    rc, text, _ = run(["explain"], capsys)
    assert rc == 0 and "r9: out = add(gammax, beta)" in text


def test_the_console_script_prints_no_traceback(places):
    """Through a real interpreter, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for line in ("graph {user}:boom", "compare-bn --shape abc"):
        proc = subprocess.run([sys.executable, "-m", "tinygrad_bn.cli", *line.format(**places).split()],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode != 0 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "Traceback" not in proc.stderr
