"""Compiled kernels (tg.kernels): each equals its reference op, and the records do not change.

Every kernel in tinygrad_bn.fast.NUMBA_KERNELS runs against the NumPy op it replaces: values
and every gradient (float64 to 1e-12, float32 to 1e-5 relative to the largest value), across
shapes, dtypes, memory layouts and needs_input_grad masks, and against torch. The tape is the
same either way. The kernel tests skip, saying why, where numba is not installed.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tape, Tensor, functional as F
from tinygrad_bn.fast import NUMBA_KERNELS

needs_numba = pytest.mark.skipif("numba" not in tg.kernels.available(),
                                 reason="numba not installed: compiled kernels not tested")
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}      # relative to the largest reference value


@pytest.fixture
def backend():
    """Switch kernels on or off inside a test; restores the kernels the session started with."""
    with tg.kernels.using(tg.kernels.active()):
        yield tg.kernels.use


def assert_same(ours, reference, dtype, what):
    """max |ours - reference| <= tolerance * max |reference|, dtype and shape equal."""
    assert ours.dtype == reference.dtype and ours.shape == reference.shape, what
    scale = max(float(np.abs(reference).max(initial=0)), np.finfo(dtype).tiny)
    err = float(np.abs(ours.astype(np.float64) - reference).max(initial=0)) / scale
    assert err <= TOLERANCE[dtype], f"{what}: relative error {err:.2e}"


def batch_last(a):
    """a (N, C, ...) stored with N innermost, as conv2d's output is."""
    return np.ascontiguousarray(np.moveaxis(a, 0, -1)).transpose(-1, *range(a.ndim - 1))


def run(backend_name, backend, fn, arrays, needs, g):
    """fn(*tensors) under a Tape with `backend` -> (op names, output, grads, record saved keys)."""
    backend(backend_name)
    tensors = [Tensor(a, requires_grad=r) for a, r in zip(arrays, needs)]
    with Tape() as tape:
        out = fn(*tensors)
    keys = [sorted(r.saved) for r in tape]
    out.backward(g)
    return [r.op for r in tape], out.data, [t.grad for t in tensors], keys


def compare(backend, fn, arrays, needs, g, dtype):
    """fn with kernels on equals fn with them off: records, values, gradients."""
    ops_k, out_k, grads_k, keys_k = run("numba", backend, fn, arrays, needs, g)
    ops_r, out_r, grads_r, keys_r = run("numpy", backend, fn, arrays, needs, g)
    assert ops_k == ops_r
    assert all(set(r) <= set(k) for k, r in zip(keys_k, keys_r)), (keys_k, keys_r)
    assert_same(out_k, out_r, dtype, "output")
    for i, (a, b) in enumerate(zip(grads_k, grads_r)):
        assert (a is None) == (b is None), f"grad {i}"
        if a is not None:
            assert_same(a, b, dtype, f"grad of input {i}")


def bn_arrays(shape, dtype, seed=0, layout="C"):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    if layout == "batch-last":
        x = batch_last(x)
    elif layout == "strided":                  # neither layout: the kernel falls back to NumPy
        x = np.repeat(x, 2, axis=1)[:, ::2]
    return x, (1 + 0.3 * rng.standard_normal(c)).astype(dtype), \
        (0.2 * rng.standard_normal(c)).astype(dtype), g


BN_SHAPES = [(16, 5), (256, 64), (8, 3, 7), (6, 4, 5, 3), (4, 3, 2, 3, 2)]


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
@pytest.mark.parametrize("needs", [(True, True, True), (False, True, True), (True, False, False)],
                         ids=["all", "no-dx", "dx-only"])
def test_fused_batch_norm_kernel_equals_reference(backend, shape, dtype, needs):
    x, gamma, beta, g = bn_arrays(shape, dtype)
    compare(backend, lambda *t: F.batch_norm(*t, fused=True), (x, gamma, beta), needs, g, dtype)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["batch-last", "strided"])
@pytest.mark.parametrize("grad_layout", ["C", "batch-last"])
def test_fused_batch_norm_kernel_in_other_layouts(backend, dtype, layout, grad_layout):
    x, gamma, beta, g = bn_arrays((6, 4, 5, 3), dtype, layout=layout)
    g = batch_last(g) if grad_layout == "batch-last" else g
    compare(backend, lambda *t: F.batch_norm(*t, fused=True), (x, gamma, beta),
            (True, True, True), g, dtype)


