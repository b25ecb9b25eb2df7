"""The drawing and the stepper page without a browser: hostile names stay text, the page grows
linearly, the step data matches the SVG it is applied to, layouts and the slide's wording."""
import html
import json
import math
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tinygrad_bn import Tensor, functional as F, nn, viz
from tinygrad_bn.engine.graph import graph_of
from tinygrad_bn.teach.sample_graphs import example_loss
from tinygrad_bn.teach.names import named_graph
from tinygrad_bn.teach.numbers import fmt, minus
from tinygrad_bn.teach.viz import stepper as stepper_module
from tinygrad_bn.teach.viz.frames import layer_blocks
from tinygrad_bn.teach.viz.layout import SLIDE_RECORDS, slide_blocks
from tinygrad_bn.teach.viz.slide import grad_head, slide_cells
from tinygrad_bn.teach.walk import element_sums, replay

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<eos>", "<b>x</b>", '"><script>window.pwned=1</script>', "<!-- -->",
           "javascript:alert(1)", "two\nlines", 'say "hi"', "back\\slash\\", "ünï©ødé μ",
           '<img src=x onerror="window.pwned=1">',
           ']; evil -> x [label=<<TABLE><TR><TD HREF="javascript:alert(1)">x</TD></TR></TABLE>>']


def hostile_loss():
    """A chain of products whose every tensor has a hostile name; the first feeds every step."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 2)), requires_grad=True, name=HOSTILE[0])
    y = x
    for name in HOSTILE[1:]:
        y = (y * x).named(name)
    return y.sum().named("loss")


def deep_mlp(blocks):
    """Linear, BatchNorm1d, ReLU repeated: 12 records a block, then cross-entropy."""
    rng = np.random.default_rng(0)
    layers = []
    for _ in range(blocks):
        layers += [nn.Linear(4, 4, generator=rng), nn.BatchNorm1d(4), nn.ReLU()]
    x = Tensor(rng.standard_normal((6, 4)))
    return F.cross_entropy(nn.Sequential(*layers)(x), rng.integers(0, 4, 6))


def page_data(page):
    return json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                page, re.S).group(1))


def svg_groups(svg):
    """{id: <g> element} of every node and edge of an SVG string."""
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("class") in ("node", "edge")}


def texts(g):
    return ["".join(t.itertext()) for t in g.iter(f"{SVG}text")]


def test_hostile_names_are_quoted_in_dot_and_inject_nothing():
    loss = hostile_loss()
    for style in (None, "slide"):
        source = viz.to_dot(loss, show_values=True, style=style).source
        n = len(graph_of(loss).records)
        heads = re.findall(r"^\t(\w+)(?: -> (\w+))? \[", source, re.M)
        drawn = [h[0] for h in heads if not h[1] and h[0] not in ("graph", "node", "edge")]
        assert len(drawn) == n + len(graph_of(loss).tensors)                    # no extra node
        assert "evil" not in {a for h in heads for a in h}
        bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', source)     # outside quoted strings:
        if style is None:
            assert "=<" not in bare                         # no HTML-like label at all
        else:                                               # only ours: <TD> without attributes
            assert not re.search(r"<TD\s", bare) and "<script" not in bare and "<b>" not in bare


@needs_dot
@pytest.mark.parametrize("style", [None, "slide"])
def test_hostile_names_render_as_their_own_characters(tmp_path, style):
    loss = hostile_loss()
    path = viz.render(viz.to_dot(loss, show_values=True, style=style), tmp_path / "h.svg")
    root = ET.parse(path).getroot()
    shown = "\n".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for name in HOSTILE:
        assert name.replace("\n", "⏎") in shown, name
    assert not [a for a in root.iter(f"{SVG}a") if any("href" in k for k in a.attrib)]


@needs_dot
def test_stepper_json_cannot_close_its_script_block(tmp_path):
    page = viz.Stepper(hostile_loss()).html()
    assert page.count("<script") == 2 and page.count("</script>") == 2 and "<!--" not in page
    data = page_data(page)
    assert data["steps"][-1]["caption"].startswith("r0 mul")
    shown = html.unescape(data["svgs"][0])
    assert all(name.replace("\n", "⏎") in shown for name in HOSTILE)


@needs_dot
def test_page_bytes_per_record_stay_flat():
    """The page is one drawing plus a small record per step: 13 records and 277 records cost
    about the same bytes per record (the old page, one SVG per step, grew quadratically)."""
    sizes = {}
    for blocks in (1, 23):
        loss = deep_mlp(blocks)
        sizes[len(graph_of(loss).records)] = len(viz.Stepper(loss).html().encode())
    per_record = {n: size / n for n, size in sizes.items()}
    print("bytes per record:", {n: round(b) for n, b in per_record.items()})
    small, big = per_record[13], per_record[277]
    assert big < 1.2 * small and big < 10_000, per_record


@needs_dot
def test_long_builds_say_how_far_they_are(capsys, monkeypatch):
    monkeypatch.setattr(stepper_module, "PROGRESS_FROM", 20)
    viz.Stepper(deep_mlp(2)).html()
    err = capsys.readouterr().err
    assert "stepper (25 records): backward step 25/25" in err and err.endswith("done   \n")
    viz.Stepper(example_loss("bn")).html()
    assert capsys.readouterr().err == ""                     # 12 records: silent


@needs_dot
@pytest.mark.parametrize("style", [None, "slide"])
def test_step_data_fits_the_svg_it_is_applied_to(style):
    """Every id a step names exists in its view's SVG, and each data node has exactly the text
    rows the page rewrites (head, values, gradient)."""
    data = viz.Stepper(example_loss("bn"), style=style).data()
    groups = [svg_groups(svg) for svg in data["svgs"]]
    for tid, (head, values, grads) in data["rows"].items():
        g = next(gs[tid] for gs in groups if tid in gs)
        assert len(texts(g)) == head + values + grads, (tid, texts(g))
    for s in data["steps"]:
        ids = groups[s["view"]]
        assert s["node"] in ids and set(s["near"]) <= set(ids) and set(s["focus"]) <= set(ids)
        for edge, value, colour in s.get("flow", []):
            assert edge in ids and math.isfinite(value)
        for tid, edge, via, values in s.get("parts", []):
            assert edge in ids and tid in data["fanins"]


@needs_dot
def test_the_xmu_fan_in_step_colours_both_paths_and_focuses_on_both_consumers():
    data = viz.Stepper(example_loss("bn"), forward=False).data()
    step = next(s for s in data["steps"] if s["caption"].startswith("r2 square"))
    (tid, edge, via, values), = step["parts"]
    assert data["fanins"][tid]["name"] == "xmu" and via == "r2 square" and len(values) == 8
    assert edge == f"e:{tid}:r2:0" and [edge, values[data["fanins"][tid]["pick"]], 1] in step["flow"]
    element = element_sums(replay(example_loss("bn")), "xmu").element      # explain's element
    assert data["fanins"][tid]["at"] == list(element) == [0, 0]
    assert np.unravel_index(data["fanins"][tid]["pick"], (4, 2)) == element
    assert {"r2", "r7", tid} <= set(step["focus"])          # both consumers of xmu
    earlier = next(s for s in data["steps"] if s["caption"].startswith("r7 mul"))
    assert [p[2] for p in earlier["parts"] if p[0] == tid] == ["r7 mul"]


@needs_dot
def test_auto_direction_is_the_one_nearer_16_9(tmp_path):
    """rankdir=None picks TB or LR from an estimate; dot's real drawings of both agree."""
    for loss, opts in ((example_loss("mlp"), {"collapse": True}), (example_loss("mlp"), {}),
                       (example_loss("bn"), {"show_values": True})):
        picked = viz.to_dot(loss, **opts).graph_attr["rankdir"]
        off = {}
        for way in ("TB", "LR"):
            root = ET.parse(viz.render(viz.to_dot(loss, rankdir=way, **opts), tmp_path / "g.svg")).getroot()
            w, h = (float(root.get(k).rstrip("pt")) for k in ("width", "height"))
            off[way] = abs(math.log(w / h / (16 / 9)))
        assert off[picked] <= off["LR" if picked == "TB" else "TB"] * 1.1, (opts, off)


