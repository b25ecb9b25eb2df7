"""Forward + backward time of a chain of n adds, for n = 10k and 100k: is the engine linear in depth?

Nothing in the engine recurses and backward visits each record once, so 10x the ops should cost
about 10x the time (target: ratio <= 11). Times are CPU seconds, so other busy processes on the
machine do not count, with Python's cyclic garbage collector on (what users get) and off (the
engine alone, as `timeit` measures: graphs hold no cycles, so nothing is left for it to free).
Run `python -m benchmarks.deep_chain` or the file itself.
"""
import gc
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):          # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_bn import Tensor  # noqa: E402

SIZES = (10_000, 100_000)
TARGET = 11.0                          # largest accepted time ratio for 10x the ops


def chain(n):
    """Build y = x + 1 + 1 + ... (n adds) on a scalar, backward through it, return x.grad."""
    x = Tensor(0.0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y + 1.0
    y.backward()
    return x.grad


def seconds(n, repeats, collector):
    """Median CPU seconds of chain(n) over `repeats` runs, the cyclic collector on or off."""
    times = []
    for _ in range(repeats):
        gc.collect()
        gc.enable() if collector else gc.disable()
        start = time.process_time()
        chain(n)
        times.append(time.process_time() - start)
        gc.enable()
    return statistics.median(times)


def main(sizes=SIZES, repeats=3):
    """Print time and time per op for each size, and the ratios last/first; return the times.

    Returns {"gc on": {n: seconds}, "gc off": {n: seconds}}.
    """
    results = {label: {n: seconds(n, repeats, on) for n in sizes}
               for label, on in (("gc on", True), ("gc off", False))}
    print(f"forward+backward of a chain of adds, CPU time, median of {repeats}")
    print(f"{'ops':>9} {'gc on':>11} {'per op':>10} {'gc off':>11} {'per op':>10}")
    for n in sizes:
        cells = "".join(f" {results[k][n] * 1e3:>8.1f} ms {results[k][n] / n * 1e6:>7.2f} us"
                        for k in results)
        print(f"{n:>9}{cells}")
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        ratios = ", ".join(f"{k} {t[last] / t[first]:.2f}" for k, t in results.items())
        print(f"ratio {last}/{first}: {ratios} (linear: {last / first:g}; "
              f"target <= {TARGET * last / first / 10:g})")
    return results


if __name__ == "__main__":
    main()
