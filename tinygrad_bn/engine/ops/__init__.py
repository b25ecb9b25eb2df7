"""Primitives: importing this package fills OPS, the registry of every op users can see."""
from .base import KERNELS, OPS, Op
from . import elementwise, reduce, shape, linalg  # noqa: F401  (registers the ops)
from . import conv, pool  # noqa: F401  (conv2d, conv_transpose2d, max_pool2d, avg_pool2d)
from . import batchnorm  # noqa: F401  (the fused batch_norm primitive)
from . import loss  # noqa: F401  (cross_entropy: F.cross_entropy's common case in one record)
from . import special, rounding, scan, einsum  # noqa: F401  (ops PyTorch users expect)

__all__ = ["KERNELS", "OPS", "Op", "rules_markdown"]


def rules_markdown():
    """The derivatives table (docs/derivatives.md), generated from the registry so it never drifts."""
    rows = ["| op | forward | backward rule |", "|---|---|---|"]
    for name in sorted(OPS):
        doc = (OPS[name].__doc__ or "").strip().splitlines()[0].replace("|", "\\|")
        rows.append(f"| `{name}` | {doc} | `{OPS[name].rule}` |")
    return "\n".join(rows) + "\n"