@needs_numba
@pytest.mark.parametrize("shape", [(16, 5), (6, 4, 5, 3)], ids=str)
def test_fused_batch_norm_kernel_without_affine(backend, shape):
    x, _, _, g = bn_arrays(shape, np.float64)
    compare(backend, lambda t: F.batch_norm(t, fused=True), (x,), (True,), g, np.float64)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(32, 6), (5, 3, 4, 4)], ids=str)
def test_fused_batch_norm_kernel_running_stats_equal_reference(backend, shape, dtype):
    x, gamma, beta, _ = bn_arrays(shape, dtype)
    stats = {}
    for name in ("numba", "numpy"):
        backend(name)
        mean, var = np.zeros(shape[1], dtype), np.ones(shape[1], dtype)
        for _ in range(3):
            F.batch_norm(Tensor(x, requires_grad=True), Tensor(gamma), Tensor(beta), mean, var,
                         fused=True)
        stats[name] = mean, var
    for a, b in zip(stats["numba"], stats["numpy"]):
        assert_same(a, b, dtype, "running statistics")


@needs_numba
@pytest.mark.parametrize("shape", [(12, 4), (5, 3, 4, 4)], ids=str)
def test_fused_batch_norm_kernel_passes_gradcheck(backend, shape):
    backend("numba")
    x, gamma, beta, _ = bn_arrays(shape, np.float64)
    tensors = [Tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    assert tg.gradcheck(lambda *t: F.batch_norm(*t, fused=True), *tensors)


@needs_numba
def test_reference_backward_runs_on_what_the_kernel_saved(backend):
    """A kernel saves at least the reference's keys: the reference backward gives its grads."""
    backend("numba")
    x, gamma, beta, g = bn_arrays((6, 4, 5, 3), np.float64)
    out = F.batch_norm(*(Tensor(a, requires_grad=True) for a in (x, gamma, beta)), fused=True)
    reference = tg.OPS["batch_norm"].backward(g, out.record.saved, (True, True, True))
    kernel = NUMBA_KERNELS["batch_norm"].backward(g, out.record.saved, (True, True, True))
    for a, b in zip(kernel, reference):
        assert_same(a, b, np.float64, "reference backward on the kernel's saved arrays")


@needs_numba
@pytest.mark.parametrize("shape", [(32, 6), (8, 3, 4, 4), (4, 3, 2, 3, 2)], ids=str)
def test_fused_batch_norm_kernel_matches_torch(backend, torch, shape):
    backend("numba")
    x, gamma, beta, g = bn_arrays(shape, np.float64)
    mean, var = np.zeros(shape[1]), np.ones(shape[1])
    ours = [Tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    out = F.batch_norm(*ours, mean, var, fused=True)
    out.backward(g)
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    t_mean, t_var = torch.zeros(shape[1], dtype=torch.float64), torch.ones(shape[1],
                                                                          dtype=torch.float64)
    t_out = torch.nn.functional.batch_norm(theirs[0], t_mean, t_var, theirs[1], theirs[2],
                                           training=True)
    t_out.backward(torch.from_numpy(g))
    for a, b in zip([out.data, mean, var] + [t.grad for t in ours],
                    [t_out, t_mean, t_var] + [t.grad for t in theirs]):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, called", [("numpy", False),
                                          pytest.param("numba", True, marks=needs_numba)])
def test_use_switches_which_implementation_runs(backend, monkeypatch, name, called):
    """A spy in the kernel's place: use('numpy') never calls it, use('numba') does."""
    calls = []

    def spy(*arrays, **attrs):
        calls.append(attrs)
        return tg.OPS["batch_norm"].forward(*arrays, **attrs)
    monkeypatch.setattr(NUMBA_KERNELS["batch_norm"], "forward", staticmethod(spy))
    backend(name)
    assert tg.kernels.active() == name
    x, gamma, beta, _ = bn_arrays((8, 3), np.float64)
    out = F.batch_norm(*(Tensor(a, requires_grad=True) for a in (x, gamma, beta)), fused=True)
    assert out.record.op == "batch_norm" and bool(calls) == called


