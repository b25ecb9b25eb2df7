"""The `tinygrad-bn` command: one subcommand per thing users come for (run with --help)."""
import argparse
import sys

import numpy as np


def _demo(args):
    """BN step by step, its graph and HTML stepper, composed vs fused, a BN MLP on digits (into out/)."""
    from .demo import main as demo
    demo(out_dir=args.out, epochs=args.epochs, seed=args.seed)
    return 0


def _rules(args):
    """Print docs/derivatives.md: every primitive with its forward and backward rule."""
    from .engine.ops import rules_markdown
    print(DERIVATIVES_HEADER + rules_markdown(), end="")
    return 0


DERIVATIVES_HEADER = """# Derivatives of every primitive

Generated from the op registry by `tinygrad-bn rules > docs/derivatives.md`; a test keeps it
true. `g` is the gradient arriving at the op's output, `out` its output; each `;` clause is the
gradient of one input. Broadcast inputs get `g` summed back to their shape by the engine.

"""


def _train(args):
    """Train an MLP or a CNN on the bundled 8x8 digits; writes DIR/model.safetensors and DIR/curves.png."""
    import os
    import time
    from .checkpoint import save
    from .data import load_digits
    from .train import DEFAULTS, MODELS, fit, plot_history
    hyper = {k: v if getattr(args, k) is None else getattr(args, k)
             for k, v in DEFAULTS[args.model].items()}
    data = load_digits(seed=0, flat=args.model == "mlp")     # one fixed split: seeds compare fairly
    model = MODELS[args.model](bn=args.bn, seed=args.seed)
    start = time.perf_counter()
    history = fit(model, data, seed=args.seed, progress=not args.quiet and sys.stderr.isatty(),
                  **hyper)
    seconds = time.perf_counter() - start
    os.makedirs(args.out, exist_ok=True)
    save(model, os.path.join(args.out, "model.safetensors"))
    label = f"{args.model} {'with' if args.bn else 'without'} BN"
    plot_history(history, os.path.join(args.out, "curves.png"), title=f"{label}, digits")
    print(f"{label}: {len(history['train_loss'])} epochs, {len(history['step_loss'])} steps "
          f"in {seconds:.1f} s ({', '.join(f'{k}={v}' for k, v in hyper.items())})")
    print(f"wrote {os.path.join(args.out, 'model.safetensors')} and {os.path.join(args.out, 'curves.png')}")
    print(f"test accuracy: {100 * history['test_acc'][-1]:.1f}%")
    return 1 if history["diverged"] else 0


