"""viz and explain: what the DOT says, stable ids, collapse, rendering with and without dot, frames,
the HTML stepper file, the CLI commands and the figure script."""
import json
import re
import runpy
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, functional as F, viz
from tinygrad_bn.cli import main
from tinygrad_bn.teach.sample_graphs import example_loss
from tinygrad_bn.engine.graph import graph_of
from tinygrad_bn.teach.explain import explain
from tinygrad_bn.teach.numbers import fmt, minus
from tinygrad_bn.teach.walk import replay

ROOT = Path(__file__).resolve().parent.parent
BN_OPS = ["mean", "sub", "square", "mean", "add", "sqrt", "reciprocal", "mul", "mul", "add"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


def bn_inputs(seed=0, shape=(4, 3)):
    rng = np.random.default_rng(seed)
    return (Tensor(rng.standard_normal(shape), requires_grad=True, name="x"),
            Tensor(rng.uniform(0.5, 1.5, shape[1]), requires_grad=True, name="gamma"),
            Tensor(rng.standard_normal(shape[1]), requires_grad=True, name="beta"))


def nodes(source):
    """{node id: label} of every node statement in a DOT source."""
    return dict(re.findall(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"', source, re.M))


def page_data(page):
    """The data a stepper page carries: its drawings and one dict per step."""
    return json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                page, re.S).group(1))


def op_names(source):
    return [re.match(r"r\d+: (\w+)", label).group(1)
            for nid, label in nodes(source).items() if nid.startswith("r")]


def test_composed_bn_dot_names_every_op_and_input():
    out = F.batch_norm(*bn_inputs())
    labels = nodes(viz.to_dot(out).source)
    assert op_names(viz.to_dot(out).source) == BN_OPS
    first_lines = {label.split("\\n")[0] for label in labels.values()}
    assert {"x", "gamma", "beta", "mu", "xmu", "ivar", "xhat", "out"} <= first_lines


def test_show_grads_prints_the_grad_of_every_data_node():
    x, gamma, beta = bn_inputs()
    loss = (F.batch_norm(x, gamma, beta) * Tensor(np.arange(12.).reshape(4, 3))).mean()
    loss.backward(retain_graph=True)
    g = graph_of(loss)
    labels = nodes(viz.to_dot(loss, show_grads=True, max_elems=12).source)
    needing = [t for t in g.tensors if t.requires_grad]
    assert len(needing) == 15                     # x gamma beta, 10 BN results, mul, mean
    for t in needing:
        label = labels[g.tid(t)]
        assert f"d{g.label(t)}:" in label
        assert all(minus(line) in label for line in fmt(t.grad, 12)), g.label(t)


def test_fused_graph_has_one_op_node():
    source = viz.to_dot(F.batch_norm(*bn_inputs(), fused=True)).source
    assert op_names(source) == ["batch_norm"]


def test_node_ids_and_dot_are_identical_across_runs():
    sources = [viz.to_dot(example_loss("mlp"), collapse=True).source for _ in range(2)]
    sources += [viz.to_dot(example_loss("bn"), show_values=True).source for _ in range(2)]
    assert sources[0] == sources[1] and sources[2] == sources[3]
    assert "r0" in nodes(sources[2]) and "t0" in nodes(sources[2])


def test_tape_draws_the_same_records_as_the_tensor():
    x, gamma, beta = bn_inputs()
    with tg.Tape() as tape:
        out = F.batch_norm(x, gamma, beta)
    assert op_names(viz.to_dot(tape).source) == op_names(viz.to_dot(out).source) == BN_OPS


def test_a_100000_op_chain_converts_without_recursion():
    y = Tensor(np.ones(1), requires_grad=True, name="x")
    for _ in range(100_000):
        y = y.neg()
    assert len(nodes(viz.to_dot(y).source)) == 200_001


def test_collapse_keeps_a_3_layer_bn_mlp_under_30_nodes():
    loss = example_loss("mlp")
    full, small = (nodes(viz.to_dot(loss, collapse=c).source) for c in (None, True))
    assert len(full) > 60 and len(small) <= 30
    assert [label for label in small.values() if "BatchNorm" in label] == [
        "1: BatchNorm1d(8)\\n10 ops", "4: BatchNorm1d(8)\\n10 ops"]
    only_bn = nodes(viz.to_dot(loss, collapse="batch_norm").source)
    assert sum(label == "batch_norm\\n10 ops" for label in only_bn.values()) == 2


def test_expand_draws_scopes_as_clusters_with_every_record():
    loss = example_loss("mlp")
    source = viz.to_dot(loss, collapse=True, expand=True).source
    assert source.count("subgraph cluster_c") == 8          # 3 linear, 2 BN, 2 relu, loss
    assert len(op_names(source)) == len(graph_of(loss).records)


@needs_dot
@pytest.mark.parametrize("fmt_", ["svg", "png"])
def test_render_bn_with_real_dot(tmp_path, fmt_):
    path = viz.render(F.batch_norm(*bn_inputs()), tmp_path / f"bn.{fmt_}")
    data = path.read_bytes()
    if fmt_ == "svg":
        assert ET.fromstring(data).tag.endswith("svg")
    else:
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "bn.gv").read_text().startswith("digraph")


