"""The stepper: ONE self-contained HTML page that steps through a graph's backward."""
import html
import json
from pathlib import Path

from ...engine.graph import graph_of
from ..explain import fmt
from .frames import _frames
from .render import run_dot


def stepper_html(loss, path, title="backward, step by step", **opts):
    """ONE self-contained HTML file stepping through backward: graph, upstream g, rule, result.

    Everything is inline (SVGs, script, style) and a Content-Security-Policy forbids any request.
    """
    g, steps = graph_of(loss), []
    leaves = [t for t in g.tensors if t.record is None and t.requires_grad]
    for frame, dot in _frames(loss, **opts):
        step, known = frame.step, frame.known
        svg = run_dot(dot.source, "svg").decode()
        r = step.record
        steps.append({
            "title": f"{g.rid(r)} {r.op}: {g.label(r.output)} = {r.op}("
                     f"{', '.join(g.label(t) for t in r.inputs)})",
            "rule": r.rule, "svg": svg[svg.index("<svg"):],
            "upstream": [f"d{g.label(r.output)}", _text(step.grad_output)],
            "results": [[f"d{g.label(t)}", _text(gi)] for t, gi in zip(r.inputs, step.grad_inputs)
                        if gi is not None],
            "leaves": [[f"d{g.label(t)}", _text(known[id(t)])] for t in leaves if id(t) in known]})
    data = json.dumps(steps).replace("</", "<\\/")
    page = _PAGE.replace("__TITLE__", html.escape(title)).replace("__DATA__", data)
    Path(path).write_text(page, encoding="utf-8")
    return Path(path)


def _text(arr):
    return "\n".join(fmt(arr, max_elems=64))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>__TITLE__</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 1em; color: #222; }
#bar { display: flex; gap: .6em; align-items: center; margin-bottom: .6em; }
button { font-size: 1em; padding: .3em 1em; }
#main { display: flex; gap: 1.5em; align-items: flex-start; }
#graph { flex: 3; overflow: auto; border: 1px solid #ddd; }
#graph svg { max-width: 100%; height: auto; }
#panel { flex: 1; min-width: 18em; }
pre { background: #f6f6f6; padding: .4em; margin: .2em 0 .8em; }
h3 { margin: .4em 0 .2em; font-size: 1em; }
</style></head><body>
<h2>__TITLE__</h2>
<div id="bar"><button id="prev">&larr; Previous</button><button id="next">Next &rarr;</button>
<span id="counter"></span><span>(arrow keys work too)</span></div>
<div id="main"><div id="graph"></div><div id="panel"></div></div>
<script type="application/json" id="data">__DATA__</script>
<script>
const steps = JSON.parse(document.getElementById("data").textContent);
let k = 0;
function block(panel, heading, text) {
  const h = document.createElement("h3"); h.textContent = heading; panel.appendChild(h);
  const p = document.createElement("pre"); p.textContent = text; panel.appendChild(p);
}
function show(i) {
  k = Math.max(0, Math.min(steps.length - 1, i));
  const s = steps[k], panel = document.getElementById("panel");
  document.getElementById("graph").innerHTML = s.svg;
  document.getElementById("counter").textContent = "step " + (k + 1) + " / " + steps.length;
  panel.replaceChildren();
  block(panel, "record", s.title);
  block(panel, "upstream gradient " + s.upstream[0], s.upstream[1]);
  block(panel, "rule", s.rule);
  s.results.forEach(([name, text]) => block(panel, "result " + name, text));
  s.leaves.forEach(([name, text]) => block(panel, name + " so far (leaf, summed)", text));
  document.getElementById("prev").disabled = k === 0;
  document.getElementById("next").disabled = k === steps.length - 1;
}
document.getElementById("prev").onclick = () => show(k - 1);
document.getElementById("next").onclick = () => show(k + 1);
document.addEventListener("keydown", (e) => {
  if (e.key === "ArrowRight") show(k + 1);
  if (e.key === "ArrowLeft") show(k - 1);
});
show(0);
</script></body></html>
"""
