"""The main demo (`tinygrad-bn demo`): batch norm forward and backward step by step, its graph and
HTML stepper, composed vs fused, then a BN MLP trained on digits. Everything lands in out/."""
import sys
import time
from pathlib import Path

import numpy as np

from .teach.sample_graphs import bn_figure, example_loss


def _section(title):
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}")


def _pictures(out):
    """The BN graph with values and gradients (its DOT source, SVG and PNG) and the HTML stepper
    of its backward; without dot, the DOT source alone."""
    from .teach import viz
    dot = bn_figure()
    try:
        written = [out / "bn_graph.gv", viz.render(dot, out / "bn_graph.svg"),
                   viz.render(dot, out / "bn_graph.png")]
        written.append(viz.stepper_html(example_loss("bn"), out / "bn_stepper.html",
                                        title="backward through batch norm, step by step",
                                        forward=False, show_values=True, max_elems=8))
    except viz.GraphvizError as exc:
        print(f"no pictures: {exc}")
        return [out / "bn_graph.gv"]
    return written


def _train(out, epochs, seed):
    """A BN MLP on scikit-learn's digits; returns the files it wrote and the test accuracy."""
    from .checkpoint import save
    from .data import load_digits
    from .train import fit, make_mlp, plot_history
    data = load_digits(seed=seed)
    model = make_mlp(bn=True, seed=seed)
    history = fit(model, data, epochs=epochs, seed=seed, progress=sys.stderr.isatty())
    acc = history["test_acc"][-1]
    print(f"test accuracy after {epochs} epochs: {100 * acc:.1f}%")
    save(model, out / "mlp_digits.safetensors")
    plot_history(history, out / "mlp_digits_curves.png", title="BN MLP on digits")
    return [out / "mlp_digits.safetensors", out / "mlp_digits_curves.png"], acc


def main(out_dir="out", epochs=15, seed=0):
    """Run the whole demo; returns the list of files written."""
    from .teach.compare import compare_bn
    from .teach.explain import explain
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    _section("1. Batch norm on a 4x2 batch: the forward records, then backward one step at a time")
    print(explain(example_loss("bn")))

    _section("2. The graph and the step-by-step page")
    written = _pictures(out)
    for path in written:
        print(f"wrote {path}")

    _section("3. Composed (ten primitives) vs fused (one primitive) batch norm")
    print(compare_bn(shape=(64, 32), dtype=np.float64, seed=seed))

    _section(f"4. A BN MLP on digits, {epochs} epochs")
    files, _ = _train(out, epochs, seed)
    written += files

    _section(f"Done in {time.perf_counter() - start:.0f} s. Files written:")
    for path in written:
        print(f"  {path}")
    print("Open the .svg/.png in an image viewer or browser, and the .html in a browser: "
          "Next/Previous or the arrow keys step through backward.")
    return written
