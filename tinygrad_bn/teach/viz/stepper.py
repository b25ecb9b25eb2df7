"""The stepper: ONE self-contained HTML page that steps through a graph, forward (values appear
record by record) then backward (gradients, the rule in the graph's names, every fan-in sum)."""
import html
import json
from pathlib import Path

from ..names import named_graph
from ..numbers import fmt
from ..rules import filled_rule
from ..walk import replay
from .frames import backward_drawings, forward_drawings
from .render import run_dot


class Stepper:
    """Step through `loss`: in Jupyter it shows inline (an iframe, no network); .save(path)
    writes the same page as one HTML file. forward=False starts at the first backward step.

    opts go to the pictures: show_values, collapse, rankdir, max_elems, expand, style.
    """

    def __init__(self, loss, title=None, forward=True, **opts):
        self.loss, self.forward = loss, forward
        self.title = title or ("forward, then backward" if forward else "backward") + ", step by step"
        self.opts = {"show_values": True, "max_elems": 8, **opts}
        self._page = None

    def __repr__(self):
        return (f"Stepper({len(named_graph(self.loss).records)} records, forward={self.forward}): "
                "show it in Jupyter or .save('page.html')")

    def steps(self):
        """One dict per step (kind, title, svg, panel blocks), forward steps first."""
        g = named_graph(self.loss)
        out = [_forward_step(g, r, dot) for r, dot in forward_drawings(g, **self.opts)] \
            if self.forward else []
        leaves = [t for t in g.tensors if t.record is None and t.requires_grad]
        if self.loss.requires_grad:
            out += [_backward_step(g, frame, dot, leaves)
                    for frame, dot in backward_drawings(g, replay(self.loss), **self.opts)]
        return out

    def html(self):
        """The whole page: SVGs, script and style inline; a Content-Security-Policy forbids
        every request, so it works offline and leaks nothing."""
        if self._page is None:
            data = json.dumps(self.steps()).replace("</", "<\\/")
            self._page = _PAGE.replace("__TITLE__", html.escape(self.title)).replace("__DATA__", data)
        return self._page

    def _repr_html_(self):
        """Jupyter's inline view: the page in a sandboxed iframe (scripts run, nothing loads)."""
        return (f'<iframe sandbox="allow-scripts" style="width: 100%; height: 720px; border: 1px '
                f'solid #ddd" srcdoc="{html.escape(self.html(), quote=True)}"></iframe>')

    def save(self, path):
        """Write the page to `path` (missing folders are made); returns the Path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html(), encoding="utf-8")
        return path


def stepper_html(loss, path, title=None, **opts):
    """Stepper(loss, title, **opts).save(path): the stepper as one HTML file."""
    return Stepper(loss, title, **opts).save(path)


def _svg(dot):
    svg = run_dot(dot.source, "svg").decode()
    return svg[svg.index("<svg"):]


def _forward_step(g, r, dot):
    args = ", ".join(g.arg(t) for t in r.inputs)
    return {"kind": "forward", "svg": _svg(dot), "blocks": [
        ["record", f"{g.rid(r)}: {g.label(r.output)} = {r.op}({args})"],
        [f"value {g.label(r.output)}", _text(r.output.data)]]}


def _backward_step(g, frame, dot, leaves):
    step = frame.step
    r = step.record
    blocks = [["record", f"{g.rid(r)} {r.op}: {g.label(r.output)} = {r.op}("
                         f"{', '.join(g.arg(t) for t in r.inputs)})"],
              ["rule", r.rule], ["rule with this graph's names", filled_rule(g, r)],
              [f"upstream gradient d{g.label(r.output)}", _text(step.grad_output)]]
    for t, gi, (k, n), fan_in in zip(r.inputs, step.grad_inputs, frame.paths, frame.sums):
        if gi is None:
            continue
        path = f" (path {k} of {n})" if n > 1 else ""
        blocks.append([f"result d{g.label(t)}{path}", _text(gi)])
        if fan_in is not None:
            blocks.append([f"fan-in sum d{g.label(t)}", f"{fan_in.equation()}\n{fan_in.status()}"])
    blocks += [[f"d{g.label(t)} so far (leaf, summed)", _text(frame.known[id(t)])]
               for t in leaves if id(t) in frame.known]
    return {"kind": "backward", "svg": _svg(dot), "blocks": blocks}


def _text(arr):
    return "\n".join(fmt(arr, max_elems=64))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>__TITLE__</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 1em; color: #222; }
#bar { display: flex; gap: .6em; align-items: center; margin-bottom: .6em; flex-wrap: wrap; }
button { font-size: 1em; padding: .3em 1em; }
#main { display: flex; gap: 1.5em; align-items: flex-start; }
#graph { flex: 3; overflow: auto; max-height: 85vh; border: 1px solid #ddd; }
#panel { flex: 1; min-width: 20em; }
#kind { font-weight: bold; }
pre { background: #f6f6f6; padding: .4em; margin: .2em 0 .8em; white-space: pre-wrap; }
pre.fanin { background: #fff3e0; border-left: 4px solid #e67e22; }
h3 { margin: .4em 0 .2em; font-size: 1em; }
</style></head><body>
<h2>__TITLE__</h2>
<div id="bar"><button id="prev">&larr; Previous</button><button id="next">Next &rarr;</button>
<button id="backward">Jump to backward</button>
<span id="counter"></span> <span id="kind"></span><span>(arrow keys work too)</span></div>
<div id="main"><div id="graph"></div><div id="panel"></div></div>
<script type="application/json" id="data">__DATA__</script>
<script>
const steps = JSON.parse(document.getElementById("data").textContent);
const firstBackward = Math.max(0, steps.findIndex((s) => s.kind === "backward"));
let k = 0;
function block(panel, heading, text) {
  const h = document.createElement("h3"); h.textContent = heading; panel.appendChild(h);
  const p = document.createElement("pre"); p.textContent = text; panel.appendChild(p);
  if (heading.startsWith("fan-in")) p.className = "fanin";
}
function show(i) {
  k = Math.max(0, Math.min(steps.length - 1, i));
  const s = steps[k], panel = document.getElementById("panel");
  document.getElementById("graph").innerHTML = s.svg;
  document.getElementById("counter").textContent = "step " + (k + 1) + " / " + steps.length;
  document.getElementById("kind").textContent = s.kind;
  panel.replaceChildren();
  s.blocks.forEach(([heading, text]) => block(panel, heading, text));
  document.getElementById("prev").disabled = k === 0;
  document.getElementById("next").disabled = k === steps.length - 1;
  const hot = document.getElementById("current");
  if (hot) hot.scrollIntoView({block: "center", inline: "center"});
}
document.getElementById("prev").onclick = () => show(k - 1);
document.getElementById("next").onclick = () => show(k + 1);
document.getElementById("backward").onclick = () => show(firstBackward);
document.addEventListener("keydown", (e) => {
  if (e.key === "ArrowRight") show(k + 1);
  if (e.key === "ArrowLeft") show(k - 1);
});
show(0);
</script></body></html>
"""
