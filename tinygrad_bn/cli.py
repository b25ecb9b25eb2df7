"""The `tinygrad-bn` command: one subcommand per thing users come for (run with --help).

Every mistake on the command line is one line on stderr and a non-zero exit, never a traceback.
"""
import argparse
import os
import sys

import numpy as np


class CLIError(Exception):
    """A bad invocation found before any work: main prints it as one line and exits 2."""


def positive_int(text):
    """argparse type: an integer >= 1 (epochs, batch size, repeats, threads)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return value


def positive_float(text):
    """argparse type: a finite number > 0 (learning rate)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{value} must be a positive number")
    return value


def shape_arg(text):
    """argparse type: `N,D` or `N,C,H,W`, every size >= 1."""
    try:
        shape = tuple(int(n) for n in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not sizes separated by commas, e.g. 64,32 "
                                         "or 8,3,16,16") from None
    if len(shape) not in (2, 4) or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give N,D or N,C,H,W with every size >= 1")
    return shape


def writable_folder(path):
    """Make folder `path` (and its parents) now, so a long run cannot fail at the end saving."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise CLIError(f"--out {path} is a file, not a folder; pick a folder name")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"--out {path}: cannot create the folder ({exc.strerror})") from None
    if not os.access(path, os.W_OK):
        raise CLIError(f"--out {path}: the folder is not writable; pick another")
    return path


def _demo(args):
    """BN step by step, its graph and HTML stepper, composed vs fused, a BN MLP on digits (into out/)."""
    from .demo import main as demo
    writable_folder(args.out)
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
    """Train an MLP or a CNN on the bundled 8x8 digits; writes DIR/model.safetensors and DIR/curves.png
    (DIR defaults to out/train/mlp or out/train/cnn, so the two never overwrite each other)."""
    import time
    from .checkpoint import save
    from .data import load_digits
    from .train import DEFAULTS, MODELS, fit, plot_history
    data = load_digits(seed=0, flat=args.model == "mlp")     # one fixed split: seeds compare fairly
    args.out = args.out or os.path.join("out", "train", args.model)     # (without scikit-learn,
    writable_folder(args.out)                                           #  load_digits says so)
    hyper = {k: v if getattr(args, k) is None else getattr(args, k)
             for k, v in DEFAULTS[args.model].items()}
    model = MODELS[args.model](bn=args.bn, seed=args.seed)
    start = time.perf_counter()
    history = fit(model, data, seed=args.seed, progress=not args.quiet and sys.stderr.isatty(),
                  jit=args.jit, **hyper)
    seconds = time.perf_counter() - start
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
    train.add_argument("--epochs", type=positive_int, help="default: per model, see train.DEFAULTS")
    train.add_argument("--lr", type=positive_float, help="learning rate (default: per model)")
    train.add_argument("--batch-size", type=positive_int, help="default: per model")
    train.add_argument("--optimizer", choices=["sgd", "adam"], help="default: per model")
    train.add_argument("--cosine", action=argparse.BooleanOptionalAction,
                       help="cosine learning-rate decay to 0 (default: on)")
    train.add_argument("--seed", type=int, default=0, help="initialisation and shuffling")
    train.add_argument("--out", metavar="DIR", help="where model.safetensors and curves.png go "
                                                    "(default: out/train/MODEL)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--jit", action=argparse.BooleanOptionalAction, default=True,
                       help="replay the recorded step with tg.jit (default: on; --no-jit runs "
                            "every step eagerly, with the same results)")
    train.set_defaults(run=_train)


def _graph(args):
    """Draw the graph of TARGET to an SVG, PNG or PDF file (format from --out's suffix).

    TARGET: a built-in example (bn, mlp, cnn; --fused for fused BN) or path/to/file.py:function,
    a function with no arguments that returns a scalar loss Tensor.
    """
    from .teach import viz
    from .teach.targets import load_target
    out = args.out or f"out/{_stem(args.target)}{'_slide' if args.slide else ''}.svg"
    _check_picture_path(out)
    if args.backward:                 # the backward recorded too: both passes in one picture
        from .engine import Tape
        with Tape() as drawn:
            load_target(args.target, fused=args.fused, seed=args.seed).backward(create_graph=True)
    else:
        drawn = loss = load_target(args.target, fused=args.fused, seed=args.seed)
        if args.grads or args.slide:
            loss.backward(retain_graph=True)
    collapse = (not args.no_collapse and args.target not in ("bn",) and not args.slide
                and not args.backward)
    dot = viz.to_dot(drawn, show_values=args.values or args.slide, show_grads=args.grads or args.slide,
                     show_rules=args.rules, collapse=collapse, expand=args.expand,
                     rankdir=args.rankdir or ("TB" if args.backward else None), max_elems=8,
                     style="slide" if args.slide else None)
    print(f"wrote {viz.render(dot, out)} (DOT source beside it)")
    return 0


def _stepper(args):
    """Write ONE self-contained HTML page that steps through TARGET: forward, then backward.

    TARGET as for `graph`: bn, mlp, cnn, or path/to/file.py:function.
    """
    from .teach import viz
    from .teach.targets import load_target
    out = args.out or f"out/{_stem(args.target)}_stepper.html"
    _check_file_path(out, (".html", ".htm"))
    loss = load_target(args.target, fused=args.fused, seed=args.seed)
    steps = "backward" if args.backward_only else "forward, then backward"
    stepper = viz.Stepper(loss, title=f"{args.target}: {steps}, step by step",
                          forward=not args.backward_only, style="slide" if args.slide else None)
    print(f"wrote {stepper.save(out)}: open it in a browser, then Next/Previous or the arrow keys")
    return 0


def _slides(args):
    """Write a lecture pack of TARGET into DIR: one 1920x1080 PNG per forward and backward step,
    the whole graph, and index.html listing them (for PowerPoint, Keynote or a browser).

    TARGET as for `graph`; each step's slide draws the layer call it belongs to, in large type.
    """
    from .teach.slides import lecture_pack
    from .teach.targets import load_target
    out = writable_folder(args.out or f"out/{_stem(args.target)}_slides")
    paths = lecture_pack(load_target(args.target, fused=args.fused, seed=args.seed), out,
                         title=args.target)
    print(f"wrote {len(paths) - 1} slides (1920x1080 PNG) and {paths[-1]}: open it to see them all")
    return 0


def _explain(args):
    """Print TARGET's forward records with their values, then each backward step with its rule
    and every fan-in sum. TARGET as for `graph`; without one, the BN example."""
    from .teach.explain import explain
    from .teach.targets import load_target
    print(explain(load_target(args.target, fused=args.fused, seed=args.seed)))
    return 0


def _stem(target):
    """A file name for TARGET's default output: `bn`, or the function's name."""
    return target.rsplit(":", 1)[-1] if ":" in target else target


def _check_picture_path(out):
    from .teach.viz import FORMATS
    _check_file_path(out, tuple(f".{f}" for f in FORMATS))


def _check_file_path(out, suffixes):
    """Refuse --out before any work: a folder, or a suffix the command cannot write."""
    if os.path.isdir(out):
        raise CLIError(f"--out {out} is a folder; give a file in it, e.g. {os.path.join(out, 'graph' + suffixes[0])}")
    if os.path.splitext(out)[1].lower() not in suffixes:
        raise CLIError(f"--out {out}: the file must end in {' or '.join(suffixes)}")


def _add_viz(sub):
    """`tinygrad-bn graph|stepper|explain|slides TARGET`: pictures and step-by-step backward."""
    graph = sub.add_parser("graph", help="draw a computational graph", description=_graph.__doc__)
    graph.add_argument("--out", help="target file: .svg, .png or .pdf (default: out/<target>.svg; "
                                     "missing folders are made)")
    graph.add_argument("--values", action="store_true", help="print values in the data nodes")
    graph.add_argument("--grads", action="store_true", help="run backward and print gradients")
    graph.add_argument("--rules", action="store_true", help="print each op's derivative rule")
    graph.add_argument("--backward", action="store_true", help="record the backward too "
                       "(create_graph=True) and draw both passes: backward ops in orange")
    graph.add_argument("--no-collapse", action="store_true", help="models: draw every primitive")
    graph.add_argument("--expand", action="store_true", help="models: layers as boxed clusters")
    graph.add_argument("--rankdir", choices=["LR", "TB"], default=None,
                       help="layout direction (default: the one nearer a 16:9 screen; TB with --backward)")
    graph.add_argument("--slide", action="store_true", help="a 16:9 slide: textbook symbols, "
                                                             "values and gradients, big type")
    stepper = sub.add_parser("stepper", help="HTML page stepping through forward and backward",
                             description=_stepper.__doc__)
    stepper.add_argument("--out", help="the HTML file (default: out/<target>_stepper.html)")
    stepper.add_argument("--backward-only", action="store_true", help="skip the forward steps")
    stepper.add_argument("--slide", action="store_true", help="pictures in the slide style")
    explain = sub.add_parser("explain", help="forward and backward as text",
                             description=_explain.__doc__)
    slides = sub.add_parser("slides", help="a lecture pack: one 1920x1080 PNG per step",
                            description=_slides.__doc__)
    slides.add_argument("--out", metavar="DIR", help="the folder (default: out/<target>_slides)")
    for p in (graph, stepper, explain, slides):
        _add_target_arguments(p, optional=p is explain)
    slides.set_defaults(run=_slides)
    graph.set_defaults(run=_graph)
    stepper.set_defaults(run=_stepper)
    explain.set_defaults(run=_explain)


def _add_target_arguments(parser, optional=False):
    """TARGET, --fused and --seed, shared by the commands that build a target's graph."""
    parser.add_argument("target", nargs="?" if optional else None, default="bn", metavar="TARGET",
                        help="bn, mlp, cnn, or path/to/file.py:function")
    parser.add_argument("--fused", action="store_true", help="batch norm as one fused primitive")
    parser.add_argument("--seed", type=int, default=0,
                        help="tg.manual_seed(SEED) runs before TARGET is built (default 0), so "
                             "graph, stepper, explain and slides of one model show the same numbers")


def _compare_bn(args):
    """Composed BN (ten records) vs the fused primitive (one): differences, memory, time."""
    from .teach.compare import compare_bn
    print(compare_bn(args.shape, dtype=np.dtype(args.dtype), seed=args.seed, repeats=args.repeats))
    return 0


def _add_compare_bn(sub):
    """`tinygrad-bn compare-bn [--shape 64,32] [--dtype float64] [--seed 0]`."""
    p = sub.add_parser("compare-bn", help="composed vs fused batch norm, one table",
                       description=_compare_bn.__doc__)
    p.add_argument("--shape", type=shape_arg, default=(64, 32), help="N,D or N,C,H,W (default 64,32)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=positive_int, default=20, help="timing: median of this many runs")
    p.set_defaults(run=_compare_bn)


def _bench(args):
    """Run the benchmarks of a source checkout (`python -m benchmarks`) and print their one table.

    A fresh interpreter, so the thread counts are set before NumPy and torch load.
    """
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isfile(os.path.join(root, "benchmarks", "__main__.py")):
        print("bench: the benchmarks/ folder ships with the source checkout, not the installed "
              "package; run this from a clone of the repository", file=sys.stderr)
        return 2
    if args.json and (os.path.isdir(args.json) or not args.json.endswith(".json")):
        raise CLIError(f"--json {args.json}: give a file ending in .json, e.g. bench.json")
    cmd = [sys.executable, "-m", "benchmarks"] + ["--quick"] * args.quick
    cmd += (["--threads", str(args.threads)] if args.threads else []) + (["--json", args.json] if args.json else [])
    return subprocess.run(cmd, cwd=root).returncode


def _add_bench(sub):
    """`tinygrad-bn bench [--quick]`: every speed and memory ratio against torch and NumPy."""
    bench = sub.add_parser("bench", help="benchmarks against PyTorch and NumPy",
                           description=_bench.__doc__)
    bench.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    bench.add_argument("--threads", type=positive_int,
                       help="threads for BLAS, OpenMP and torch alike (default: all cores)")
    bench.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    bench.set_defaults(run=_bench)


def build_parser():
    """The argparse tree: `tinygrad-bn <command> --help` documents each command."""
    parser = _Parser(prog="tinygrad-bn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo = sub.add_parser("demo", help="the main demo", description=_demo.__doc__)
    demo.add_argument("--out", default="out", help="folder for the files the demo writes")
    demo.add_argument("--epochs", type=positive_int, default=15, help="epochs of the MLP training")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=_demo)
    rules = sub.add_parser("rules", help="print the derivatives table", description=_rules.__doc__)
    rules.set_defaults(run=_rules)
    _add_train(sub)
    _add_viz(sub)
    _add_compare_bn(sub)
    _add_bench(sub)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block): `tinygrad-bn graph: error: ...`."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv=None):
    """Entry point of the console script: any failure is one line on stderr, exit 1 or 2."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CLIError as exc:
        return _fail(args, exc, 2)
    except KeyboardInterrupt:
        print("tinygrad-bn: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:        # the user's own code or a broken install: still one line
        return _fail(args, exc, 1)


def _fail(args, exc, code):
    from .teach.targets import TargetError
    from .teach.viz import GraphvizError
    known = (CLIError, TargetError, GraphvizError, ValueError, OSError)
    text = str(exc) if isinstance(exc, known) else f"{type(exc).__name__}: {exc}"
    print(f"tinygrad-bn {args.command}: error: {' '.join(text.split())}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
