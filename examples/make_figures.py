"""Regenerate the pictures the docs show (a test runs this, so they never go stale).

    python examples/make_figures.py [out_dir]      default: docs/img next to this repo's docs

The stepper screenshot (docs/img/stepper_fanin.png) comes from tests/test_stepper_browser.py,
which saves it in artifacts/ when Chromium is installed.
"""
import shutil
import sys
import tempfile
from pathlib import Path

from tinygrad_bn import viz
from tinygrad_bn.teach.sample_graphs import bn_figure, example_loss

FIGURES = ["bn_composed.svg", "bn_fused.svg", "mlp_collapsed.svg", "bn_backward_step.svg"]
PICTURES = ["slide_bn.png", "mlp_named_collapsed.png"]


def main(out_dir):
    """Write every figure in FIGURES (and its .gv source) and PICTURES into out_dir."""
    out = Path(out_dir)
    viz.render(bn_figure(), out / "bn_composed.svg")     # the picture the demo and README show
    viz.render(viz.to_dot(example_loss("bn", fused=True), show_rules=True), out / "bn_fused.svg")
    viz.render(viz.to_dot(example_loss("mlp"), collapse=True), out / "mlp_collapsed.svg")
    with tempfile.TemporaryDirectory() as tmp:           # one frame of the backward walk
        frames = viz.backward_frames(example_loss("bn"), tmp, format="svg")
        shutil.copy(frames[9], out / "bn_backward_step.svg")     # step 10: the dxmu fan-in
    slide = example_loss("bn")
    slide.backward()
    viz.render(viz.to_dot(slide, show_values=True, show_grads=True, style="slide"),
               out / "slide_bn.png")
    viz.render(viz.to_dot(example_loss("mlp"), collapse=True, rankdir="TB"),
               out / "mlp_named_collapsed.png")
    return [out / name for name in FIGURES + PICTURES]


if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "docs" / "img"
    for path in main(sys.argv[1] if len(sys.argv) > 1 else default):
        print("wrote", path)
