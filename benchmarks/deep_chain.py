"""Forward + backward time of a chain of n adds, for n = 10k and 100k: is the engine linear in depth?

Nothing in the engine recurses and backward visits each record once, so 10x the ops should cost
about 10x the time (target: ratio <= 11). Run `python -m benchmarks.deep_chain` or the file itself.
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


def seconds(n, repeats):
    """Median wall time of chain(n) over `repeats` runs, garbage collected before each."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        chain(n)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(sizes=SIZES, repeats=3):
    """Print time and time per op for each size, and the ratio last/first; return {n: seconds}."""
    results = {n: seconds(n, repeats) for n in sizes}
    print(f"{'ops':>9} {'forward+backward':>17} {'per op':>10}   (median of {repeats})")
    for n, t in results.items():
        print(f"{n:>9} {t * 1e3:>14.1f} ms {t / n * 1e6:>7.2f} us")
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        ratio, target = results[last] / results[first], TARGET * last / first / 10
        print(f"ratio {last}/{first}: {ratio:.2f} (linear: {last / first:.0f}; target <= {target:g})")
    return results


if __name__ == "__main__":
    main()