def test_long_slides_are_cut_per_layer_never_inside_a_bn_block():
    loss = example_loss("mlp")
    records = graph_of(loss).records
    assert len(records) > SLIDE_RECORDS
    scope = {id(r): next((str(t) for t in r.scope if "batch_norm" in str(t)), None) for r in records}
    blocks = slide_blocks(records, lambda r: scope[id(r)])
    assert [r for b in blocks for r in b] == records and all(len(b) <= SLIDE_RECORDS for b in blocks)
    for bn in {s for s in scope.values() if s}:
        assert sum(any(scope[id(r)] == bn for r in b) for b in blocks) == 1, bn
    assert slide_blocks(records[:12], lambda r: None) == [records[:12]]


def test_one_layer_per_slide_when_not_packed():
    """The lecture pack's cut: every slide one layer (a Linear, a whole BN block, a ReLU)."""
    g = named_graph(example_loss("mlp"))
    blocks = layer_blocks(g, pack=False)
    assert [r for b in blocks for r in b] == g.records
    assert [len(b) for b in blocks] == [1, 10, 1, 1, 10, 1, 1, 1]
    assert [len(b) for b in layer_blocks(g)] == [13, 13]        # packed: layers share a slide


def test_a_slide_of_part_of_a_graph_colours_each_tensor_by_its_role_in_the_whole():
    """A layer's slide: the tensor coming in from the layer before is an intermediate, and a
    leaf its first record reads is a parameter; only the graph's own input is blue."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True, name="x")
    w = Tensor(rng.standard_normal(3), requires_grad=True, name="w")
    h = x.relu().named("h")
    g = named_graph((w * h).sum())
    part = viz.Drawing(g, records=g.records[1:], style="slide")
    assert [part.kind(t) for t in (w, h)] == ["param", "data"]
    assert viz.Drawing(g).kind(x) == "input"


@needs_dot
def test_slide_stepper_of_a_model_has_one_view_per_block():
    data = viz.Stepper(example_loss("mlp"), style="slide").data()
    assert len(data["svgs"]) == 2             # Linear+BN+ReLU; again, then Linear and the loss
    assert sorted({s["view"] for s in data["steps"]}) == [0, 1]


def test_slide_wording_brackets_long_symbols_and_prints_integers_as_integers():
    assert grad_head("x−μ", 2, 2) == "∂(x−μ) (2 of 2 paths: complete)"
    assert grad_head("μ", 1, 1) == "∂μ" and grad_head("x̂", 1, 2) == "∂x̂ (1 of 2 paths)"
    assert grad_head("0.weight", 1, 1) == "∂0.weight" and grad_head("1/√(σ²+ε)", 1, 1) == "∂(1/√(σ²+ε))"
    assert slide_cells(np.array([2, 0, 1])) == ["2 0 1"]
    assert slide_cells(np.array([-1e-17, -0.0004, -0.001, 0.5])) == [" 0.00 −4e−04  0.00  0.50"]
    loss = example_loss("bn")
    loss.backward(retain_graph=True)
    source = viz.to_dot(loss, show_values=True, show_grads=True, style="slide").source
    assert "∂(x−μ)" in source and "∂x-μ" not in source and "−0.00" not in source


def test_a_value_that_rounds_to_zero_has_no_sign_and_pictures_use_one_minus():
    assert fmt(np.array([-1e-17, -0.00004, 0.5])) == ["[ 0. ,  0. ,  0.5]"]
    assert fmt(np.array([-0.0001, -0.3])) == ["[-0.0001, -0.3   ]"]      # not zero: keeps its sign
    assert minus("dx = -0.25 (via r3 mul) + 1e-05 = [-0.5, -.5]") == \
        "dx = −0.25 (via r3 mul) + 1e−05 = [−0.5, −.5]"
    assert minus("fan-in: dsqrtvar = -divar ; layer-1.weight") == "fan-in: dsqrtvar = -divar ; layer-1.weight"
    loss = example_loss("bn")
    loss.backward(retain_graph=True)
    for style in (None, "slide"):                  # values and gradients of every node
        labels = viz.to_dot(loss, show_values=True, show_grads=True, style=style).source
        assert not re.search(r"[\[ ,>]-[0-9]", labels) and not re.search(r"[-−]0\.(00)?[^0-9]", labels)


def test_colours_follow_roles_not_names():
    """A hand LayerNorm's g and b are parameters (green) like BN's gamma: leaves that require
    grad other than the input the graph starts from; x is that input (blue)."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True, name="x")
    g = Tensor(np.ones(3), requires_grad=True, name="g")
    b = Tensor(np.zeros(3), requires_grad=True, name="b")
    xmu = x - x.mean(axis=1, keepdims=True)
    y = xmu / (xmu.square().mean(axis=1, keepdims=True) + 1e-5).sqrt() * g + b
    fill = dict(re.findall(r'^\t\w+ \[label="(\w+)\\n.*fillcolor="(#\w+)"', viz.to_dot(y).source, re.M))
    assert fill["g"] == fill["b"] == viz.STYLES["param"]["fillcolor"]
    assert fill["x"] == viz.STYLES["input"]["fillcolor"]


