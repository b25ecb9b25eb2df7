"""Gradients as values, as torch.autograd: tg.grad returns them instead of filling .grad, and
autograd.functional builds Jacobians, Hessians and their products from it.

Why: with create_graph=True the returned gradients are recorded, so differentiating them again
gives second derivatives (gradient penalties, Newton's method, Hessian-vector products).
"""
import numpy as np

from ..engine import Tensor
from ..engine.backward import grad as _walk_grad

__all__ = ["grad", "functional"]


def _as_tuple(x, what):
    """A Tensor or a sequence of Tensors -> a tuple; anything else raises naming `what`."""
    items = (x,) if isinstance(x, Tensor) else tuple(x)
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"grad: {what} must be a Tensor or a non-empty sequence of Tensors, got "
                        f"{type(x).__name__}")
    return items


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of outputs with respect to inputs, as a tuple (torch.autograd.grad).

    Nothing's .grad changes. grad_outputs: one per output (None for a scalar: ones), the vector
    of a vector-Jacobian product. create_graph=True records the gradients, so they can be
    differentiated again; retain_graph defaults to create_graph. An input the outputs do not
    depend on raises, unless allow_unused=True (then its gradient is None).
    """
    outputs, inputs = _as_tuple(outputs, "outputs"), _as_tuple(inputs, "inputs")
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,) * len(outputs) if grad_outputs is None else (grad_outputs,)
    grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; "
                         "give one per output (None for a scalar output)")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} ({t.name or 'unnamed'}, {t.shape}) does not "
                               "require grad; create it with requires_grad=True")
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        raise RuntimeError("grad: no output requires grad, so nothing depends on the inputs; "
                           "compute the outputs from the inputs with gradients on")
    grads = _walk_grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph,
                       create_graph)
    for i, (t, g) in enumerate(zip(inputs, grads)):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} ({t.name or 'unnamed'}, {t.shape}) was not "
                               "used to compute the outputs; pass allow_unused=True to get "
                               "None for it")
    return tuple(g if g is None or isinstance(g, Tensor) else Tensor(g) for g in grads)


from . import functional  # noqa: E402  (functional uses grad)
