"""The teaching views on any model: one numbering, fan-in sums, names from the model, slides,
filled-in rules, the Stepper object and check_by_hand."""
import re
import shutil

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tape, Tensor, functional as F, nn, viz
from tinygrad_bn.engine.graph import graph_of
from tinygrad_bn.teach.names import describe, named_graph
from tinygrad_bn.teach.rules import filled_rule
from tinygrad_bn.teach.sample_graphs import example_loss
from tinygrad_bn.teach.walk import replay

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")


def labels(source):
    return re.findall(r'^\s*\w+ \[label="((?:[^"\\]|\\.)*)"', source, re.M)


# --- one numbering ------------------------------------------------------------------------
def test_records_are_r0_in_graph_order_whatever_ran_before():
    Tensor(np.ones(3), requires_grad=True).exp().sum()           # moves the global counter
    loss = example_loss("bn")
    g = graph_of(loss)
    assert [g.rid(r) for r in g.records] == [f"r{k}" for k in range(12)]
    text = tg.explain(loss)
    assert "  r0: mu = mean(x" in text and "step 12: r0 mean" in text and "step 1: r11 mean" in text
    with Tape() as tape:
        F.batch_norm(*[Tensor(a, requires_grad=True) for a in (np.ones((3, 2)), np.ones(2), np.zeros(2))])
    assert str(tape).splitlines()[0].startswith("r0: ") and str(tape).splitlines()[-1].startswith("r9: ")


def test_backward_frames_caption_names_the_record_by_its_graph_number():
    loss = example_loss("bn")
    dots = list(viz.backward_drawings(named_graph(loss), replay(loss)))
    assert "backward step 1/12: r11 mean" in dots[0][1].source
    assert "backward step 12/12: r0 mean" in dots[-1][1].source


# --- fan-in sums --------------------------------------------------------------------------
def test_replay_keeps_every_contribution_and_the_sum_is_the_engines():
    loss = example_loss("bn")
    frames = replay(loss)
    sums = [(k, s) for k, f in enumerate(frames, 1) for s in f.sums if s is not None]
    assert [(k, s.name, [via for via, _ in s.parts]) for k, s in sums] == [
        (10, "xmu", ["r7 mul", "r2 square"]), (12, "x", ["r1 sub", "r0 mean"])]
    loss.backward()
    xmu = next(t for t in graph_of(loss).tensors if t.name == "xmu")
    _, fan = sums[0]
    np.testing.assert_allclose(fan.parts[0][1] + fan.parts[1][1], xmu.grad, rtol=1e-15)
    assert fan.complete and fan.equation() == (
        "dxmu = -0.2245 (via r7 mul) + 0.0158 (via r2 square) = -0.2087")


def test_explain_prints_the_sum_and_the_paths():
    text = tg.explain(example_loss("bn"))
    assert "fan-in: dxmu = -0.2245 (via r7 mul) + 0.0158 (via r2 square) = -0.2087" in text
    assert "-> dxmu  (path 1 of 2)" in text and "2 of 2 paths arrived: complete" in text


def test_a_scalar_fan_in_adds_as_written():
    a = Tensor(3.0, requires_grad=True, name="a")
    loss = (a * a + a.exp()).named("loss")
    text = tg.explain(loss)
    grads = re.findall(r"fan-in: da = (.*?)  \(", text)
    assert grads[-1] == "20.0855 (via r1 exp) + 3 (via r0 mul) + 3 (via r0 mul) = 26.0855"
    assert "3 of 3 paths arrived: complete" in text


def test_frames_mark_partial_then_complete():
    loss = example_loss("bn")
    sources = [dot.source for _, dot in viz.backward_drawings(named_graph(loss), replay(loss))]
    assert "dxmu: (1 of 2 paths)" in sources[4] and 'style="rounded,filled,dashed"' in sources[4]
    assert "dxmu: (2 of 2 paths: complete)" in sources[9]
    assert "fan-in: dxmu = −0.2245 (via r7 mul) + 0.0158 (via r2 square)" in sources[9]   # a picture


# --- names from the model -----------------------------------------------------------------
class Net(nn.Module):
    """A user's model with named children and its own forward."""

    def __init__(self):
        self.fc1 = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(self.bn(self.fc1(x)).relu())