def test_tooltips_say_record_op_and_shape_not_internal_ids():
    source = viz.to_dot(example_loss("bn")).source
    tips = dict(re.findall(r'^\t(\w+) \[.*tooltip="([^"]*)"', source, re.M))
    assert tips["r2"] == "r2 square -> (4, 2)"
    assert tips["t0"] == "x: (4, 2) float64, leaf" and "made by r0 mean" in tips["t1"]
    assert all(tip != node for node, tip in tips.items())


def test_legend_shows_the_waiting_border():
    source = viz.legend().source
    assert "gradient waiting for more paths" in source and "dashed" in source
    assert "gamma/beta" not in source


def test_slides_of_a_model_are_one_picture_per_block_with_every_record_once():
    loss = example_loss("mlp")
    loss.backward(retain_graph=True)
    pages = viz.slides(loss)
    ops = [re.findall(r'^\t(r\d+) \[label="r\d+  ', p.source, re.M) for p in pages]
    assert len(pages) == 2 and [r for page in ops for r in page] == [
        f"r{k}" for k in range(len(graph_of(loss).records))]
    assert all(len(page) <= SLIDE_RECORDS for page in ops)
    assert "∂(x−μ₁)" in pages[0].source and "∂(x−μ₂)" in pages[1].source    # one BN a page


def test_stepper_names_an_unknown_option_and_the_ones_it_takes():
    with pytest.raises(TypeError, match=r"Stepper: unknown option\(s\) \['colour'\]; use \('show_values'"):
        viz.Stepper(example_loss("bn"), colour="red")
    assert viz.Stepper(example_loss("bn"), forward=False).title == "backward, step by step"
