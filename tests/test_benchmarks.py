"""Smoke run of every benchmark on tiny sizes: each runs, returns rows and prints its table.

Nothing here asserts a time (speed is measured by `python -m benchmarks`, never tested).
"""
import math

import pytest

from benchmarks import (__main__ as bench_cli, bench_bn, bench_deep_chain, bench_kernels,
                        bench_memory, bench_overhead, bench_training)

MODULES = [bench_overhead, bench_bn, bench_training, bench_memory, bench_deep_chain, bench_kernels]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.split(".")[-1])
def test_quick_run_gives_rows_with_ratios(module):
    rows = module.main(quick=True)
    print(bench_cli.table(rows))
    assert rows
    for r in rows:
        assert r["ours"] is None or (r["ours"] > 0 and math.isfinite(r["ours"])), r
        assert r["ratio"] is None or (r["ratio"] > 0 and math.isfinite(r["ratio"])), r


@pytest.mark.parametrize("ours, ref, target, ratio, met", [
    (2e-5, 4e-5, 0.5, 0.5, True), (3e-5, 4e-5, 0.5, 0.75, False), (8.0, 2.0, None, 4.0, None),
    (2e-5, None, 0.5, None, None), (None, 4e-5, 0.5, None, None)])
def test_row_ratio_and_target_on_literal_figures(ours, ref, target, ratio, met):
    from benchmarks.timing import row
    r = row("bench", "case", "float64", ours, ref, "torch", target)
    assert (r["ratio"] is None) == (ratio is None) and r["met"] == met
    assert ratio is None or math.isclose(r["ratio"], ratio)


def test_table_has_one_line_per_row_and_says_na_without_a_reference():
    from benchmarks.timing import row
    rows = [row("op overhead", "add", "float64", 2e-5, 4e-5, "torch", 0.5),
            row("op overhead", "add", "float32", 2e-5, None, "torch", 0.5)]
    lines = bench_cli.table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert "0.50" in lines[2] and "yes" in lines[2]
    assert "n/a" in lines[3] and "yes" not in lines[3]


def test_cli_has_a_bench_command():
    from tinygrad_bn.cli import build_parser
    args = build_parser().parse_args(["bench", "--quick", "--threads", "1"])
    assert args.quick and args.threads == 1


def test_headlines_list_only_the_rows_marked_as_headlines():
    from benchmarks.timing import row
    rows = [row("op overhead", "chain", "float32", 5e-6, 1e-5, "torch", 0.5, headline="per-op fwd+bwd"),
            row("op overhead", "chain", "float64", 5e-6, 1e-5, "torch", 0.5)]
    lines = bench_cli.headlines(rows).splitlines()
    assert len(lines) == 2 and lines[1].startswith("per-op fwd+bwd") and "0.50" in lines[1]


def test_a_benchmark_refuses_to_time_a_result_that_differs_from_the_reference():
    import numpy as np
    from benchmarks.timing import check_close
    check_close("same", [np.ones(3)], [np.ones(3) + 1e-9], rtol=1e-6)
    with pytest.raises(AssertionError, match="differs from the reference"):
        check_close("off", [np.ones(3)], [np.ones(3) * 1.01], rtol=1e-6)
    with pytest.raises(AssertionError, match="differs from the reference"):
        check_close("shape", [np.ones(3)], [np.ones((3, 1))], rtol=1e-6)


def test_the_performance_page_keeps_a_full_run_and_what_the_issue_asked_it_to_explain():
    """docs/performance.md holds a full run (machine, load, every headline workload) and the
    sections a reader comes for: the reference/fast layers, tg.jit's straight-line program,
    BLAS threads, memory and the targets with what limits each."""
    from pathlib import Path
    page = (Path(__file__).resolve().parents[1] / "docs" / "performance.md").read_text()
    for heading in ("## The two layers", "## tg.jit: the tape as a straight-line program",
                    "## BLAS threads", "## Memory", "## Latest run", "## Targets"):
        assert heading in page, heading
    assert "Wengert list" in page.split("## tg.jit")[1].split("\n## ")[0]
    run = page.split("## Latest run")[1].split("## Targets")[0]
    assert "full run" in run and "machine:" in run and "load average" in run
    for workload in ("per-op fwd+bwd", "BN-1d fused", "BN-1d composed / fused", "MLP step",
                     "CNN step", "CNN 28x28 step", "kernels     | compiling what the demo touches"):
        assert workload in run, workload
