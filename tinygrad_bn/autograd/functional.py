"""Jacobians, Hessians and their products with vectors, as torch.autograd.functional.

Each is built from tg.grad: vjp is one backward, jvp two (the double-vjp trick: the vjp is linear
in its vector u, so differentiating it with respect to u gives J v), hvp differentiates the
gradient, jacobian and hessian take one backward per output value. Inputs are a Tensor or a
tuple of Tensors, and results come back in the same form, as in torch.
"""
import numpy as np

from ..engine import Tensor, enable_grad
from . import grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _no_strict(what, strict):
    """torch's strict=True (raise where an output does not depend on an input) is not built here."""
    if strict:
        raise NotImplementedError(f"{what}: strict=True is not supported; call it with "
                                  "strict=False (inputs an output does not use get zeros)")


def _prepare(inputs, create_graph):
    """(was a tuple, inputs as differentiable tensors): fresh leaves unless create_graph keeps
    the caller's graph (then each input is used as it is, as torch does)."""
    is_tuple = not isinstance(inputs, Tensor)
    items = tuple(inputs) if is_tuple else (inputs,)
    if create_graph:
        return is_tuple, tuple(t if t.requires_grad else Tensor(t.data, requires_grad=True)
                               for t in items)
    return is_tuple, tuple(Tensor(t.data, requires_grad=True, name=t.name) for t in items)


def _shape(is_tuple, items):
    return tuple(items) if is_tuple else items[0]


def _outputs(func, inputs, what):
    with enable_grad():
        out = func(*inputs)
    is_tuple = not isinstance(out, Tensor)
    outs = tuple(out) if is_tuple else (out,)
    if not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(f"{what}: func must return a Tensor or a tuple of Tensors")
    return is_tuple, outs


def _vectors(v, like, what, name):
    """v as a tuple of arrays shaped like `like`; None only where each has one element."""
    if v is None:
        if any(t.data.size != 1 for t in like):
            raise ValueError(f"{what}: v can be None only when the {name} has a single "
                             f"element; pass v of shape {[t.shape for t in like]}")
        return tuple(np.ones_like(t.data) for t in like)
    vs = (v,) if isinstance(v, (Tensor, np.ndarray)) else tuple(v)
    if len(vs) != len(like):
        raise ValueError(f"{what}: {len(vs)} vectors v for {len(like)} {name}s; give one each")
    out = []
    for t, vi in zip(like, vs):
        vi = vi if isinstance(vi, Tensor) else np.asarray(vi, dtype=t.dtype)
        if vi.shape != t.shape:
            raise ValueError(f"{what}: v of shape {vi.shape} for a {name} of shape {t.shape}; "
                             "give v the same shape")
        out.append(vi)
    return tuple(out)


def _grads(outputs, inputs, grad_outputs, create_graph):
    """tg.grad with zeros for inputs the outputs do not use (as torch.autograd.functional)."""
    grads = grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph,
                 allow_unused=True)
    return tuple(Tensor(np.zeros_like(t.data)) if g is None else g for t, g in zip(inputs, grads))


