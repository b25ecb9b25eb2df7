"""Run every experiment at full size, plot each, and print the figures.

    python examples/experiments/run_all.py            # into a new out/experiments/run-NNN folder
    python examples/experiments/run_all.py --scale 0.2  # a quicker, smaller run
    python examples/experiments/run_all.py --out-dir docs/img/experiments   # the docs' plots
"""
import argparse
import importlib
import time
from pathlib import Path

from _common import DOCS_IMG, show

EXPERIMENTS = ("exp1_bn_vs_no_bn", "exp2_lr_sweep", "exp3_bad_init", "exp4_deep_sigmoid",
               "exp5_bn_relu_order", "exp6_conv_bias", "exp7_running_stats", "exp8_folding")


def main(scale=1.0, out_dir=None):
    """Run each experiment's main(scale, out_dir); returns {name: results}. out_dir=None: a new
    folder from fresh_folder()."""
    out_dir = out_dir or fresh_folder()
    print(f"plots go to {out_dir}")
    results = {}
    for name in EXPERIMENTS:
        start = time.perf_counter()
        results[name] = importlib.import_module(name).main(scale=scale, out_dir=out_dir)
        print(f"== {name} ({time.perf_counter() - start:.0f} s)")
        show(results[name], "  ")
    return results


def fresh_folder(base="out/experiments"):
    """A folder under `base` that does not exist yet (run-001, run-002, ...): a run by default
    never overwrites an earlier one, nor the plots the docs show."""
    taken = {p.name for p in Path(base).glob("run-*")}
    name = next(f"run-{k:03d}" for k in range(1, len(taken) + 2) if f"run-{k:03d}" not in taken)
    return str(Path(base) / name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out-dir", help="where the plots go (default: a new out/experiments/run-NNN; "
                                          f"the docs' plots are in {DOCS_IMG})")
    args = parser.parse_args()
    main(args.scale, args.out_dir)
