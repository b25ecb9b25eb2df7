"""Graphs you can read: DOT drawings (dot), files (render), one picture per backward step
(frames), slides cut per layer (frames.slides) and a self-contained HTML stepper (stepper).
Nothing below teach/ imports it.

In Jupyter, `tg.viz.to_dot(loss)` as the last line of a cell displays the graph as SVG.
"""
from .dot import HIGHLIGHT, KIND_TEXT, STYLES, Drawing, legend, to_dot
from .frames import backward_frames, backward_drawings, forward_drawings, slides
from .render import FORMATS, GraphvizError, render, run_dot
from .stepper import Stepper, stepper_html

__all__ = ["to_dot", "Drawing", "legend", "render", "run_dot", "GraphvizError", "FORMATS", "backward_frames",
           "backward_drawings", "forward_drawings", "slides", "Stepper", "stepper_html", "STYLES", "HIGHLIGHT", "KIND_TEXT"]