def test_parameters_are_labelled_by_their_named_parameters_path():
    net = Net()
    loss = F.mse_loss(net(Tensor(np.random.default_rng(0).standard_normal((5, 3)))), np.zeros((5, 2)))
    g = named_graph(loss)
    found = {g.label(t) for t in g.tensors if isinstance(t, nn.Parameter)}
    assert found == {name for name, _ in net.named_parameters()} == {
        "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight", "fc2.bias"}
    small = labels(viz.to_dot(loss, collapse=True).source)
    assert "fc1: Linear(3, 4)\\n1 op" in small and any(l.startswith("bn: BatchNorm1d(4)") for l in small)
    assert any(l.startswith("mse_loss\\n") for l in small)
    assert any(l.startswith("fc1.weight\\n") for l in small)


def test_collapsed_graphs_keep_the_input_and_losses_are_one_box():
    loss = example_loss("mlp")
    source = viz.to_dot(loss, collapse=True).source
    assert any(l.startswith("x\\n(16, 3)") for l in labels(source))
    assert sum(l.startswith("cross_entropy\\n") for l in labels(source)) == 1
    assert not any("Sequential" in l for l in labels(source))
    cnn = labels(viz.to_dot(example_loss("cnn"), collapse=True).source)
    assert {"0: Conv2d(1, 4)\\n3 ops", "3: MaxPool2d(2, 2)\\n1 op"} <= set(cnn)


def test_describe_any_module():
    assert [describe(m) for m in (nn.Linear(3, 8), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5))] \
        == ["Linear(3, 8)", "BatchNorm1d(32)", "ReLU()", "Dropout(0.5)"]

    class Plain(nn.Module):
        def forward(self, x):
            return x * 2
    assert describe(Plain()) == "Plain()"


def test_a_users_name_still_wins_for_non_parameters():
    x = Tensor(np.ones((2, 2)), requires_grad=True, name="inputs")
    assert "inputs\\n" in viz.to_dot((x * 2).sum()).source


# --- slides -------------------------------------------------------------------------------
def test_slide_style_uses_textbook_symbols_and_no_dtype():
    loss = example_loss("bn")
    loss.backward()
    source = viz.to_dot(loss, show_values=True, show_grads=True, style="slide").source
    for symbol in ("x", "μ", "x−μ", "(x−μ)²", "σ²", "σ²+ε", "√(σ²+ε)", "1/√(σ²+ε)", "x̂", "γx̂", "y"):
        assert f"<B>{symbol}</B>" in source, symbol
    assert "float64" not in source and "∂x̂" in source and 'viewport="1152,648"' in source
    assert "−0.38" in source and "−0.3826" not in source                 # two decimals
    with pytest.raises(ValueError, match="style='poster'"):
        viz.to_dot(loss, style="poster")


