"""`python -m benchmarks [--quick] [--threads N] [--json FILE]`: the headline workloads
first (per-op, fused BN, composed/fused BN, MLP step, CNN step), then every ratio in one table.

Thread counts are set before NumPy and torch load, so BLAS, OpenMP and torch use the same number.
"""
import argparse
import os

SOURCES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def parse(argv=None):
    """The command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one pass: a smoke run")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for NumPy's BLAS, OpenMP and torch (default: all cores)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON (for plot.py)")
    return parser.parse_args(argv)


def set_threads(n):
    """Same thread count everywhere; env vars only bind libraries not yet loaded, so set them first."""
    for name in SOURCES:
        os.environ[name] = str(n)
    torch = _torch()
    if torch is not None:
        torch.set_num_threads(n)


def _torch():
    """torch or None; imported late, after the thread variables are set."""
    from benchmarks.timing import load_torch
    return load_torch()


def machine():
    """Lines naming the machine, the library versions and the thread settings in effect."""
    import platform
    import numpy as np
    from tinygrad_bn.fast import allocator
    torch = _torch()
    cpu = platform.processor() or platform.machine()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    threads = " ".join(f"{k}={os.environ.get(k, 'unset')}" for k in SOURCES)
    return [f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
            f"load average {load}",
            f"python {platform.python_version()}, numpy {np.__version__}, "
            f"torch {torch.__version__ if torch else 'n/a (not installed)'}",
            f"threads: {threads} BLAS={_blas_threads()} "
            f"torch={torch.get_num_threads() if torch else 'n/a'}",
            f"malloc: {'tinygrad_bn policy' if allocator.applied else 'default'} "
            "(tinygrad_bn/fast/allocator.py; TINYGRAD_BN_MALLOC=default turns it off)"]


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "n/a (threadpoolctl not installed)"
    return ",".join(f"{p['internal_api']}:{p['num_threads']}" for p in threadpool_info()) or "none"


def _fmt(value, unit):
    """A time in s/ms/us/ns or a size in MB/KB, three significant digits; n/a for None."""
    if value is None:
        return "n/a"
    if unit == "B":
        return f"{value / 2**20:.1f} MB" if value >= 2**20 else f"{value / 2**10:.1f} KB"
    for scale, name in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if value >= scale:
            return f"{value / scale:.3g} {name}"
    return f"{value * 1e9:.3g} ns"


def table(rows):
    """Rows as one aligned text table: figure, reference, ratio, target and whether it is met."""
    head = ("benchmark", "case", "dtype", "ours", "against", "reference", "ratio", "target", "met")
    lines = [head] + [(r["bench"], r["case"], r["dtype"], _fmt(r["ours"], r["unit"]), r["ref_name"],
                       _fmt(r["ref"], r["unit"]), "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}",
                       "" if r["target"] is None else f"<= {r['target']:g}",
                       {True: "yes", False: "NO", None: ""}[r["met"]]) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = [" | ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def headlines(rows):
    """The headline workloads as `workload | ratio | target | met` lines, in table order."""
    picked = [r for r in rows if r.get("headline")]
    lines = [("workload", "ours", "against", "reference", "ratio", "target", "met")] + [
        (r["headline"], _fmt(r["ours"], r["unit"]), r["ref_name"], _fmt(r["ref"], r["unit"]),
         "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}", f"<= {r['target']:g}",
         {True: "yes", False: "NO", None: ""}[r["met"]]) for r in picked]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(" | ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)


def main(argv=None):
    """Run every benchmark module, print the header and the table; returns the rows."""
    args = parse(argv)
    set_threads(args.threads)
    from tinygrad_bn.fast import allocator
    allocator.apply_policy()              # process-wide, so asked for here, never at import
    import time
    from benchmarks import (bench_bn, bench_deep_chain, bench_kernels, bench_memory, bench_overhead,
                            bench_training)
    start, rows = time.perf_counter(), []
    for module in (bench_overhead, bench_bn, bench_training, bench_memory, bench_deep_chain,
                   bench_kernels):
        rows += module.main(quick=args.quick)
    print(f"tinygrad_bn benchmarks, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{'quick' if args.quick else 'full'} run; times are medians of repeats")
    print("\n".join(machine()) + "\n")
    print(headlines(rows) + "\n")
    print(table(rows))
    print(f"\n{sum(r['met'] is True for r in rows)} of {sum(r['met'] is not None for r in rows)} "
          f"targets met; ran in {time.perf_counter() - start:.0f} s")
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "rows": rows}, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
