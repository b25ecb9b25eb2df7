"""Shared helpers of the benchmarks: a median-of-repeats timer taking turns, optional torch, one row format.

Every benchmark module returns rows from `main(quick)`; `python -m benchmarks` prints them as one table.
"""
import gc
import time

REPEATS = {False: 7, True: 1}          # repeats per measurement: full run, quick smoke run
MIN_SECONDS = {False: 0.05, True: 0.002}  # each repeat runs the function at least this long


def median_times(fns, quick=False):
    """{name: median seconds per call} for a dict of functions timed in turns (ABCABC...).

    Each function loops >= MIN_SECONDS per repeat, the loop count calibrated once, so an add on
    16 numbers is timed over many calls. Taking turns means a burst of load from other processes
    hits every contender alike, which keeps their ratios stable on a busy machine.
    """
    numbers = {name: _calibrate(fn, quick) for name, fn in fns.items()}
    times = {name: [] for name in fns}
    for _ in range(REPEATS[quick]):
        for name, fn in fns.items():
            times[name].append(_loop(fn, numbers[name]) / numbers[name])
    return {name: sorted(t)[len(t) // 2] for name, t in times.items()}


def _calibrate(fn, quick):
    """Calls per repeat so that one repeat lasts >= MIN_SECONDS (after a warm-up call)."""
    fn()                                           # warm-up: caches, lazy imports, allocators
    number = 1
    while not quick:
        elapsed = _loop(fn, number)
        if elapsed >= MIN_SECONDS[quick]:
            break
        number *= max(2, min(10, int(MIN_SECONDS[quick] / max(elapsed, 1e-9)) + 1))
    return number


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


def on_backend(name, fn):
    """fn run inside tg.kernels.using(name): the same step with the compiled kernels on ('numba')
    or with the NumPy reference ops alone ('numpy'), the kernels before restored after."""
    import tinygrad_bn as tg

    def run():
        with tg.kernels.using(name):
            return fn()
    return run


def check_close(what, ours, theirs, rtol, atol=0.0):
    """Raise unless every array of `ours` matches `theirs` (same order): a benchmark times only
    what it has first checked against the reference, so a speed-up can never change a result."""
    import numpy as np
    ours, theirs = list(ours), list(theirs)
    if len(ours) != len(theirs):
        raise AssertionError(f"{what}: {len(ours)} results against {len(theirs)} of the reference")
    for k, (a, b) in enumerate(zip(ours, theirs)):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
            worst = np.max(np.abs(a - b)) if a.shape == b.shape else "shapes differ"
            raise AssertionError(f"{what}: result {k} {a.shape} differs from the reference "
                                 f"{b.shape} (max abs diff {worst}); not timing a wrong result")


def row(bench, case, dtype, ours, ref, ref_name, target=None, unit="s", headline=None):
    """One table row: `ours` against `ref` as a ratio (None when either figure is missing).

    target: the largest ratio the issue accepts, or None for a figure without a target.
    headline: the row's name in the summary of headline workloads, or None.
    """
    ratio = ours / ref if ours is not None and ref else None
    met = None if ratio is None or target is None else ratio <= target
    return {"bench": bench, "case": case, "dtype": dtype, "ours": ours, "ref": ref,
            "ref_name": ref_name, "ratio": ratio, "target": target, "met": met, "unit": unit,
            "headline": headline}
