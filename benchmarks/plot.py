"""Plot the ratios of a benchmark run against their targets: docs/img/performance.png.

python -m benchmarks --json run.json && python -m benchmarks.plot run.json docs/img/performance.png
"""
import json
import sys


def plot(rows, path, title):
    """One horizontal bar per targeted ratio (log scale), its target as a tick; green met, red missed."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [r for r in rows if r["target"] is not None and r["ratio"] is not None]
    labels = [f"{r['bench']}: {r['case']} {r['dtype']} / {r['ref_name']}" for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.28 * len(rows) + 1.2))
    ys = range(len(rows))
    ax.barh(ys, [r["ratio"] for r in rows], color=["tab:green" if r["met"] else "tab:red" for r in rows])
    ax.scatter([r["target"] for r in rows], ys, marker="|", s=200, color="black", label="target (<=)")
    ax.set_yticks(list(ys), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1, color="grey", lw=0.5)
    ax.set_xlabel("ratio (ours / reference), log scale: lower is better")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")      # long row labels stay whole


def main(argv=None):
    src, dst = argv or sys.argv[1:]
    with open(src) as f:
        run = json.load(f)
    plot(run["rows"], dst, run["machine"][0])


if __name__ == "__main__":
    main()