@needs_dot
def test_slide_renders_at_1920_by_1080(tmp_path):
    loss = example_loss("bn")
    loss.backward()
    path = viz.render(viz.to_dot(loss, show_values=True, show_grads=True, style="slide"),
                      tmp_path / "slide.png")
    head = path.read_bytes()[16:24]
    assert (int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")) == (1920, 1080)


# --- rules in the graph's names -----------------------------------------------------------
def test_rules_are_filled_in_with_the_graph_names():
    g = named_graph(example_loss("bn"))
    rules = {g.rid(r): filled_rule(g, r) for r in g.records}
    assert rules["r6"] == "dsqrtvar = -divar * ivar**2"
    assert rules["r5"] == "dvar_eps = dsqrtvar / (2 * sqrtvar)"
    assert rules["r4"] == "dvar = dvar_eps"                      # eps needs no gradient
    assert rules["r1"] == "dx = dxmu ; dmu = -dxmu"
    assert rules["r7"] == "dxmu = dxhat * ivar ; divar = dxhat * xmu"


# --- the Stepper object -----------------------------------------------------
@needs_dot
def test_stepper_inline_and_saved(tmp_path):
    stepper = viz.Stepper(example_loss("bn"))
    inline = stepper._repr_html_()
    assert inline.startswith("<iframe") and 'sandbox="allow-scripts"' in inline
    assert "srcdoc=" in inline and "http" not in inline.split("srcdoc=")[0]
    path = stepper.save(tmp_path / "new" / "folder" / "bn.html")
    page = path.read_text()
    data = stepper.data()
    assert len(data["svgs"]) == 1 and [s["kind"] for s in data["steps"]] == ["forward"] * 12 + ["backward"] * 12
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert page.count('id="counter"') == 1 and '"step " + (k + 1) + " / " + steps.length;' in page
    words = [s["caption"] for s in data["steps"]] + [b[1] for s in data["steps"] for b in s["blocks"]
                                                     if b[0] == "record"]
    assert not [w for w in words if re.search(r"\bstep\b|\d+ ?/ ?\d+", w)]    # one counter
    xmu = [p for s in data["steps"] for p in s.get("parts", []) if data["fanins"][p[0]]["name"] == "xmu"]
    assert [(via, round(values[0], 4)) for _, _, via, values in xmu] == [("r7 mul", -0.2245), ("r2 square", 0.0158)]
    assert "dsqrtvar = -divar * ivar**2" in page
    assert len(viz.Stepper(example_loss("bn"), forward=False).steps()) == 12


# --- check_by_hand ------------------------------------------------------------------------
def _bn_by_hand(loss, both_paths=True):
    """The makemore / cs231n staged backward, by hand, from the engine's dout; both_paths=False
    is the classic mistake: dxmu from the xhat path only, the square path forgotten."""
    node = {t.name: t for t in graph_of(loss).tensors if t.name}
    v = {k: t.data for k, t in node.items()}
    n = v["x"].shape[0]
    d = {"out": node["out"].grad}
    d["gammax"] = d["out"]
    d["xhat"] = d["gammax"] * v["gamma"]
    d["ivar"] = (d["xhat"] * v["xmu"]).sum(0, keepdims=True)
    d["sqrtvar"] = -d["ivar"] / v["sqrtvar"] ** 2
    d["var_eps"] = d["sqrtvar"] / (2 * v["sqrtvar"])
    d["var"] = d["var_eps"]
    d["sq"] = np.ones_like(v["sq"]) * d["var"] / n
    d["xmu"] = d["xhat"] * v["ivar"] + (2 * v["xmu"] * d["sq"] if both_paths else 0)
    d["mu"] = -d["xmu"].sum(0, keepdims=True)
    d["x"] = d["xmu"] + d["mu"] / n
    return d


def test_check_by_hand_passes_the_right_backward_and_catches_a_wrong_one():
    loss = example_loss("bn")
    loss.backward()
    mine = _bn_by_hand(loss)
    report = tg.check_by_hand(loss, mine)
    assert report.ok and len(report.rows) == 11
    name, exact, close, max_abs_diff = report.rows[0]                  # the four columns
    assert (name, close) == ("out", True) and report.rel_errors["x"] < 1e-12
    assert all(r.close and r.max_abs_diff < 1e-12 for r in report.rows)
    assert {r.name for r in report.rows if r.exact} >= {"out", "gammax", "xhat", "var"}
    bad = tg.check_by_hand(loss, _bn_by_hand(loss, both_paths=False))
    assert not bad.ok and [r.name for r in bad.rows if not r.close] == ["xmu", "x"]
    text = str(bad)
    assert text.splitlines()[0].split() == ["name", "|", "exact", "|", "close", "|", "max_abs_diff",
                                            "|", "rel_error"]
    assert "WRONG: fix dxmu first; x depends on it" in text


def test_check_by_hand_before_backward_and_on_a_tape_leaves_grads_alone():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True, name="x")
    with Tape() as tape:
        loss = (x * x).sum().named("loss")
    report = tg.check_by_hand(tape, {"x": 2 * x.data})
    assert report.ok and report.rows[0].exact and x.grad is None
    assert tg.check_by_hand(loss, {"x": 2 * x.data + 1e-3}).rows[0].close is False


def test_check_by_hand_errors_name_the_problem():
    loss = example_loss("bn")
    with pytest.raises(KeyError, match="no tensor named 'xbar'.*xhat"):
        tg.check_by_hand(loss, {"xbar": np.zeros((4, 2))})
    with pytest.raises(ValueError, match="'w' gets no gradient"):
        tg.check_by_hand(loss, {"w": np.zeros((4, 2))})


def test_reprs_show_no_global_counter():
    x = Tensor(np.ones(2), requires_grad=True, name="x")
    loss = x.exp().sum()
    step = next(iter(tg.engine.backward_steps(loss, retain_graph=True)))
    assert repr(loss.record) == "Record(sum(exp); dx = broadcast(g))"
    assert repr(step) == "Step(sum: dx = broadcast(g))" and "#" not in repr(x.record or step)


@needs_dot
def test_backward_frames_can_start_with_the_forward_steps(tmp_path):
    paths = viz.backward_frames(example_loss("bn"), tmp_path, format="svg", forward=True)
    names = [p.name for p in paths]
    assert names[:2] == ["forward_001.svg", "forward_002.svg"] and len(names) == 24
    first = (tmp_path / "forward_001.gv").read_text()
    assert "forward step 1/12: r0: mu = mean(x)" in first and "dmu" not in first
    assert 't2 [label="xmu\\n(4, 2) float64\\n" ' in first            # xmu not computed yet
    second = (tmp_path / "forward_002.gv").read_text()
    assert 't2 [label="xmu\\n(4, 2) float64\\nmean 0  min −1.839' in second     # now it has values
