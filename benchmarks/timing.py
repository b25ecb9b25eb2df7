"""Shared helpers of the benchmarks: a median-of-repeats timer, optional torch, one row format.

Every benchmark module returns rows from `main(quick)`; `python -m benchmarks` prints them as one table.
"""
import gc
import time

REPEATS = {False: 5, True: 1}          # repeats per measurement: full run, quick smoke run
MIN_SECONDS = {False: 0.05, True: 0.002}  # each repeat runs the function at least this long


def median_time(fn, quick=False):
    """Median seconds per call of fn() over REPEATS repeats, each looping fn for >= MIN_SECONDS.

    The loop count is calibrated once so that fast functions (an add on 16 numbers) are timed
    over many calls, not one; gc runs before each repeat so garbage from a previous one is not billed.
    """
    if not quick:
        fn()                                       # warm-up: caches, lazy imports, allocators
    number, elapsed = 1, 0.0
    while True:
        elapsed = _loop(fn, number)
        if elapsed >= MIN_SECONDS[quick] or quick:
            break
        number *= max(2, min(10, int(MIN_SECONDS[quick] / max(elapsed, 1e-9)) + 1))
    times = [elapsed / number] + [_loop(fn, number) / number for _ in range(REPEATS[quick] - 1)]
    return sorted(times)[len(times) // 2]


def _loop(fn, number):
    gc.collect()
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def load_torch():
    """torch, or None when it is not installed (its columns then read n/a)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def row(bench, case, dtype, ours, ref, ref_name, target=None, unit="s"):
    """One table row: `ours` against `ref` (None when the reference is missing) as a ratio.

    target: the largest ratio the issue accepts, or None for a figure without a target.
    """
    ratio = ours / ref if ref else None
    met = None if ratio is None or target is None else ratio <= target
    return {"bench": bench, "case": case, "dtype": dtype, "ours": ours, "ref": ref,
            "ref_name": ref_name, "ratio": ratio, "target": target, "met": met, "unit": unit}