def test_render_without_dot_says_how_to_install_and_keeps_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(viz.GraphvizError, match="apt-get install graphviz") as err:
        viz.render(F.batch_norm(*bn_inputs()), tmp_path / "bn.svg")
    assert str(tmp_path / "bn.gv") in str(err.value)
    assert "digraph" in (tmp_path / "bn.gv").read_text() and not (tmp_path / "bn.svg").exists()


def test_render_with_a_broken_dot_reports_its_error(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'dot: cannot load plugins' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    with pytest.raises(viz.GraphvizError, match="exited with 3: dot: cannot load plugins"):
        viz.render(F.batch_norm(*bn_inputs()), tmp_path / "bn.png")


def test_render_rejects_unknown_formats(tmp_path):
    with pytest.raises(ValueError, match="'jpg'.*not one of"):
        viz.render(Tensor(1.0), tmp_path / "x.jpg")


@needs_dot
def test_notebook_display_is_svg():
    bundle = viz.to_dot(F.batch_norm(*bn_inputs()))._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))


def test_replay_equals_backward_and_leaves_grads_alone(torch):
    x, gamma, beta = bn_inputs(shape=(5, 3))
    loss = (F.batch_norm(x, gamma, beta) * Tensor(np.arange(15.).reshape(5, 3))).mean()
    frames = replay(loss)
    assert x.grad is None and [f.step.record.op for f in frames] == ["mean", "mul"] + BN_OPS[::-1]
    known = frames[-1].known
    tx, tg_, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, gamma, beta))
    tout = torch.nn.functional.batch_norm(tx, None, None, tg_, tb, training=True, eps=1e-5)
    (tout * torch.arange(15.).reshape(5, 3).double()).mean().backward()
    for t, tt in ((x, tx), (gamma, tg_), (beta, tb)):
        np.testing.assert_allclose(known[id(t)], tt.grad.numpy(), rtol=1e-9, atol=1e-12)
    loss.backward()                                # the graph was retained for the caller
    np.testing.assert_allclose(x.grad, known[id(x)], rtol=1e-12)


def test_replayed_gradients_pass_gradcheck():
    x, gamma, beta = bn_inputs()
    w = Tensor(np.arange(12.).reshape(4, 3))
    assert tg.gradcheck(lambda x, g, b: (F.batch_norm(x, g, b) * w).mean(), x, gamma, beta)


@needs_dot
def test_backward_frames_one_per_step_highlighting_the_current_record(tmp_path):
    loss = example_loss("bn")
    paths = viz.backward_frames(loss, tmp_path, format="svg")
    assert len(paths) == 12 and all(ET.parse(p).getroot().tag.endswith("svg") for p in paths)
    last = (tmp_path / "step_012.gv").read_text()
    assert "backward step 12/12: r0 mean" in last and "rule: dx = broadcast(dmu) / N" in last
    assert re.search(r'^\s*r0 \[label=.*color="#d62728"', last, re.M)
    assert "dx:" in last and loss.record.inputs[0].grad is None


@needs_dot
def test_stepper_html_is_one_self_contained_file(tmp_path):
    path = viz.stepper_html(example_loss("bn"), tmp_path / "bn.html")
    page = path.read_text()
    assert len(page_data(page)["svgs"]) == 1 and "default-src 'none'" in page   # one drawing
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert 'id="next"' in page and "ArrowRight" in page


def test_explain_walks_forward_and_backward():
    loss = example_loss("bn")
    text = explain(loss)
    x = graph_of(loss).tensors[0]
    for op in BN_OPS:
        assert f"= {op}(" in text
    assert text.count("  step ") == 12 and "rule: da = g ; db = g" in text
    assert "\n".join(fmt(x.data, 12)).split("\n")[0] in text and x.grad is None


def test_cli_commands_and_help(tmp_path, capsys):
    for cmd in ("graph", "stepper", "explain"):
        with pytest.raises(SystemExit) as exit_:
            main([cmd, "--help"])
        assert exit_.value.code == 0 and f"usage: tinygrad-bn {cmd}" in capsys.readouterr().out
    assert main(["explain", "bn", "--fused"]) == 0
    assert "= batch_norm(x, gamma, beta" in capsys.readouterr().out
    if shutil.which("dot"):
        assert main(["graph", "bn", "--out", str(tmp_path / "bn.svg"), "--values", "--grads"]) == 0
        assert ET.parse(tmp_path / "bn.svg").getroot().tag.endswith("svg")
        assert main(["stepper", "bn", "--out", str(tmp_path / "bn.html")]) == 0
        assert len(page_data((tmp_path / "bn.html").read_text())["steps"]) == 12 + 12


@needs_dot
def test_make_figures_regenerates_the_committed_svgs(tmp_path):
    script = runpy.run_path(str(ROOT / "examples" / "make_figures.py"))
    written = script["main"](tmp_path)
    for path in written:
        if path.suffix == ".svg":
            assert ET.parse(path).getroot().tag.endswith("svg")
        assert (ROOT / "docs" / "img" / path.name).exists()
        assert f"img/{path.name}" in (ROOT / "docs" / "visualization.md").read_text()
        source = path.with_suffix(".gv")
        if source.exists():                      # stable ids: same code, same DOT, not stale
            assert source.read_text() == (ROOT / "docs" / "img" / source.name).read_text()
