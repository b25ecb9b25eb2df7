"""Matrix product with NumPy's rules (1-D, 2-D, batched), and `linear`, nn.Linear as one primitive."""
import math

import numpy as np

from .base import Op


def _check(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: both sides need at least 1 dim; "
                         "use * to scale by a scalar")
    k_a, k_b = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        hint = "; did you mean w.T?" if b.ndim == 2 and b.shape[-1] == k_a else ""
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: inner dims {k_a} != {k_b}{hint}")


class MatMul(Op):
    """out = a @ b. The backward promotes 1-D sides to matrices and drops the added axis after."""
    name = "matmul"
    rule = "da = g @ b.T ; db = a.T @ g"

    @staticmethod
    def forward(a, b, *, needs_input_grad):
        _check(a, b)
        return a @ b, {"a": a, "b": b}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        a, b = saved["a"], saved["b"]
        a2 = a[None, :] if a.ndim == 1 else a                 # (k,) -> (1, k)
        b2 = b[:, None] if b.ndim == 1 else b                 # (k,) -> (k, 1)
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2 if b.ndim > 1 else 0)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        need_a, need_b = needs_input_grad
        da = g2 @ np.swapaxes(b2, -1, -2) if need_a else None
        db = np.swapaxes(a2, -1, -2) @ g2 if need_b else None
        if a.ndim == 1 and need_a:
            da = da[..., 0, :]
        if b.ndim == 1 and need_b:
            db = db[..., 0]
        return da, db                 # batch axes broadcast: the engine sums them back


def _check_linear(x, weight, bias):
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        hint = ("; did you mean weight.T?" if weight.ndim == 2 and x.ndim
                and weight.shape[0] == x.shape[-1] else "")
        raise ValueError(f"linear: input {x.shape} with weight {weight.shape}: expected input "
                         f"(..., in_features) and weight (out_features, in_features){hint}")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(f"linear: bias {bias.shape} for weight {weight.shape}; expected "
                         f"{weight.shape[:1]}, one value per output feature")


class Linear(Op):
    """out = x @ weight.T + bias: nn.Linear in one record, x (..., in), weight (out, in), bias (out,)."""
    name = "linear"
    rule = "dx = g @ weight ; dweight = g.T @ x ; dbias = g.sum(axis=0)"

    @staticmethod
    def forward(x, weight, bias=None, *, needs_input_grad):
        _check_linear(x, weight, bias)
        out = x @ weight.T
        if bias is not None:
            out += bias                       # out is new and of bias's dtype: add in place
        return out, {"x": x, "weight": weight}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        x, weight = saved["x"], saved["weight"]
        need_x, need_weight, need_bias = (*needs_input_grad, False)[:3]     # bias is optional
        rows = _rows(g)
        dx = g @ weight if need_x else None
        dweight = rows.T @ _rows(x) if need_weight else None
        dbias = rows.sum(axis=0) if need_bias else None
        return (dx, dweight, dbias)[:len(needs_input_grad)]


def _rows(a):
    """(..., n) -> (rows, n): every leading axis is a batch axis of the linear layer."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])
