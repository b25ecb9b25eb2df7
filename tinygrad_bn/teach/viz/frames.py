"""One picture per backward step: the current record highlighted, the gradients known so far."""
from pathlib import Path

from ...engine.graph import graph_of
from ..walk import replay
from .dot import _Drawing
from .render import render


def _frames(loss, show_values=False, **opts):
    """(Frame, Digraph) per backward step: current record highlighted, gradients known so far."""
    g, frames = graph_of(loss), replay(loss)
    for k, frame in enumerate(frames, 1):
        r = frame.step.record
        caption = (f"backward step {k}/{len(frames)}: {g.rid(r)} {r.op}, upstream "
                   f"g = d{g.label(r.output)}\\lrule: {r.rule}\\l")
        drawing = _Drawing(g, show_values, True, False, opts.get("collapse"), opts.get("rankdir", "TB"),
                           opts.get("max_elems", 6), opts.get("expand", False), grads=frame.known,
                           highlight=r, caption=caption)
        yield frame, drawing.draw()


def backward_frames(loss, out_dir, format="png", **opts):
    """One picture per backward step of `loss` in out_dir (step_001.png, ...); returns the paths.

    Runs backward with retain_graph=True and restores every .grad, so the caller's graph and
    gradients are untouched. opts: show_values, collapse, rankdir, max_elems, expand.
    """
    out_dir = Path(out_dir)
    return [render(dot, out_dir / f"step_{k:03d}.{format}", format)
            for k, (_, dot) in enumerate(_frames(loss, **opts), 1)]