def test_using_restores_exactly_the_kernels_before_it():
    """After a `with using(...)` block the same implementations run as before it (without numba
    that is the BLAS policy alone, which active() calls 'numpy')."""
    before = dict(tg.engine.KERNELS)
    for name in tg.kernels.available():
        with tg.kernels.using(name):
            assert tg.kernels.active() == name
        assert dict(tg.engine.KERNELS) == before


def test_use_names_the_choices_on_a_typo(backend):
    with pytest.raises(ValueError, match=r"kernels.use\('numbaa'\).*'numba', 'numpy'"):
        tg.kernels.use("numbaa")


@pytest.mark.skipif("numba" in tg.kernels.available(), reason="numba is installed here")
def test_use_numba_without_numba_says_how_to_install_it():
    with pytest.raises(RuntimeError, match=r"\.\[fast\]"):
        tg.kernels.use("numba")


def test_every_kernel_is_an_implementation_of_a_registered_op():
    for name, impl in NUMBA_KERNELS.items():
        assert issubclass(impl, tg.OPS[name]) and impl.name == name
        assert impl.rule == tg.OPS[name].rule


@pytest.mark.parametrize("env, expected", [({"TINYGRAD_BN_KERNELS": "numpy"}, "numpy"),
                                           ({"TINYGRAD_BN_REFERENCE": "1"}, "numpy"),
                                           ({}, None)])
def test_the_environment_chooses_the_backend_at_import(env, expected):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("TINYGRAD_BN_KERNELS", "TINYGRAD_BN_REFERENCE")}
    code = "import tinygrad_bn as tg; print(tg.kernels.active(), tg.kernels.available()[0])"
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out[0] == (expected or out[1])       # unset: the best available backend


def test_an_unknown_environment_value_is_an_error_naming_the_choices():
    env = {**os.environ, "TINYGRAD_BN_KERNELS": "fast"}
    result = subprocess.run([sys.executable, "-c", "import tinygrad_bn"], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "TINYGRAD_BN_KERNELS='fast'" in result.stderr


POOLS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
         dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=3, stride=1)]


def pool_input(dtype, layout="batch-last", ties=True, shape=(4, 3, 7, 6), seed=1):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    if ties:
        x[0, 0, :2, :2] = x[0, 0, 0, 0]                # the first maximum wins, as in torch
    return batch_last(x) if layout == "batch-last" else x


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("args", POOLS, ids=lambda a: ",".join(f"{k}={v}" for k, v in a.items()))
@pytest.mark.parametrize("layout", ["batch-last", "C"])
def test_max_pool_kernel_equals_reference(backend, dtype, args, layout):
    x = pool_input(dtype, layout)
    out = F.max_pool2d(Tensor(x), **args)
    g = np.random.default_rng(2).standard_normal(out.shape).astype(dtype)
    compare(backend, lambda t: F.max_pool2d(t, **args), (x,), (True,), g, dtype)


@needs_numba
def test_max_pool_kernel_nan_and_infinity_as_reference(backend):
    x = pool_input(np.float64)
    x[1, 2, 0, 0] = x[1, 2, 3, 3] = np.nan
    x[2, 1] = -np.inf                                   # a channel of -inf against the -inf padding
    g = np.random.default_rng(3).standard_normal((4, 3, 4, 3))
    args = dict(kernel_size=3, stride=2, padding=1)
    results = [run(name, backend, lambda t: F.max_pool2d(t, **args), (x,), (True,), g)
               for name in ("numba", "numpy")]
    np.testing.assert_array_equal(results[0][1], results[1][1])     # NaN where the reference has it
    assert_same(results[0][2][0], results[1][2][0], np.float64, "dx (overlapping windows add)")


@needs_numba
def test_max_pool_kernel_passes_gradcheck_and_matches_torch(backend, torch):
    backend("numba")
    x = pool_input(np.float64, ties=False)         # no ties: max is differentiable there
    args = dict(kernel_size=3, stride=2, padding=1)
    assert tg.gradcheck(lambda t: F.max_pool2d(t, **args), Tensor(x, requires_grad=True))
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, t_out = F.max_pool2d(ours, **args), torch.nn.functional.max_pool2d(theirs, **args)
    g = np.random.default_rng(4).standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
