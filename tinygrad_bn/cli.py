"""The `tinygrad-bn` command: one subcommand per thing users come for (run with --help)."""
import argparse
import sys

import numpy as np


def _demo(args):
    """Forward, backward step by step with each rule, and a gradcheck, on a tiny graph."""
    from . import Tape, Tensor, gradcheck
    rng = np.random.default_rng(args.seed)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True, name="x")
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True, name="w")
    with Tape() as tape:
        loss = (x @ w).tanh().square().mean().named("loss")
    print("forward (the tape, in execution order):")
    print(tape)
    print("\nbackward, one record at a time:")
    for step in tape.backward_steps(loss):
        r = step.record
        print(f"  r{r.index:<3} {r.op:<8} rule: {step.rule}")
    print(f"\ngradcheck(x, w) against central differences: "
          f"{gradcheck(lambda x, w: (x @ w).tanh().square().mean(), x, w)}")
    return 0


def _rules(args):
    """Print docs/derivatives.md: every primitive with its forward and backward rule."""
    from .ops import rules_markdown
    print(DERIVATIVES_HEADER + rules_markdown(), end="")
    return 0


DERIVATIVES_HEADER = """# Derivatives of every primitive

Generated from the op registry by `tinygrad-bn rules > docs/derivatives.md`; a test keeps it
true. `g` is the gradient arriving at the op's output, `out` its output; each `;` clause is the
gradient of one input. Broadcast inputs get `g` summed back to their shape by the engine.

"""


def build_parser():
    """The argparse tree: `tinygrad-bn <command> --help` documents each command."""
    parser = argparse.ArgumentParser(prog="tinygrad-bn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo = sub.add_parser("demo", help="the main demo", description=_demo.__doc__)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=_demo)
    rules = sub.add_parser("rules", help="print the derivatives table", description=_rules.__doc__)
    rules.set_defaults(run=_rules)
    return parser


def main(argv=None):
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
