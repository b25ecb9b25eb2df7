"""Primitives: importing this package fills OPS, the registry of every op users can see."""
from .base import OPS, Op
from . import elementwise, reduce, shape, linalg  # noqa: F401  (registers the ops)

__all__ = ["OPS", "Op"]
