"""einsum: one primitive for every sum of products NumPy's np.einsum spells.

The gradient of operand k is itself an einsum: g and the other operands, summed into operand k's
subscripts. Two cases need care: a letter only operand k has (summed away: broadcast back with a
ones vector) and a letter repeated in operand k (a diagonal: write the result onto it).
"""
import string

import numpy as np

from .base import Op


def parse(equation, shapes):
    """'ij,jk->ik' -> (['ij', 'jk'], 'ik'), '...' spelled as letters the equation does not use,
    and an implicit output (no '->') made explicit: the letters seen once, in ASCII order."""
    equation = equation.replace(" ", "")
    lhs, arrow, out = equation.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: equation {equation!r} has {len(ins)} operands but "
                         f"{len(shapes)} were given; give one subscript group per tensor")
    n_ell = max((len(shape) - len(s.replace("...", "")) for s, shape in zip(ins, shapes)
                 if "..." in s), default=0)
    ell = "".join([c for c in string.ascii_letters if c not in equation][:n_ell])
    subs = []
    for s, shape in zip(ins, shapes):
        if "..." in s:
            k = len(shape) - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if len(s) != len(shape) or (s and not s.isalpha()):     # '' is a 0-d operand
            raise ValueError(f"einsum: subscripts {s!r} do not fit an operand of shape {shape}; "
                             "give one letter per axis (or '...' for the leading ones)")
        subs.append(s)
    seen = "".join(subs)
    if not arrow:                       # as NumPy and torch: '...' first, then sorted letters
        out = "..." + "".join(sorted(c for c in set(seen) if c not in ell and seen.count(c) == 1))
    out = out.replace("...", ell)
    if any(c not in seen or out.count(c) > 1 for c in out):
        raise ValueError(f"einsum: output {out!r} of {equation!r} names a letter no input has, "
                         "or one twice; each output letter must appear once and in an input")
    return subs, out


class Einsum(Op):
    """out = einsum(equation, *operands), as np.einsum (implicit and explicit outputs, '...')."""
    name = "einsum"
    rule = "dx_k = einsum(g and the other operands -> subscripts of x_k)"

    @staticmethod
    def forward(*xs, needs_input_grad, equation):
        subs, out = parse(equation, [x.shape for x in xs])
        sizes = {}
        for s, x in zip(subs, xs):
            for c, n in zip(s, x.shape):
                if sizes.setdefault(c, n) != n and 1 not in (n, sizes[c]):
                    shapes = ", ".join(str(x.shape) for x in xs)
                    raise ValueError(f"einsum: {equation!r} does not fit shapes {shapes}: letter "
                                     f"{c!r} has sizes {sizes[c]} and {n}; a letter must have "
                                     "the same size wherever it appears")
        return np.einsum(",".join(subs) + "->" + out, *xs), {"xs": xs, "subs": subs, "out": out}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        xs, subs, out = saved["xs"], saved["subs"], saved["out"]
        sizes = {c: n for x, s in zip(xs, subs) for c, n in zip(s, x.shape) if n != 1}
        return tuple(_grad_of(k, g, xs, subs, out, sizes) if need else None
                     for k, need in enumerate(needs_input_grad))


def _grad_of(k, g, xs, subs, out, sizes):
    """The gradient of operand k (see the module docstring for the two special cases)."""
    target = "".join(dict.fromkeys(subs[k]))              # letters of x_k, each once
    others = [(s, x) for i, (s, x) in enumerate(zip(subs, xs)) if i != k]
    have = set(out).union(*(s for s, _ in others))
    ones = [(c, np.ones(sizes.get(c, 1), dtype=g.dtype)) for c in target if c not in have]
    terms = [(out, g)] + others + ones
    grad = np.einsum(",".join(s for s, _ in terms) + "->" + target, *(a for _, a in terms))
    if target == subs[k]:
        return grad
    # a repeated letter: grad goes onto the diagonal of x_k, zeros elsewhere (a gather and a
    # mask, no write: the same code then runs on Tensors under create_graph)
    index = np.indices(xs[k].shape, sparse=True)
    first = {c: subs[k].index(c) for c in target}
    on_diagonal = np.ones(xs[k].shape, dtype=bool)
    for axis, c in enumerate(subs[k]):
        on_diagonal = on_diagonal & (index[axis] == index[first[c]])
    return grad[tuple(index[first[c]] for c in target)] * on_diagonal
