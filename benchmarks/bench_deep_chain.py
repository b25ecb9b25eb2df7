"""Deep chain as table rows: forward + backward of 10k and 100k adds (benchmarks/deep_chain.py).

Time per op must stay flat, so 10x the ops should cost about 10x the time (target <= 11).
CPU seconds, with Python's cyclic garbage collector on (what users get) and off (the engine alone).
"""
from benchmarks import deep_chain
from benchmarks.timing import row


def main(quick=False):
    """Rows per collector setting: CPU time per op at each size, and the largest/smallest ratio."""
    sizes, repeats = ((100, 1000), 1) if quick else (deep_chain.SIZES, 3)
    small, big = sizes
    rows = []
    for label, collector in (("gc on", True), ("gc off", False)):
        seconds = {n: deep_chain.seconds(n, repeats, collector) for n in sizes}
        rows += [row("deep chain", f"{n} adds fwd+bwd, per op, {label}", "float64", seconds[n] / n,
                     None, "") for n in sizes]
        rows.append(row("deep chain", f"{big} vs {small} adds fwd+bwd, {label}", "float64",
                        seconds[big], seconds[small], f"{small} adds",
                        deep_chain.TARGET * big / small / 10))
    return rows
