"""Regenerate every experiment's full-size plot into docs/img/experiments/ and print the figures.

    python examples/experiments/run_all.py            # the documented run (a few minutes)
    python examples/experiments/run_all.py --scale 0.2  # a quicker, smaller run
"""
import argparse
import importlib
import time

from _common import DOCS_IMG, show

EXPERIMENTS = ("exp1_bn_vs_no_bn", "exp2_lr_sweep", "exp3_bad_init", "exp4_deep_sigmoid",
               "exp5_bn_relu_order", "exp6_conv_bias", "exp7_running_stats", "exp8_folding")


def main(scale=1.0, out_dir=DOCS_IMG):
    """Run each experiment's main(scale, out_dir); returns {name: results}."""
    results = {}
    for name in EXPERIMENTS:
        start = time.perf_counter()
        results[name] = importlib.import_module(name).main(scale=scale, out_dir=out_dir)
        print(f"== {name} ({time.perf_counter() - start:.0f} s)")
        show(results[name], "  ")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out-dir", default=DOCS_IMG)
    args = parser.parse_args()
    main(args.scale, args.out_dir)