def _add_train(sub):
    """`tinygrad-bn train mlp|cnn ...`: defaults reach >= 97% (mlp) / >= 98% (cnn) on digits."""
    train = sub.add_parser("train", help="train an MLP or CNN on digits", description=_train.__doc__)
    train.add_argument("model", choices=["mlp", "cnn"])
    train.add_argument("--data", choices=["digits"], default="digits",
                       help="scikit-learn's bundled 8x8 digits (no download)")
    train.add_argument("--bn", action=argparse.BooleanOptionalAction, default=True,
                       help="BatchNorm after each hidden Linear/Conv2d (default: on)")
    train.add_argument("--epochs", type=int, help="default: per model, see train.DEFAULTS")
    train.add_argument("--lr", type=float, help="learning rate (default: per model)")
    train.add_argument("--batch-size", type=int, help="default: per model")
    train.add_argument("--optimizer", choices=["sgd", "adam"], help="default: per model")
    train.add_argument("--cosine", action=argparse.BooleanOptionalAction,
                       help="cosine learning-rate decay to 0 (default: on)")
    train.add_argument("--seed", type=int, default=0, help="initialisation and shuffling")
    train.add_argument("--out", default="out/train", metavar="DIR",
                       help="where model.safetensors and curves.png go (default: out/train)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)


def _graph(args):
    """Draw the graph of a small example to an SVG, PNG or PDF file (format from --out's suffix)."""
    from .teach import viz
    from .teach.sample_graphs import example_loss
    loss = example_loss(args.example, fused=args.fused)
    if args.grads:
        loss.backward()
    collapse = args.example == "mlp" and not args.no_collapse
    dot = viz.to_dot(loss, show_values=args.values, show_grads=args.grads, show_rules=args.rules,
                     collapse=collapse, expand=args.expand, rankdir=args.rankdir, max_elems=8)
    print(f"wrote {viz.render(dot, args.out or f'out/{args.example}.svg')} (DOT source beside it)")
    return 0


def _stepper(args):
    """Write ONE self-contained HTML page that steps through backward of the BN example."""
    from .teach import viz
    from .teach.sample_graphs import example_loss
    loss = example_loss(args.example, fused=args.fused)
    path = viz.stepper_html(loss, args.out, title=f"backward through {args.example}, step by step",
                            show_values=True, max_elems=8)
    print(f"wrote {path}: open it in a browser, then Next/Previous or the arrow keys")
    return 0


def _explain(args):
    """Print the forward records with their values and each backward step with its rule."""
    from .teach.explain import explain
    from .teach.sample_graphs import example_loss
    print(explain(example_loss(args.example, fused=args.fused)))
    return 0


def _add_viz(sub):
    """`tinygrad-bn graph|stepper|explain`: pictures and step-by-step backward (issue 5)."""
    graph = sub.add_parser("graph", help="draw a computational graph", description=_graph.__doc__)
    graph.add_argument("example", choices=["bn", "mlp"])
    graph.add_argument("--out", help="target file: .svg, .png or .pdf (default: out/<example>.svg)")
    graph.add_argument("--values", action="store_true", help="print values in the data nodes")
    graph.add_argument("--grads", action="store_true", help="run backward and print gradients")
    graph.add_argument("--rules", action="store_true", help="print each op's derivative rule")
    graph.add_argument("--no-collapse", action="store_true", help="mlp: draw every primitive")
    graph.add_argument("--expand", action="store_true", help="mlp: layers as boxed clusters")
    graph.add_argument("--rankdir", choices=["LR", "TB"], default="LR", help="layout direction")
    stepper = sub.add_parser("stepper", help="HTML page stepping through backward",
                             description=_stepper.__doc__)
    stepper.add_argument("example", choices=["bn"])
    stepper.add_argument("--out", default="out/stepper.html", help="the HTML file to write")
    explain = sub.add_parser("explain", help="forward and backward as text",
                             description=_explain.__doc__)
    explain.add_argument("example", choices=["bn"])
    for p in (graph, stepper, explain):
        p.add_argument("--fused", action="store_true", help="batch norm as one fused primitive")
    graph.set_defaults(run=_graph)
    stepper.set_defaults(run=_stepper)
    explain.set_defaults(run=_explain)


def _compare_bn(args):
    """Composed BN (ten records) vs the fused primitive (one): differences, memory, time."""
    from .teach.compare import compare_bn
    shape = tuple(int(n) for n in args.shape.split(","))
    print(compare_bn(shape, dtype=np.dtype(args.dtype), seed=args.seed, repeats=args.repeats))
    return 0


def _add_compare_bn(sub):
    """`tinygrad-bn compare-bn [--shape 64,32] [--dtype float64] [--seed 0]` (issue 4)."""
    p = sub.add_parser("compare-bn", help="composed vs fused batch norm, one table",
                       description=_compare_bn.__doc__)
    p.add_argument("--shape", default="64,32", help="N,D or N,C,H,W (default 64,32)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=20, help="timing: median of this many runs")
    p.set_defaults(run=_compare_bn)


def _bench(args):
    """Run the benchmarks of a source checkout (`python -m benchmarks`) and print their one table.

    A fresh interpreter, so the thread counts are set before NumPy and torch load.
    """
    import os
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isfile(os.path.join(root, "benchmarks", "__main__.py")):
        print("bench: the benchmarks/ folder ships with the source checkout, not the installed "
              "package; run this from a clone of the repository", file=sys.stderr)
        return 2
    cmd = [sys.executable, "-m", "benchmarks"] + ["--quick"] * args.quick
    cmd += (["--threads", str(args.threads)] if args.threads else []) + (["--json", args.json] if args.json else [])
    return subprocess.run(cmd, cwd=root).returncode


def _add_bench(sub):
    """`tinygrad-bn bench [--quick]`: every speed and memory ratio against torch and NumPy."""
    bench = sub.add_parser("bench", help="benchmarks against PyTorch and NumPy",
                           description=_bench.__doc__)
    bench.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    bench.add_argument("--threads", type=int,
                       help="threads for BLAS, OpenMP and torch alike (default: all cores)")
    bench.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    bench.set_defaults(run=_bench)


def build_parser():
    """The argparse tree: `tinygrad-bn <command> --help` documents each command."""
    parser = argparse.ArgumentParser(prog="tinygrad-bn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo = sub.add_parser("demo", help="the main demo", description=_demo.__doc__)
    demo.add_argument("--out", default="out", help="folder for the files the demo writes")
    demo.add_argument("--epochs", type=int, default=15, help="epochs of the MLP training")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=_demo)
    rules = sub.add_parser("rules", help="print the derivatives table", description=_rules.__doc__)
    rules.set_defaults(run=_rules)
    _add_train(sub)
    _add_viz(sub)
    _add_compare_bn(sub)
    _add_bench(sub)
    return parser


def main(argv=None):
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
