"""The public API of DESIGN.md exists, name for name, and every public name has a docstring."""
import inspect

import numpy as np

import tinygrad_bn as tg
from tinygrad_bn import Tape, Tensor, functional as F, gradcheck, nn, no_grad, optim, viz

NN = ["Module", "Parameter", "Sequential", "Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d",
      "ReLU", "Sigmoid", "Tanh", "MaxPool2d", "Flatten", "Dropout"]
FUNCTIONAL = ["batch_norm", "softmax", "log_softmax", "cross_entropy", "mse_loss", "conv2d",
              "max_pool2d"]
TENSOR = ["backward", "sum", "mean", "max", "reshape", "transpose", "exp", "log", "sqrt",
          "reciprocal", "square", "relu", "tanh", "sigmoid", "item", "numpy", "detach"]


def public(obj):
    """(name, member) for the public callables and classes defined in tinygrad_bn."""
    for name in getattr(obj, "__all__", None) or dir(obj):
        member = getattr(obj, name)
        if name.startswith("_") or not (inspect.isfunction(member) or inspect.isclass(member)):
            continue
        if getattr(member, "__module__", "").startswith("tinygrad_bn"):
            yield name, member


def test_design_names_exist():
    for name in NN:
        assert hasattr(nn, name), f"nn.{name}"
    for name in FUNCTIONAL:
        assert hasattr(F, name), f"functional.{name}"
    for name in TENSOR:
        assert hasattr(Tensor, name), f"Tensor.{name}"
    assert callable(tg.set_default_dtype) and callable(viz.to_dot)
    assert {"SGD", "Adam"} <= set(dir(optim)) and callable(no_grad) and callable(gradcheck)
    assert Tape is tg.Tape


def test_every_public_name_has_a_docstring():
    missing = []
    for module in (tg, F, nn, optim, optim.lr_scheduler, viz, tg.data, nn.init, nn.utils):
        for name, member in public(module):
            if not (member.__doc__ or "").strip():
                missing.append(f"{module.__name__}.{name}")
            if inspect.isclass(member):
                for meth, fn in vars(member).items():      # an override may inherit the doc
                    if (inspect.isfunction(fn) and not meth.startswith("_")
                            and not (inspect.getdoc(getattr(member, meth)) or "").strip()):
                        missing.append(f"{module.__name__}.{name}.{meth}")
    assert not missing, f"no docstring: {sorted(set(missing))}"


def test_design_tour_runs():
    """The lines of DESIGN.md's API sketch, as written there."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.uniform(0.5, 2.0, (8, 4)), requires_grad=True, name="x")   # log, sqrt defined
    w = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    y = ((x * 2 + 1).relu() ** 2).mean()
    y.backward()
    assert x.grad.shape == (8, 4) and x.dtype == np.float64 and x.name == "x"
    for t in (x + 1, 1 - x, x * x, x / 2, -x, x ** 2, x @ w, x.T, x[0, 1:3],
              x.sum(axis=0, keepdims=True), x.mean(), x.max(axis=1), x.reshape(4, 8),
              x.transpose(1, 0), x.exp(), x.log(), x.sqrt(), x.reciprocal(), x.square(),
              x.relu(), x.tanh(), x.sigmoid()):
        assert isinstance(t, Tensor)
    gamma = Tensor(np.ones(4), requires_grad=True)
    beta = Tensor(np.zeros(4), requires_grad=True)
    with Tape() as tape:
        out = F.batch_norm(x, gamma, beta)
    assert [r.op for r in tape] == ["mean", "sub", "square", "mean", "add", "sqrt", "reciprocal",
                                    "mul", "mul", "add"]
    r = tape.records[0]
    assert isinstance(r.index, int) and isinstance(r.inputs, tuple) and r.output is not None
    assert isinstance(r.saved, dict) and isinstance(r.rule, str)
    assert len(tape) == 10 and tape.nbytes > 0
    loss = (out * out).sum()                     # made after the with block
    steps = list(tape.backward_steps(loss))
    assert steps[0].record.op == "sum" and steps[-1].grad_inputs[0].shape == (8, 4)
    assert isinstance(viz.to_dot(out, show_values=False, show_grads=False).source, str)


def test_api_doc_is_generated_from_the_docstrings():
    import importlib.util
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("make_api_doc", root / "scripts" / "make_api_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (root / "docs" / "api.md").read_text() == module.render(), \
        "docs/api.md is stale: run python scripts/make_api_doc.py"
