"""The compiled kernels' first-use cost: numba compiles each loop on its first call (cache=True
keeps the machine code on disk, so a later process only loads it), and `import tinygrad_bn`.

Each figure comes from a fresh process running what the demo and the benchmarks touch once: the
fused batch_norm forward + backward on (N, D) and (N, C, H, W), max_pool2d, and conv2d on a C-ordered and a batch-last input (a CNN's first and later layers),
in float32 and float64. First use = the first run minus a second one. A cold cache is a new
NUMBA_CACHE_DIR.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchmarks.timing import row


def touch_once():
    """Run every kernel once per dtype; returns seconds taken."""
    import tinygrad_bn as tg
    from tinygrad_bn import functional as F
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for shape in ((16, 4), (8, 3, 4, 4)):
            x, c = tg.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True), shape[1]
            gamma = tg.Tensor(np.ones(c, dtype), requires_grad=True)
            F.batch_norm(x, gamma, tg.Tensor(np.zeros(c, dtype)), fused=True).sum().backward()
        x = tg.Tensor(rng.standard_normal((2, 3, 4, 8)).astype(dtype).transpose(3, 0, 1, 2),
                      requires_grad=True)              # batch-last, as conv2d's output
        F.max_pool2d(x, 2).sum().backward()
        w = tg.Tensor(rng.standard_normal((3, 2, 3, 3)).astype(dtype), requires_grad=True)
        for data in (x.data, np.ascontiguousarray(x.data)):
            F.conv2d(tg.Tensor(data, requires_grad=True), w, padding=1).sum().backward()
    return time.perf_counter() - start


def first_use():
    """In this (fresh) process: print import seconds and first-use seconds as JSON."""
    start = time.perf_counter()
    import tinygrad_bn as tg
    imported = time.perf_counter() - start
    first, second = touch_once(), touch_once()
    print(json.dumps({"import": imported, "first_use": first - second,
                      "active": tg.kernels.active()}))


def demo_compile():
    """In this (fresh) process: run the demo (one epoch, into a temporary folder) and print as
    JSON the seconds numba spent compiling (its "numba:compile" events, outermost only)."""
    import contextlib
    import io
    from numba.core import event
    spent, depth = [0.0], [0]

    class Compiles(event.Listener):
        def on_start(self, _):
            depth[0] += 1
            if depth[0] == 1:
                self.started = time.perf_counter()

        def on_end(self, _):
            depth[0] -= 1
            if depth[0] == 0:
                spent[0] += time.perf_counter() - self.started
    event.register("numba:compile", Compiles())
    from tinygrad_bn.demo import main as demo
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
        demo(out_dir=out, epochs=1)
    print(json.dumps({"compile": spent[0]}))


def measure(env, what="first_use"):
    """first_use() (or demo_compile()) in a fresh process with `env` added -> its figures."""
    code = f"from benchmarks.bench_kernels import {what}; {what}()"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env={**os.environ, **env},
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def main(quick=False):
    """Rows: numba's compile time for what the demo touches, cold cache (the 5 s budget; not in a
    quick run, it runs the demo), first use of every kernel with a cold and a warm cache, and the
    import time with kernels on against TINYGRAD_BN_KERNELS=numpy."""
    import tinygrad_bn as tg
    rows = []
    reference = measure({"TINYGRAD_BN_KERNELS": "numpy"})
    if "numba" not in tg.kernels.available():
        return [row("kernels", "first use (numba not installed)", "both", None, None, "")]
    if not quick:
        with tempfile.TemporaryDirectory() as cache:
            figures = measure({"NUMBA_CACHE_DIR": cache}, "demo_compile")
        rows.append(row("kernels", "compiling what the demo touches, cold cache", "both",
                        figures["compile"], 5.0, "5 s budget", 1.0))
    with tempfile.TemporaryDirectory() as cache:
        caches = [("warm cache", {})] if quick else [("cold cache", {"NUMBA_CACHE_DIR": cache}),
                                                     ("warm cache", {"NUMBA_CACHE_DIR": cache})]
        for label, env in caches:
            figures = measure(env)
            rows.append(row("kernels", f"first use of every kernel, {label}", "both",
                            figures["first_use"], 5.0, "5 s budget"))
    rows.append(row("kernels", "import tinygrad_bn, kernels on", "", figures["import"],
                    reference["import"], "kernels off"))
    return rows
