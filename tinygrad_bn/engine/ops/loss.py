"""cross_entropy as one primitive: log-softmax and the negative log-likelihood of class indices,
whose joint gradient is simply softmax - onehot (F.cross_entropy's common case; losses.py)."""
import numpy as np

from .base import Op

REDUCTIONS = ("mean", "sum", "none")


class CrossEntropy(Op):
    """out = -log softmax(logits)[n, target[n]], averaged ('mean'), summed or per row ('none')."""
    name = "cross_entropy"
    warns = True
    rule = "dlogits = (softmax(logits) - onehot(target)) * g (/ N for mean) ; dtarget = None"

    @staticmethod
    def forward(logits, target, *, needs_input_grad, reduction="mean"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"cross_entropy: reduction={reduction!r}; use 'mean', 'sum' or 'none'")
        rows = np.arange(len(target))
        z = logits.T.copy()       # (C, N): per-row max and sum become passes over C contiguous rows
        top = z.max(axis=0)       # (NumPy reduces a short last axis row by row, several times slower)
        z -= np.where(np.isfinite(top), top, 0)           # exp(z) <= 1: no overflow
        exp = np.exp(z)
        total = exp.sum(axis=0)
        losses = np.log(total) - z[target, rows]
        out = losses if reduction == "none" else np.asarray(
            losses.mean() if reduction == "mean" else losses.sum())
        exp /= total                                      # now the softmax, for backward
        return out, {"softmax": exp, "target": target, "reduction": reduction}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        p, target = saved["softmax"], saved["target"]     # p is (C, N): classes first
        if not needs_input_grad[0]:
            return None, None
        dlogits = p.copy()
        dlogits[target, np.arange(len(target))] -= 1
        if saved["reduction"] == "none":
            dlogits *= g
        else:
            dlogits *= g / len(target) if saved["reduction"] == "mean" else g
        return dlogits.T, None

    @staticmethod
    def decompose(logits, target, reduction="mean"):
        """create_graph: the saved softmax is derived from the logits, so the walk goes through
        log-softmax from primitives (shifted by the max, a constant: it cancels exactly)."""
        rows, labels = np.arange(len(target.data)), target.data
        shifted = logits - logits.data.max(axis=1, keepdims=True)
        losses = shifted.exp().sum(axis=1).log() - shifted[rows, labels]
        if reduction == "none":
            return losses
        return losses.mean() if reduction == "mean" else losses.sum()
