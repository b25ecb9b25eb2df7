"""Training steps (zero_grad, forward, cross-entropy, backward, SGD step) against the same model in torch.

MLP 64-256-256-10 with BN1d on a batch of 128; CNN (conv-BN-ReLU-pool) x2 + linear on 8x8 and
28x28 images. Torch starts from our weights, so both run the same arithmetic. Each step also
runs with the NumPy reference ops alone (tg.kernels.use("numpy")), beside the compiled kernels,
and through tg.jit (replayed after two recorded calls); the float32 steps with the default
composed BN are also timed under torch.compile in a full run (minutes to compile here).
"""
import numpy as np

import tinygrad_bn as tg
from tinygrad_bn import functional as F, nn, optim
from benchmarks.timing import check_close, load_torch, median_times, on_backend, row

LR, MOMENTUM = 0.01, 0.9


def layers(lib, kind, side, fused=True):
    """The benchmark model as a list of layers of `lib` (tinygrad_bn.nn or torch.nn); fused picks
    our BN primitive (True) or the composed ten-record graph (nn.BatchNorm's default)."""
    bn = {"fused": fused} if lib is nn else {}
    if kind == "mlp":
        return [lib.Linear(64, 256), lib.BatchNorm1d(256, **bn), lib.ReLU(),
                lib.Linear(256, 256), lib.BatchNorm1d(256, **bn), lib.ReLU(), lib.Linear(256, 10)]
    return [lib.Conv2d(1, 8, 3, padding=1), lib.BatchNorm2d(8, **bn), lib.ReLU(), lib.MaxPool2d(2),
            lib.Conv2d(8, 16, 3, padding=1), lib.BatchNorm2d(16, **bn), lib.ReLU(), lib.MaxPool2d(2),
            lib.Flatten(), lib.Linear(16 * (side // 4) ** 2, 10)]


CASES = {  # name: (model kind, input shape, fused BN)
    "MLP 64-256-256-10 BN1d, batch 128": ("mlp", (128, 64), True),
    "same MLP, composed BN (the default)": ("mlp", (128, 64), False),
    "CNN on (128,1,8,8)": ("cnn", (128, 1, 8, 8), True),
    "same CNN, composed BN (the default)": ("cnn", (128, 1, 8, 8), False),
    "CNN on (64,1,28,28)": ("cnn", (64, 1, 28, 28), True),
    "same CNN on 28x28, composed BN (the default)": ("cnn", (64, 1, 28, 28), False),
}
HEADLINES = {(128, 64): "MLP step", (128, 1, 8, 8): "CNN step", (64, 1, 28, 28): "CNN 28x28 step"}
TOLERANCE = {"float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12)}   # rtol, atol of the checks
QUICK_CASES = {"MLP quick": ("mlp", (8, 64), True), "MLP composed BN quick": ("mlp", (8, 64), False),
               "CNN quick": ("cnn", (4, 1, 8, 8), True)}


def ours(kind, x, y, fused=True, jit=False, state=None):
    """A step of our model, built in x's dtype (weights from `state` if given), through tg.jit if
    asked; returns (step, model) so torch can copy the weights."""
    previous = tg.get_default_dtype()
    tg.set_default_dtype(x.dtype)
    try:
        model = nn.Sequential(*layers(nn, kind, x.shape[-1], fused))
    finally:
        tg.set_default_dtype(previous)
    if state is not None:
        model.load_state_dict(state)
    params = model.parameters()
    opt = optim.SGD(params, lr=LR, momentum=MOMENTUM)
    x = tg.Tensor(x)

    def train(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss
    train = tg.jit(train) if jit else train

    def step():
        return [train(x, y).data] + [p.data for p in params]     # for the check
    return step, model


def torch_step(torch, kind, x, y, state, compile=False):
    """The same step in torch (its model through torch.compile if asked)."""
    model = torch.nn.Sequential(*layers(torch.nn, kind, x.shape[-1])).to(getattr(torch, x.dtype.name))
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    forward = torch.compile(model) if compile else model
    if compile:
        forward(x)        # compiles forward and backward; no step, so the weights stay as given

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(forward(x), y)
        loss.backward()
        opt.step()
        return [loss.detach().numpy()] + [p.detach().numpy() for p in params]
    return step


def main(quick=False):
    """Rows: our step time over torch's, eager (target <= 1.0) and through tg.jit
    (<= 0.7); torch.compile's beside tg.jit where it runs.

    Data and weights are seeded, so every run checks and times the same numbers (an unseeded
    float32 batch of 8 through BN was, rarely, ill-conditioned enough to miss the torch check).
    """
    torch, rows, rng = load_torch(), [], np.random.default_rng(0)
    tg.manual_seed(0)
    for case, (kind, shape, fused) in (QUICK_CASES if quick else CASES).items():
        for dtype in (np.float32, np.float64):
            x = rng.standard_normal(shape).astype(dtype)
            y = rng.integers(0, 10, shape[0])
            step, model = ours(kind, x, y, fused)
            state = {k: np.array(v) for k, v in model.state_dict().items()}
            fns = {"ours": step,
                   "reference": on_backend("numpy", ours(kind, x, y, fused, state=state)[0]),
                   "jit": ours(kind, x, y, fused, jit=True, state=state)[0]}
            compiled = (torch and not quick and dtype == np.float32 and not fused
                        and shape != (64, 1, 28, 28))        # compiling takes minutes here
            if torch:
                fns["torch"] = torch_step(torch, kind, x, y, state)
                if compiled:
                    fns["torch.compile"] = compile_step(torch, kind, x, y, state)
                    compiled = fns["torch.compile"] is not None
                    if not compiled:
                        del fns["torch.compile"]
                checked = ["ours", "reference", "jit"] + (["torch.compile"] if compiled else [])
                for _ in range(3):           # the third: tg.jit's first replay, from updated weights
                    results = {name: fn() for name, fn in fns.items()}
                    for name in checked:
                        check_close(f"{case} {x.dtype.name}: {name}'s loss and parameters after "
                                    "a step", results[name], results["torch"],
                                    *TOLERANCE[x.dtype.name])
            t = median_times(fns, quick)
            headline = HEADLINES.get(shape) if x.dtype == np.float32 and not fused else None
            rows.append(row("train step", case, x.dtype.name, t["ours"], t.get("torch"), "torch",
                            1.0,
                            headline=headline))
            rows.append(row("train step", f"{case}, NumPy reference", x.dtype.name,
                            t["reference"], t.get("torch"), "torch"))
            rows.append(row("train step", f"{case}, tg.jit", x.dtype.name, t["jit"], t.get("torch"),
                            "torch", 0.7, headline=headline and f"{headline}, tg.jit"))
            if compiled:
                rows.append(row("train step", f"{case}, tg.jit", x.dtype.name, t["jit"],
                                t.get("torch.compile"), "torch.compile"))
    return rows


def compile_step(torch, kind, x, y, state):
    """torch_step through torch.compile, or None (with the reason printed) where it cannot run:
    it needs a working C compiler, and its first call compiles for a minute or more here."""
    import time
    start = time.perf_counter()
    try:
        step = torch_step(torch, kind, x, y, state, compile=True)
    except Exception as exc:            # inductor's errors have no common base class
        print(f"torch.compile did not run for the {kind}: {type(exc).__name__}: {exc}"[:300])
        return None
    print(f"torch.compile: the {kind} step compiled in {time.perf_counter() - start:.0f} s")
    return step
