"""The stepper: ONE self-contained HTML page that steps through a graph, forward (values appear
record by record) then backward (gradients flowing along the edges, the rule in the graph's
names, every fan-in sum). The graph is drawn once; each step is a small record of what changes."""
import html
import json
import sys
from pathlib import Path

from ..names import named_graph
from ..walk import replay
from .dot import Drawing
from .frames import DRAW_OPTIONS, layer_blocks
from .page import PAGE
from .render import run_dot
from .states import StepData

NATURAL_SIZE = ("size", "ratio", "viewport", "dpi")    # the slide's forced 1920x1080: the page fits
PROGRESS_FROM = 100                                     # records; fewer build without a word


class Stepper:
    """Step through `loss`: in Jupyter it shows inline (an iframe, no network); .save(path)
    writes the same page as one HTML file. forward=False starts at the first backward step.

    opts go to the pictures: show_values, collapse, rankdir, max_elems, expand, style.
    style="slide" beyond 15 records draws one slide per layer or BN block.
    """

    def __init__(self, loss, title=None, forward=True, **opts):
        self.loss, self.forward = loss, forward
        self.title = title or ("forward, then backward, step by step" if forward
                               else "backward, step by step")
        unknown = set(opts) - set(DRAW_OPTIONS)
        if unknown:
            raise TypeError(f"Stepper: unknown option(s) {sorted(unknown)}; use {DRAW_OPTIONS}")
        self.opts = {"show_values": True, "max_elems": 8, "rankdir": "TB", **opts}
        self._page = None

    def __repr__(self):
        return (f"Stepper({len(named_graph(self.loss).records)} records, forward={self.forward}): "
                "show it in Jupyter or .save('page.html')")

    def data(self):
        """Everything the page draws: the SVG of each view (the graph, or one per slide), each
        data node's label rows, the fan-in tensors and one small dict per step."""
        g = named_graph(self.loss)
        say = _progress(len(g.records))
        frames = replay(self.loss) if self.loss.requires_grad else []
        final = frames[-1] if frames else None
        blocks = (layer_blocks(g) if self.opts.get("style") == "slide" else [g.records])
        views = [Drawing(g, grads=final.known if final else {}, arrived=final.arrived if final else {},
                         records=b, **self.opts) for b in blocks]
        view_of = {id(r): k for k, b in enumerate(blocks) for r in b}
        states = StepData(g, views, view_of, frames)
        steps = [states.forward(k, r) for k, r in enumerate(g.records)] if self.forward else []
        leaves = [t for t in g.tensors if t.record is None and t.requires_grad]
        for k, frame in enumerate(frames, 1):
            steps.append(states.backward(frame, leaves))
            if k % 25 == 0 or k == len(frames):
                say(f"backward step {k}/{len(frames)}")
        svgs = []
        for k, d in enumerate(views):
            say(f"drawing {k + 1}/{len(views)} with dot")
            svgs.append(_svg(d))
        say("done", end="\n")
        return {"svgs": svgs, "rows": _rows(g, views), "fanins": states.fan_ins(),
                "leaves": [g.tid(t) for t in g.tensors if t.record is None],
                "slide": self.opts.get("style") == "slide", "steps": steps}

    def steps(self):
        """One dict per step (kind, view, node, caption, panel blocks, what changes), forward first."""
        return self.data()["steps"]

    def html(self):
        """The whole page: SVG, data, script and style inline; a Content-Security-Policy forbids
        every request, so it works offline and leaks nothing."""
        if self._page is None:
            self._page = PAGE.replace("__TITLE__", html.escape(self.title)).replace(
                "__DATA__", script_json(self.data()))
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


def script_json(obj):
    """JSON safe inside <script>: no `</script>`, `<!--` or `]]>` can end or bend the block."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _svg(drawing):
    """The drawing as SVG at its natural size; the page scales it with the viewBox."""
    dot = drawing.draw()
    for key in NATURAL_SIZE:
        dot.graph_attr.pop(key, None)
    svg = run_dot(dot.source, "svg").decode()
    return svg[svg.index("<svg"):]


def _rows(g, views):
    """tid -> [head, values, grads]: how many text rows of its label are the name, the values
    and the gradient, so the page can show and rewrite them."""
    rows = {}
    for d in views:
        for t in d.tensors:
            if id(t) not in d.hidden:
                grad = d.grads.get(id(t))
                rows[g.tid(t)] = [len(d.head_lines(t)), len(d.value_lines(t)), 0 if grad is None
                                  else len(d.grad_lines(t, grad, d.arrived.get(id(t), (0, 1))))]
    return rows


def _progress(n):
    """A function printing `stepper: <what>` over itself on stderr, for graphs of PROGRESS_FROM
    records or more; silent below."""
    if n < PROGRESS_FROM:
        return lambda text, end="": None
    return lambda text, end="": print(f"\rstepper ({n} records): {text}   ", end=end,
                                      file=sys.stderr, flush=True)
