"""Embedding: a lookup table of learned vectors, indexed by integer ids (words, characters)."""
import numpy as np

from ..engine import Tensor
from . import init
from .module import Module, Parameter, new_array


class Embedding(Module):
    """out[...] = weight[ids[...]]: weight (num_embeddings, embedding_dim) drawn N(0, 1), as torch.

    The lookup is the indexing primitive, whose backward adds each row's gradient into the rows
    it read (repeats add up). padding_idx: that row starts at zero and gets no gradient.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, generator=None):
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(f"Embedding({num_embeddings}, {embedding_dim}): padding_idx="
                             f"{padding_idx} must index a row (0 <= idx < {num_embeddings})")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = None if padding_idx is None else padding_idx % num_embeddings
        self.weight = Parameter(new_array((num_embeddings, embedding_dim)))
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, ids):
        ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding: ids are {ids.dtype} {ids.shape}; expected integer ids, "
                            "e.g. np.array([1, 4]) or x.long()")
        if ids.size and not (ids.min() >= 0 and ids.max() < self.num_embeddings):
            raise IndexError(f"Embedding({self.num_embeddings}, {self.embedding_dim}): ids range "
                             f"{ids.min()}..{ids.max()}, outside 0..{self.num_embeddings - 1}")
        weight = self.weight
        if self.padding_idx is not None:   # the padding row's value, passed on without gradient
            keep = np.ones((self.num_embeddings, 1), weight.dtype)
            keep[self.padding_idx] = 0
            weight = weight * keep + Tensor(weight.data * (1 - keep))
        return weight[ids]

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
