"""Embedding: a lookup table of learned vectors, indexed by integer ids (words, characters)."""
import numpy as np

from .. import functional as F
from ..engine import Tensor
from . import init
from .module import Module, Parameter, new_array


class Embedding(Module):
    """out[...] = weight[ids[...]]: weight (num_embeddings, embedding_dim) drawn N(0, 1), as torch.

    The lookup is F.embedding's: the indexing primitive, whose backward adds each row's gradient
    into the rows it read (repeats add up). padding_idx: that row starts at zero and gets no
    gradient.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, generator=None,
                 device=None, dtype=None):
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(f"Embedding({num_embeddings}, {embedding_dim}): padding_idx="
                             f"{padding_idx} must index a row (0 <= idx < {num_embeddings})")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = None if padding_idx is None else padding_idx % num_embeddings
        self.weight = Parameter(new_array((num_embeddings, embedding_dim)))
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0
        self.to(device=device, dtype=dtype)     # torch's factory keywords: cast once built

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding whose weight is `embeddings` (num_embeddings, embedding_dim), frozen
        (requires_grad=False) unless freeze=False; the padding row keeps its values, as torch."""
        data = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings {data.shape} must be 2-D, "
                             "(num_embeddings, embedding_dim)")
        layer = cls(*data.shape, padding_idx=padding_idx)
        layer.weight = Parameter(data, requires_grad=not freeze)
        return layer

    def forward(self, ids):
        return F._lookup(ids, self.weight, self.padding_idx,
                         f"Embedding({self.num_embeddings}, {self.embedding_dim})")

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
