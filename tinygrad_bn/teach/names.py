"""What the teaching views call things: parameters by their path in the model (`0.weight`),
layers by what they are (`1: BatchNorm1d(32)`), and BN's nodes by textbook symbols on slides.

No naming by the user is needed: Module.__call__ tags its records' scope with the module, so the
model is found by walking from the loss to the records and the modules that ran them.
"""
from ..engine.graph import Graph, graph_of

SYMBOLS = {"x": "x", "mu": "μ", "xmu": "x-μ", "sq": "(x-μ)²", "var": "σ²", "var_eps": "σ²+ε",
           "sqrtvar": "√(σ²+ε)", "ivar": "1/√(σ²+ε)", "xhat": "x̂", "gammax": "γx̂", "out": "y",
           "gamma": "γ", "beta": "β", "eps": "ε"}


class NamedGraph(Graph):
    """A Graph whose labels name parameters by their named_parameters() path (`1.weight`, not the
    layer's own `gamma`) and whose scopes name their layer; other tensors keep their names."""

    def __init__(self, records, roots=()):
        super().__init__(records, roots)
        self.paths, self.param_names = {}, {}
        for r in self.records:
            root = next((tag.owner for tag in r.scope if getattr(tag, "owner", None) is not None),
                        None)
            if root is not None and id(root) not in self.paths:   # outermost module first
                self.paths.update((id(m), path) for path, m in root.named_modules()
                                  if id(m) not in self.paths)
                for name, p in root.named_parameters():
                    self.param_names.setdefault(id(p), name)

    def label(self, t):
        """A parameter's path in its model, else the tensor's name, else the node id t<k>."""
        name = self.param_names.get(id(t)) if t is not None else None
        return name or super().label(t)

    def scope_label(self, tag):
        """A layer's box: `1: BatchNorm1d(32)`; a functional scope by its name (`cross_entropy`)."""
        owner = getattr(tag, "owner", None)
        if owner is None:
            return tag.split("#")[0]
        path = self.paths.get(id(owner), "")
        return f"{path}: {describe(owner)}" if path else describe(owner)


def named_graph(obj):
    """The NamedGraph of a tensor's past or of a tape: what every teaching view reads."""
    return graph_of(obj, NamedGraph)


def describe(module):
    """A module in a few characters: its class and the numbers of its extra_repr, so
    `BatchNorm1d(32)`, `Linear(3, 8)`, `Conv2d(1, 8)`, `ReLU()`; keyword flags are dropped."""
    parts = _top_level_parts(module.extra_repr() if hasattr(module, "extra_repr") else "")
    positional = [p for p in parts if "=" not in p]
    shown = positional or [v for v in (p.split("=", 1)[1] for p in parts) if _is_number(v)][:2]
    return f"{type(module).__name__}({', '.join(shown)})"


def _top_level_parts(text):
    """'1, 8, kernel_size=(3, 3)' -> ['1', '8', 'kernel_size=(3, 3)']: commas inside brackets stay."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    last = text[start:].strip()
    return parts + [last] if last else parts


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
