"""Pictures one step at a time: forward (values appear record by record) and backward (the
current record highlighted, the gradients and fan-in sums known so far)."""
from pathlib import Path

from ..names import named_graph
from ..numbers import minus
from ..rules import filled_rule
from ..walk import replay
from .dot import Drawing, _esc, _scope_of
from .layout import slide_blocks
from .render import render

DRAW_OPTIONS = ("show_values", "collapse", "rankdir", "max_elems", "expand", "style")


def forward_drawings(g, **opts):
    """(record, Digraph) per forward record of NamedGraph g: values so far, this record highlighted."""
    leaves = {id(t) for t in g.tensors if t.record is None}
    for k, r in enumerate(g.records, 1):
        known = leaves | {id(q.output) for q in g.records[:k]}
        caption = _esc(minus(f"forward step {k}/{len(g.records)}: {record_line(g, r)}")) + "\\l"
        yield r, _drawing(g, opts, values=known, highlight=r, caption=caption, show_values=True)


def backward_drawings(g, frames, **opts):
    """(Frame, Digraph) per backward step: this record highlighted, gradients known so far,
    and the caption: upstream g, the rule with the graph's names, every fan-in sum."""
    for k, frame in enumerate(frames, 1):
        r = frame.step.record
        lines = [f"backward step {k}/{len(frames)}: {g.rid(r)} {r.op}, upstream g = d{g.label(r.output)}",
                 *step_lines(g, frame)]
        caption = "".join(_esc(minus(line)) + "\\l" for line in lines)
        yield frame, _drawing(g, opts, grads=frame.known, arrived=frame.arrived, highlight=r,
                              caption=caption)


def record_line(g, r):
    """`r2: xmu = sub(x, mu)`: a forward record as the frames, the stepper and the slides say it."""
    return f"{g.rid(r)}: {g.label(r.output)} = {r.op}({', '.join(g.arg(t) for t in r.inputs)})"


def step_lines(g, frame):
    """A backward step's rule in the graph's names, then each fan-in sum with where it stands:
    the lines the frames' captions and the lecture pack's slides print under their heading."""
    return [f"rule: {filled_rule(g, frame.step.record)}"] + [
        f"fan-in: {s.equation()}  ({s.status()})" for s in frame.sums if s is not None]


def slides(tensor_or_tape, show_values=True, show_grads=True, **opts):
    """One slide-style Digraph per slide: the whole graph up to 15 records, else one per layer
    or BN block (consecutive layers share a slide while they fit), for a lecture's pages.

    show_grads draws the .grad the latest backward left; opts: collapse, max_elems, expand.
    """
    g = named_graph(tensor_or_tape)
    return [Drawing(g, show_values=show_values, show_grads=show_grads, style="slide", records=b,
                    **opts).draw() for b in layer_blocks(g)]


def layer_blocks(g, pack=True):
    """NamedGraph g's records cut into slides by layer or BN block (the layers collapse=True
    draws as boxes): one cut for viz.slides, the stepper's slide views and the lecture pack."""
    return slide_blocks(g.records, lambda r: _scope_of(r, True), pack=pack)


def _drawing(g, opts, **frame):
    settings = {"rankdir": "TB", **{k: v for k, v in opts.items() if k in DRAW_OPTIONS}, **frame}
    return Drawing(g, show_grads=True, **settings).draw()


def backward_frames(loss, out_dir, format="png", forward=False, **opts):
    """One picture per backward step of `loss` in out_dir (step_001.png, ...); returns the paths.

    forward=True first draws one per forward record (forward_001.png, ...). Runs backward with
    retain_graph=True and restores every .grad: the caller's graph and gradients are untouched.
    opts: show_values, collapse, rankdir, max_elems, expand, style.
    """
    out_dir, g = Path(out_dir), named_graph(loss)
    paths = [render(dot, out_dir / f"forward_{k:03d}.{format}", format)
             for k, (_, dot) in enumerate(forward_drawings(g, **opts), 1)] if forward else []
    return paths + [render(dot, out_dir / f"step_{k:03d}.{format}", format)
                    for k, (_, dot) in enumerate(backward_drawings(g, replay(loss), **opts), 1)]
