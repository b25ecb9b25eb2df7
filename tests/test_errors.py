"""The error catalogue: every mistake in docs/errors.md is made here and its message checked.

Each entry is a trigger (a function that makes the mistake) plus the words its message must hold:
the op, the shapes and the fix. `python tests/test_errors.py` writes docs/errors.md from the
entries, and test_doc_quotes_the_real_messages keeps every quoted message equal to the real one.
"""
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.gradcheck import GradcheckError
from tinygrad_bn.engine.ops import Op
from tinygrad_bn.engine import apply

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "errors.md"


@dataclass
class Mistake:
    key: str          # the trigger's name; the test id is test_mistake[key]
    title: str        # the mistake, as a learner would make it
    fix: str
    kind: type        # exception or warning class raised
    needs: tuple      # words the message must contain: op, shapes, fix
    trigger: object


CATALOGUE = []


def mistake(title, fix, kind, *needs):
    """Register the decorated trigger as a catalogue entry."""
    def register(trigger):
        CATALOGUE.append(Mistake(trigger.__name__, title, fix, kind, needs, trigger))
        return trigger
    return register


def message_of(m):
    """Run the trigger; return the message it raises (warnings as errors), with paths made
    relative and record numbers written rN (they count every record made before)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # NumPy's own 'invalid value' noise
        if issubclass(m.kind, Warning):
            warnings.simplefilter("error", m.kind)
        with pytest.raises(m.kind) as info:
            m.trigger()
    return re.sub(r"\br\d+\b", "rN", str(info.value).replace(str(ROOT) + "/", ""))


def x32():
    return Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True, name="x")


# --- backward ----------------------------------------------------------------------------------
@mistake("Calling backward() on a non-scalar output without a gradient",
         "Reduce to a scalar first (`y.sum().backward()`) or pass a gradient of y's shape.",
         RuntimeError, "backward", "(3, 2)", "y.sum()")
def nonscalar_backward():
    (x32() * 2).backward()


@mistake("Passing a gradient of the wrong shape to backward(grad)",
         "Pass an array with exactly the output's shape.",
         ValueError, "backward", "(2, 3)", "(3, 2)", "pass one of the output's shape")
def wrong_grad_shape():
    (x32() * 2).backward(np.ones((2, 3)))


@mistake("Calling backward() twice through the same graph",
         "Pass `retain_graph=True` to the first backward, or run the forward again.",
         RuntimeError, "backward", "released", "(3, 2)", "retain_graph=True")
def second_backward():
    loss = (x32() * 2).sum()
    loss.backward()
    loss.backward()


@mistake("Calling backward() on a result that does not require grad",
         "Create the inputs you want gradients for with `requires_grad=True`; do not run the "
         "forward inside `no_grad()`.",
         RuntimeError, "backward", "()", "requires_grad=True")
def backward_without_grad():
    with tg.no_grad():
        loss = (x32() * 2).sum()
    loss.backward()


# --- shapes --------------------------------------------------------------------------------------
@mistake("Adding shapes that do not broadcast",
         "Reshape one side so that, from the right, each dimension matches or is 1.",
         ValueError, "add", "(3, 2)", "(3,)", "reshape")
def no_broadcast():
    x32() + Tensor(np.ones(3))


@mistake("Multiplying matrices whose inner dimensions differ",
         "Transpose the weight (`x @ w.T`) or build it with shape (in, out).",
         ValueError, "matmul", "(8, 4)", "(3, 4)", "w.T")
def matmul_inner_dims():
    Tensor(np.ones((8, 4)), requires_grad=True) @ Tensor(np.ones((3, 4)))


@mistake("Multiplying by a 0-d tensor with @",
         "Use `*` to scale by a scalar.",
         ValueError, "matmul", "()", "(3, 2)", "use *")
def matmul_scalar():
    Tensor(2.0) @ x32()


@mistake("Reducing over an axis the input does not have",
         "Use an axis within -ndim..ndim-1, or `axis=None` for all.",
         ValueError, "sum", "axis 2", "2 dims", "axis=None")
def axis_out_of_range():
    x32().sum(axis=2)


@mistake("Naming the same axis twice in a reduction",
         "List each axis once.",
         ValueError, "mean", "(0, 0)", "2 dims", "list each axis once")
def axis_twice():
    x32().mean(axis=(0, 0))


@mistake("Taking the mean over an empty axis (an empty batch)",
         "Check the batch is not empty before the forward.",
         ValueError, "mean", "(0, 3)", "check the batch")
def mean_of_empty():
    Tensor(np.ones((0, 3)), requires_grad=True).mean(axis=0)


@mistake("An unbiased variance (ddof=1) of a single value",
         "Use ddof=0 (BN's biased variance) or reduce over more values.",
         ValueError, "var", "(1, 2)", "ddof=1", "use ddof=0")
def var_without_dof():
    Tensor(np.ones((1, 2)), requires_grad=True).var(axis=0, ddof=1)


@mistake("Reshaping to a shape with a different number of values",
         "Keep the product of the sizes, or let one -1 stand for the rest.",
         ValueError, "reshape", "(3, 2)", "(4, 2)", "-1")
def reshape_size():
    x32().reshape(4, 2)


@mistake("Reshaping to a size that is not a whole number",
         "Pass integers, e.g. int(n / 2).",
         TypeError, "reshape", "2.5", "(3, 2)", "int(n)")
def reshape_float():
    x32().reshape(2.5, -1)


@mistake("Transposing with axes that are not a permutation",
         "Give each axis exactly once.",
         ValueError, "transpose", "(0, 0)", "(3, 2)", "give each axis once")
def transpose_axes():
    x32().transpose((0, 0))


@mistake("Swapping a dim the tensor does not have, as transpose(3, 0) on 2-D",
         "Two dims swap them (PyTorch's transpose); give dims in -ndim..ndim-1.",
         ValueError, "transpose", "(3, 0)", "(3, 2)", "2 dims", "-2..1")
def transpose_swap_range():
    x32().transpose(3, 0)


@mistake("Flattening from a dim the tensor does not have, as flatten(5) on 2-D",
         "Use start_dim and end_dim in -ndim..ndim-1.",
         ValueError, "flatten", "start_dim=5", "(3, 2)", "-2..1")
def flatten_range():
    x32().flatten(5)


@mistake("Indexing past the end of an axis",
         "Keep indices in -n..n-1 for an axis of size n.",
         IndexError, "getitem", "(3, 2)", "index 5", "-n..n-1")
def index_out_of_range():
    x32()[5]


@mistake("Concatenating tensors whose other axes differ",
         "Make every shape equal except along the joining axis.",
         ValueError, "concatenate", "(2, 3)", "(2, 4)", "axis 0", "reshape or slice")
def concatenate_shapes():
    tg.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))])


@mistake("Stacking tensors of different shapes",
         "Stack only equal shapes.",
         ValueError, "stack", "(2,)", "(3,)", "reshape or slice")
def stack_shapes():
    tg.stack([Tensor(np.ones(2)), Tensor(np.ones(3))])


@mistake("broadcast_to a shape the input cannot grow to",
         "Reshape first so that each dimension matches or is 1.",
         ValueError, "broadcast_to", "(3,)", "(4,)", "reshape first")
def broadcast_to_shape():
    Tensor(np.ones(3)).broadcast_to((4,))


@mistake("Padding by a fraction",
         "Pad widths count values: give ints, one (before, after) pair per axis.",
         ValueError, "pad", "(3,)", "1.7", "must be ints")
def pad_fraction():
    Tensor(np.ones(3)).pad(1.7)


@mistake("Reflect-padding by as much as the axis is long",
         "Reflect pads must be smaller than the axis; pad less or use mode='constant'.",
         ValueError, "pad", "(2, 3)", "axis 1 (size 3)", "reflect pads < size")
def pad_reflect_too_wide():
    tg.functional.pad(Tensor(np.ones((2, 3))), (3, 0), "reflect")


@mistake("Channels of a conv input that do not match its weight",
         "The weight is (Cout, Cin/groups, kh, kw): match in_channels and groups to the input.",
         ValueError, "conv2d", "(8, 3, 28, 28)", "(16, 1, 3, 3)", "check in_channels")
def conv_channels():
    tg.functional.conv2d(Tensor(np.ones((8, 3, 28, 28))), Tensor(np.ones((16, 1, 3, 3))))


@mistake("Calling .item() on a tensor with more than one value",
         "Index first (`x[0, 0].item()`) or reduce (`x.sum().item()`).",
         ValueError, "item", "(3, 2)", "x.sum().item()")
def item_of_many():
    x32().item()


# --- dtypes ----------------------------------------------------------------------------------------
@mistake("requires_grad=True on an integer tensor (a list of ints is one)",
         "Lists keep their kind, as in PyTorch: `[[0, 1, 2], [3, 4, 5]]` is int64. Write floats "
         "(`[1.0, 2.0]`) or pass `dtype=np.float64`.",
         TypeError, "Tensor", "int64", "(2, 3)", "[1.0, 2.0]", "dtype=np.float64")
def requires_grad_on_int():
    Tensor([[0, 1, 2], [3, 4, 5]], requires_grad=True)


@mistake("Passing an object (or string) array as tensor data",
         "Convert to numbers first: `np.asarray(data, dtype=np.float64)`.",
         TypeError, "Tensor", "object", "(2,)", "np.asarray")
def object_array():
    Tensor(np.array([1.0, "a"], dtype=object))


@mistake("Setting an integer default dtype",
         "Default dtypes are float: use np.float32 or np.float64.",
         TypeError, "set_default_dtype", "int64", "np.float32")
def int_default_dtype():
    tg.set_default_dtype(np.int64)


@mistake("Mixing float32 and float64 tensors (a warning)",
         "Cast one input so both have the same dtype: `x.astype(np.float32)` (recorded, so "
         "the gradient comes back in x's dtype) or `x.float()`.",
         UserWarning, "mul", "float32", "(3,)", "float64", "cast one input")
def mixed_floats():
    Tensor(np.ones(3, dtype=np.float32), requires_grad=True) * Tensor(np.ones(3))


@mistake("An integer tensor to a negative integer power",
         "Use a float exponent (`x ** -1.0`) or a float base: the result is not an integer.",
         ValueError, "pow", "(3,)", "()", "x ** -1.0")
def int_negative_power():
    Tensor([1, 2, 3]) ** -1


@mistake("Writing in place into an array saved for backward",
         "NumPy's own message (it cannot name the op): saved arrays are read-only until backward "
         "releases them. Run backward first, or write into a copy (`x.data = x.data.copy()`).",
         ValueError, "read-only")
def inplace_write_to_saved():
    x = x32()
    y = (x * x).sum()
    assert y.requires_grad
    x.data[0, 0] = 5.0


@mistake("Writing through a view the engine made (x.reshape(...).data, x.T.data, x[0].data)",
         "NumPy's own message: views the engine makes are read-only for good, because NumPy "
         "cannot make a view follow its base's lock. Write through the base (`x.data[...] = ...`) "
         "when no record saves it.",
         ValueError, "read-only")
def inplace_write_through_a_view():
    x = x32()
    row = x[0]
    y = (x * x).sum()
    assert y.requires_grad
    row.data[0] = 5.0


@mistake("Changing a saved array through a NumPy alias made before Tensor(a), found by "
         "detect_anomaly()",
         "The engine cannot lock an alias it never saw (`b = a[:]` before `x = Tensor(a)`). "
         "Under `detect_anomaly()` backward checks each saved array's checksum and names the op. "
         "Write into a copy, or redo the forward after the write.",
         RuntimeError, "mul", "(3, 2)", "changed in place", "copy")
def inplace_write_through_an_alias():
    a = np.arange(6.0).reshape(3, 2)
    alias = a[:]
    x = Tensor(a, requires_grad=True)
    with tg.detect_anomaly():
        y = (x * x).sum()
        alias[0, 0] = 5.0
        y.backward()


# --- anomaly mode ----------------------------------------------------------------------------------
@mistake("NaN produced in forward (0 / 0), found by detect_anomaly()",
         "Add eps to the divisor; anomaly mode points at the line that made the NaN.",
         FloatingPointError, "div", "forward", "(3, 2)", "created at tests/test_errors.py",
         "in anomaly_nan_forward: (x - x) / (x - x)", "add eps")
def anomaly_nan_forward():
    x = x32()
    with tg.detect_anomaly():
        (x - x) / (x - x)


@mistake("inf produced in backward (sqrt at 0), found by detect_anomaly()",
         "Add eps inside the sqrt, as BN does with var + eps.",
         FloatingPointError, "sqrt", "backward", "gradient for input 0", "(3, 2)",
         "created at tests/test_errors.py", "(x * 0).sqrt().sum().backward()", "add eps inside")
def anomaly_inf_backward():
    x = x32()
    with tg.detect_anomaly():
        (x * 0).sqrt().sum().backward()


@mistake("log of a negative number, found by detect_anomaly()",
         "Clip the input to be positive, e.g. `x.clip(min=1e-12)`.",
         FloatingPointError, "log", "forward", "(2,)", "created at tests/test_errors.py",
         "x.clip(min=1e-12)")
def anomaly_log_negative():
    x = Tensor([1.0, -1.0], requires_grad=True)
    with tg.detect_anomaly():
        x.log()


@mistake("sqrt of a negative number, found by detect_anomaly() (even outside a graph)",
         "Add eps or clip: variances are >= 0 only if computed as a mean of squares.",
         FloatingPointError, "sqrt", "not recorded", "(2,)", "created at tests/test_errors.py",
         "add eps inside")
def anomaly_sqrt_negative():
    with tg.detect_anomaly():
        Tensor([4.0, -1.0]).sqrt()


# --- tools -----------------------------------------------------------------------------------------
@mistake("gradcheck with no input that requires grad",
         "Create the tensors to check with `requires_grad=True`.",
         ValueError, "gradcheck", "requires_grad=True")
def gradcheck_nothing():
    tg.gradcheck(lambda a: a * 2, Tensor(np.ones(3)))


@mistake("Leaving the graph through .data inside a checked function",
         "Stay in Tensor ops; `.data` and NumPy calls are constants to backward.",
         GradcheckError, "gradcheck", "analytic", "numeric",
         "(0, 0)", ".data or NumPy")
def gradcheck_detached():
    tg.gradcheck(lambda a: Tensor(a.data * 2) + a, x32())


class _BadSum(Op, abstract=True):       # abstract: never registered in OPS
    """out = sum(x, axis=0), with a backward that forgets to broadcast back."""
    name = "bad_sum"

    @staticmethod
    def forward(x, *, needs_input_grad):
        return x.sum(axis=0), {}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        return g[:1]


@mistake("A new op whose backward returns a gradient of the wrong shape",
         "Return the input's shape, or a broadcast of it (the engine sums broadcasts back).",
         ValueError, "bad_sum", "(1,)", "(3, 2)", "return the input's shape")
def op_grad_wrong_shape():
    apply(_BadSum, x32()).sum().backward()


@mistake("Registering a new op under a name that is taken",
         "Pick another `name` for the new primitive.",
         ValueError, "MyAdd", "'add'", "pick another name")
def op_name_taken():
    type("MyAdd", (Op,), {"name": "add"})


@mistake("Loading a state_dict with missing, extra or mis-shaped keys",
         "Load a state_dict saved from the same architecture; the model is left unchanged.",
         RuntimeError, "load_state_dict", "weight", "(4,)", "(3,)", "same architecture")
def load_state_dict_keys():
    from tinygrad_bn import nn
    layer = nn.BatchNorm1d(3)
    state = layer.state_dict()
    state["weight"] = np.ones(4)
    state["extra"] = np.ones(1)
    del state["bias"]
    layer.load_state_dict(state)


# --- batch normalization, layers, optimizers, checkpoints, graphs --------------------------------
def bn_args(shape, c=3):
    x = Tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    return x, Tensor(np.ones(c), requires_grad=True), Tensor(np.zeros(c), requires_grad=True)


@mistake("Training BN with one value per channel (a batch of one)",
         "Use a batch with more than one value per channel, or eval mode for running statistics.",
         ValueError, "batch_norm", "(1, 3)", "1 value per channel", "eval mode")
def bn_one_value_per_channel():
    from tinygrad_bn import functional as F
    F.batch_norm(*bn_args((1, 3)))


@mistake("gamma (or beta, running stats) with the wrong number of channels",
         "Give gamma, beta and the running statistics shape (C,), C = x.shape[1].",
         ValueError, "batch_norm", "gamma", "(4,)", "(8, 3)", "pass gamma of shape (3,)")
def bn_gamma_shape():
    from tinygrad_bn import functional as F
    x, _, beta = bn_args((8, 3))
    F.batch_norm(x, Tensor(np.ones(4), requires_grad=True), beta)


@mistake("Evaluating F.batch_norm without running statistics",
         "Pass running_mean and running_var, or use training=True.",
         ValueError, "batch_norm", "training=False", "running_mean", "pass both")
def bn_eval_without_running_stats():
    from tinygrad_bn import functional as F
    F.batch_norm(*bn_args((8, 3)), training=False)


@mistake("A BatchNorm1d layer with the wrong number of features",
         "Make num_features equal x.shape[1], or fix the layer before it.",
         ValueError, "BatchNorm1d(4)", "(8, 3)", "BatchNorm1d(3)")
def bn_wrong_features():
    from tinygrad_bn import nn
    nn.BatchNorm1d(4)(bn_args((8, 3))[0])


@mistake("A 3-D input to BatchNorm2d",
         "Use BatchNorm1d for (N, C) and (N, C, L) inputs; BatchNorm2d takes images (N, C, H, W).",
         ValueError, "BatchNorm2d", "(8, 3, 5)", "(N, C, H, W)", "use BatchNorm1d")
def bn2d_3d_input():
    from tinygrad_bn import nn
    nn.BatchNorm2d(3)(bn_args((8, 3, 5))[0])


@mistake("Only one of running_mean and running_var passed to batch_norm",
         "Pass both running arrays (they are updated together), or neither.",
         ValueError, "batch_norm", "only running_mean", "both be given or both be None",
         "np.zeros(3)")
def bn_half_running_stats():
    from tinygrad_bn import functional as F
    F.batch_norm(*bn_args((8, 3)), running_mean=np.zeros(3))


@mistake("Integer arrays as BN running statistics",
         "Running statistics are float arrays: np.zeros(C) and np.ones(C).",
         TypeError, "batch_norm", "running_mean", "int64", "(3,)", "np.zeros(3)")
def bn_int_running_stats():
    from tinygrad_bn import functional as F
    F.batch_norm(*bn_args((8, 3)), running_mean=np.zeros(3, np.int64), running_var=np.ones(3))


@mistake("Calling a BN module in eval mode that was never trained (a warning)",
         "Train first (the running statistics start at mean 0, var 1), or load a checkpoint.",
         UserWarning, "BatchNorm1d(3)", "num_batches_tracked=0", "train first")
def bn_eval_never_trained():
    from tinygrad_bn import nn
    nn.BatchNorm1d(3).eval()(bn_args((8, 3))[0])


@mistake("Class labels given as floats (or one-hot rows) to cross_entropy",
         "Pass integer class indices: `labels.astype(np.int64)` or `onehot.argmax(axis=1)`.",
         TypeError, "cross_entropy", "float64", "(4,)", "astype(np.int64)")
def cross_entropy_float_labels():
    from tinygrad_bn import functional as F
    F.cross_entropy(Tensor(np.ones((4, 3)), requires_grad=True), np.array([0.0, 1.0, 2.0, 1.0]))


@mistake("A class label outside the logits' classes",
         "Labels must lie in [0, K) for K logits per row; check the number of outputs.",
         ValueError, "cross_entropy", "(4, 3)", "[0, 3]", "must be in [0, 3)")
def cross_entropy_label_range():
    from tinygrad_bn import functional as F
    F.cross_entropy(Tensor(np.ones((4, 3)), requires_grad=True), np.array([0, 1, 2, 3]))


@mistake("mse_loss between a column (N, 1) and a vector (N,), which would broadcast to (N, N)",
         "Reshape the target to the prediction's shape.",
         ValueError, "mse_loss", "(4, 1)", "(4,)", "reshape the target")
def mse_shapes():
    from tinygrad_bn import functional as F
    F.mse_loss(Tensor(np.ones((4, 1)), requires_grad=True), Tensor(np.ones(4)))


@mistake("Layers kept in a plain Python list (a warning: their parameters would be missing)",
         "Hold layers in nn.ModuleList (or nn.ModuleDict for a dict) so the model registers them.",
         UserWarning, "Net.layers", "plain list", "parameters()", "nn.ModuleList")
def layers_in_a_plain_list():
    from tinygrad_bn import nn

    class Net(nn.Module):
        def __init__(self):
            self.layers = [nn.Linear(2, 2), nn.Linear(2, 1)]
    Net().parameters()


@mistake("A fractional num_batches_tracked in a state_dict (nothing is loaded)",
         "Counts are whole numbers: fix or drop the edited entry; the model is left unchanged.",
         RuntimeError, "load_state_dict", "num_batches_tracked", "2.5", "int64", "Nothing was loaded")
def load_state_dict_fractional_count():
    from tinygrad_bn import nn
    layer = nn.BatchNorm1d(3)
    layer.load_state_dict(dict(layer.state_dict(), num_batches_tracked=np.array(2.5)))


@mistake("A negative or fractional layer size",
         "Layer sizes are whole numbers >= 0, usually read off the input: x.shape[-1].",
         ValueError, "Linear(-3, 4)", "in_features=-3", "whole number >= 0")
def linear_bad_size():
    from tinygrad_bn import nn
    nn.Linear(-3, 4)


def _checkpoint_mismatch(saved, loaded):
    """Save `saved`, load the file into `loaded`, inside a scratch folder (relative paths)."""
    import contextlib
    import tempfile
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        tg.save(saved, "model.safetensors")
        tg.load(loaded, "model.safetensors")


@mistake("Loading a checkpoint into a model with other layer sizes",
         "Build the same architecture as the saved model; the model is left unchanged.",
         ValueError, "load", "'model.safetensors'", "BatchNorm1d", "weight (3,) != expected (4,)",
         "same architecture")
def checkpoint_misshaped():
    from tinygrad_bn import nn
    _checkpoint_mismatch(nn.BatchNorm1d(3), nn.BatchNorm1d(4))


@mistake("Loading a checkpoint with missing or extra keys (another architecture)",
         "Build the same architecture as the saved model; the model is left unchanged.",
         ValueError, "load", "'model.safetensors'", "missing keys", "unexpected keys", "same architecture")
def checkpoint_keys():
    from tinygrad_bn import nn
    _checkpoint_mismatch(nn.Sequential(nn.BatchNorm1d(3)), nn.BatchNorm1d(3))


@mistake("Loading an .npz checkpoint of an older tinygrad_bn, or a torch.save file",
         "Checkpoints are safetensors now; the message gives the two-line conversion.",
         ValueError, "load", "'model.npz'", "zip archive", "np.load(path)", "tg.save")
def checkpoint_old_npz():
    import contextlib
    import tempfile
    from tinygrad_bn import nn
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        np.savez("model.npz", **nn.BatchNorm1d(3).state_dict())
        tg.load(nn.BatchNorm1d(3), "model.npz")


@mistake("Rendering a graph when Graphviz's dot is missing or dead",
         "Install Graphviz (`sudo apt-get install graphviz`); the DOT source is kept.",
         RuntimeError, "render", "dot", "svg", "apt-get install graphviz")
def dead_dot():
    import os
    from unittest import mock
    from tinygrad_bn import viz
    with mock.patch.dict(os.environ, {"PATH": ""}):
        viz.run_dot("digraph { a -> b }", "svg")


@mistake("Training BN with eps=0 (or a negative eps)",
         "Keep eps > 0 (the default 1e-5): a constant channel has variance 0.",
         ValueError, "batch_norm", "eps=0", "must be a number > 0", "divides by zero", "1e-5")
def bn_eps_zero():
    from tinygrad_bn import nn
    nn.BatchNorm1d(3, eps=0)(Tensor(np.ones((8, 3))))


@mistake("Assigning a plain Tensor where a layer's Parameter was",
         "Assign nn.Parameter(...), or change the values with layer.weight.data = ...",
         TypeError, "Linear.weight", "Tensor (2, 3)", "as parameter 'weight'", "nn.Parameter(...)")
def tensor_over_parameter():
    from tinygrad_bn import nn
    nn.Linear(3, 2).weight = Tensor(np.zeros((2, 3)), requires_grad=True)


@mistake("Giving an optimizer a tensor computed from a parameter",
         "Optimize leaves: model.parameters(), or w.detach().requires_grad_().",
         ValueError, "SGD", "non-leaf", "(3,)", "made by mul", "optimize the leaf")
def optimizer_non_leaf():
    from tinygrad_bn import nn, optim
    optim.SGD([nn.Parameter(np.ones(3)) * 2], lr=0.1)


@mistake("padding='same' with a stride",
         "Give the padding as numbers for a strided convolution, e.g. padding=1 for a 3x3 kernel.",
         ValueError, "Conv2d", "padding='same' is not supported for strided convolutions",
         "stride=2", "padding=k // 2")
def conv_same_strided():
    from tinygrad_bn import nn
    nn.Conv2d(3, 8, 3, stride=2, padding="same")


# --- the catalogue and its doc -------------------------------------------------------------------
@pytest.mark.parametrize("key", [m.key for m in CATALOGUE])
def test_mistake(key):
    """The mistake raises its documented type, and the message names the op, the shapes, the fix."""
    m = next(m for m in CATALOGUE if m.key == key)
    msg = message_of(m)
    missing = [w for w in m.needs if w not in msg]
    assert not missing, f"{key}: message lacks {missing}:\n{msg}"


def render():
    """docs/errors.md, generated from CATALOGUE with the messages the code raises today."""
    out = ["# Errors that teach", "",
           "Every mistake below ends in a message that names the op, the shapes and the fix. "
           "Generated by `python tests/test_errors.py`; `tests/test_errors.py` checks each quoted "
           "message equals what the code raises (record numbers written rN).", ""]
    for i, m in enumerate(CATALOGUE, 1):
        out += [f"## {i}. {m.title}", "", "```text", message_of(m), "```", "",
                f"Fix: {m.fix}", "",
                f"Test: `tests/test_errors.py::test_mistake[{m.key}]` ({m.kind.__name__})", ""]
    return "\n".join(out)


def quoted(text):
    """{key: quoted message} parsed from the doc."""
    pattern = r"```text\n(.*?)\n```.*?test_mistake\[(\w+)\]"
    return {key: msg for msg, key in re.findall(pattern, text, flags=re.S)}


def test_doc_quotes_the_real_messages():
    """Every entry in docs/errors.md names a real test and quotes exactly what the code raises."""
    doc = quoted(DOC.read_text())
    keys = {m.key: m for m in CATALOGUE}
    assert len(doc) >= 25
    assert set(doc) <= set(keys), f"doc lists unknown tests {set(doc) - set(keys)}"
    for key, m in keys.items():
        assert key in doc, f"{key} is missing from docs/errors.md: run python tests/test_errors.py"
        assert doc[key] == message_of(m), f"{key}: stale message; run python tests/test_errors.py"


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"wrote {DOC.relative_to(ROOT)}: {len(CATALOGUE)} mistakes", file=sys.stderr)
