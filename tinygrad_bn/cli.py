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


def build_parser():
    """The argparse tree: `tinygrad-bn <command> --help` documents each command."""
    parser = argparse.ArgumentParser(prog="tinygrad-bn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo = sub.add_parser("demo", help="the main demo", description=_demo.__doc__)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None):
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