def _result(x, create_graph):
    return x if create_graph else Tensor(x.data)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): one backward. v may be None for a single-element output."""
    _no_strict("vjp", strict)
    in_tuple, inputs = _prepare(inputs, create_graph)
    out_tuple, outs = _outputs(func, inputs, "vjp")
    grads = _grads(outs, inputs, _vectors(v, outs, "vjp", "output"), create_graph)
    return (_shape(out_tuple, [_result(o, create_graph) for o in outs]),
            _shape(in_tuple, [_result(g, create_graph) for g in grads]))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v) by the double-vjp trick: u -> u^T J is linear in u, and its gradient
    with respect to u, taken against v, is J v. v may be None for a single-element input."""
    _no_strict("jvp", strict)
    in_tuple, inputs = _prepare(inputs, create_graph)
    vs = _vectors(v, inputs, "jvp", "input")
    out_tuple, outs = _outputs(func, inputs, "jvp")
    us = tuple(Tensor(np.zeros_like(o.data), requires_grad=True) for o in outs)
    with enable_grad():
        pulled = _grads(outs, inputs, us, create_graph=True)
    pairs = [(p, vi) for p, vi in zip(pulled, vs) if p.requires_grad]
    if pairs:
        jv = _grads([p for p, _ in pairs], us, [vi for _, vi in pairs], create_graph)
    else:                                        # the outputs do not depend on the inputs
        jv = tuple(Tensor(np.zeros_like(o.data)) for o in outs)
    return (_shape(out_tuple, [_result(o, create_graph) for o in outs]),
            _shape(out_tuple, [_result(j, create_graph) for j in jv]))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """d func / d inputs: per output and input a Tensor of shape output.shape + input.shape
    (one backward per output value). Nested tuples when func or inputs are tuples, as torch.
    vectorize and strategy are accepted for torch code: here they change nothing."""
    _no_strict("jacobian", strict)
    in_tuple, inputs = _prepare(inputs, create_graph)
    out_tuple, outs = _outputs(func, inputs, "jacobian")
    blocks = []
    for o in outs:
        rows = [[] for _ in inputs]
        for k in range(o.data.size):
            onehot = np.zeros(o.data.size, dtype=o.dtype)
            onehot[k] = 1
            if o.requires_grad:
                grads = _grads((o,), inputs, (onehot.reshape(o.shape),), create_graph)
            else:
                grads = tuple(Tensor(np.zeros_like(t.data)) for t in inputs)
            for row, g in zip(rows, grads):
                row.append(g.reshape(-1))
        blocks.append([_stacked(row, o.shape + t.shape, t, create_graph)
                       for row, t in zip(rows, inputs)])
    per_output = [_shape(in_tuple, b) for b in blocks]
    return _shape(out_tuple, per_output)


def _stacked(rows, shape, like, create_graph):
    from ..engine import stack
    if not rows:
        return Tensor(np.zeros(shape, dtype=like.dtype))
    with enable_grad():
        return _result(stack(rows).reshape(shape), create_graph)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """d^2 func / d inputs^2 for a func with one output value: shape input.shape + input.shape
    (a tuple of tuples for several inputs, as torch): the jacobian of the gradient.
    vectorize and outer_jacobian_strategy are accepted for torch code and change nothing."""
    _no_strict("hessian", strict)
    in_tuple, inputs = _prepare(inputs, create_graph)

    def gradient(*xs):
        out_tuple, outs = _outputs(func, xs, "hessian")
        if out_tuple or outs[0].data.size != 1:
            raise ValueError(f"hessian: func must return a Tensor with one element, got shape "
                             f"{outs[0].shape}; reduce it (e.g. .sum())")
        grads = _grads(outs, xs, (None,), create_graph=True)
        return grads if in_tuple else grads[0]

    return jacobian(gradient, _shape(in_tuple, inputs), create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a func with one output value: the gradient, differentiated once
    more against v (H is symmetric, so this is also v^T H, torch's vhp)."""
    _no_strict("hvp", strict)
    in_tuple, inputs = _prepare(inputs, create_graph)
    out_tuple, outs = _outputs(func, inputs, "hvp")
    if out_tuple or outs[0].data.size != 1:
        raise ValueError(f"hvp: func must return a Tensor with one element, got shape "
                         f"{outs[0].shape}; reduce it (e.g. .sum())")
    vs = _vectors(v, inputs, "hvp", "input")
    with enable_grad():
        grads = _grads(outs, inputs, (None,), create_graph=True)
    pairs = [(g, vi) for g, vi in zip(grads, vs) if g.requires_grad]
    hv = (_grads([g for g, _ in pairs], inputs, [vi for _, vi in pairs], create_graph) if pairs
          else tuple(Tensor(np.zeros_like(t.data)) for t in inputs))
    return (_result(outs[0], create_graph),
            _shape(in_tuple, [_result(h, create_graph) for h in hv]))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H), torch's vhp: the same as hvp, since a Hessian is symmetric."""
    return hvp(func, inputs, v, create_graph, strict)
