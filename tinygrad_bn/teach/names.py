"""What the teaching views call things: parameters by their path in the model (`0.weight`),
results by their layer call (`bn1.xmu`), layers by what they are (`1: BatchNorm1d(32)`), and
BN's nodes by textbook symbols on slides (μ, or μ₁ and μ₂ for two BN layers).

No naming by the user is needed: Module.__call__ tags its records' scope with the module, so the
model is found by walking from the loss to the records and the modules that ran them.
"""
from ..engine.graph import Graph, graph_of

SYMBOLS = {"x": "x", "mu": "μ", "xmu": "x−μ", "sq": "(x−μ)²", "var": "σ²", "var_eps": "σ²+ε",
           "sqrtvar": "√(σ²+ε)", "ivar": "1/√(σ²+ε)", "xhat": "x̂", "gammax": "γx̂", "out": "y",
           "gamma": "γ", "beta": "β", "eps": "ε"}


class NamedGraph(Graph):
    """A Graph whose labels say which layer call made each tensor: parameters by their path
    (`fc.weight`, `1.bias`), named results by their layer call (`bn1.xmu`, `1.out`).

    A model called as a whole gives paths from its attributes (`fc`, `0`); layers called
    directly (makemore style) are named by class and counter (`linear_1`, `batchnorm1d_2`);
    a layer called again gets `#2`, `#3` (`bn1#2.xmu`). Symbols for slides: `symbol`.
    """

    def __init__(self, records, roots=()):
        super().__init__(records, roots)
        self.paths, self.param_names, self._calls = {}, {}, {}
        self._tape, self._extra, self._whole = None, {}, None    # numbering by a tape: number_by
        owners = [[tag for tag in r.scope if getattr(tag, "owner", None) is not None]
                  for r in self.records]
        tops = _distinct(tags[0].owner for tags in owners if tags)
        whole = len(tops) == 1 and any(True for _ in tops[0].children())
        counts = {}
        for root in tops:                       # outermost modules, in call order
            if whole:
                prefix = ""
            else:
                kind = type(root).__name__.lower()
                counts[kind] = counts.get(kind, 0) + 1
                prefix = f"{kind}_{counts[kind]}"
            for path, m in root.named_modules():
                full = ".".join(p for p in (prefix, path) if p)
                self.paths.setdefault(id(m), full)
            for name, p in root.named_parameters():
                self.param_names.setdefault(id(p), f"{prefix}.{name}" if prefix else name)
        calls = {}
        for r, tags in zip(self.records, owners):
            if tags and id(tags[-1]) not in self._calls:
                k = calls[id(tags[-1].owner)] = calls.get(id(tags[-1].owner), 0) + 1
                path = self.paths.get(id(tags[-1].owner), "")
                self._calls[id(tags[-1])] = path + (f"#{k}" if k > 1 else "")
        self._made_in = {id(r.output): self._calls.get(id(tags[-1])) if tags else None
                         for r, tags in zip(self.records, owners)}
        self._symbols = self._number_symbols()

    def label(self, t):
        """A parameter's path in its model, a named result as `layer.name`, else the tensor's
        name, else the node id t<k>."""
        if t is None:
            return super().label(t)
        name = self.param_names.get(id(t))
        if name:
            return name
        call = self._made_in.get(id(t))
        return f"{call}.{t.name}" if t.name and call else super().label(t)

    def number_by(self, tape):
        """Number records as str(tape) does (r0 = the tape's first), so a view of a loss and the
        tape agree; records the loss needs that are not on the tape come after, marked by on_tape.
        `tape` may be a larger Graph this one is part of: its tensor ids t<k> are kept too."""
        self._whole = tape if isinstance(tape, Graph) else None
        self._tape = {id(r): k for k, r in enumerate(tape.records)}
        extra = [r for r in self.records if id(r) not in self._tape]
        self._extra = {id(r): len(tape.records) + k for k, r in enumerate(extra)}
        return self

    def rid(self, r):
        """The record's number: its place on the tape when numbered by one, else in this graph."""
        if self._tape is None:
            return super().rid(r)
        return f"r{self._tape.get(id(r), self._extra.get(id(r)))}"

    def tid(self, t):
        """A tensor's node id t<k>: as in the larger graph this one was numbered by, if any."""
        return super().tid(t) if self._whole is None else self._whole.tid(t)

    def on_tape(self, r):
        """False for a record numbered after a tape it is not on (True when no tape numbers)."""
        return self._tape is None or id(r) in self._tape

    def symbol(self, t):
        """The textbook symbol of a tensor on slides (μ, x̂, γ), subscripted where a graph holds
        several (μ₁, μ₂: one per BN layer); other tensors keep their label."""
        return self._symbols.get(id(t)) or self.label(t)

    def _number_symbols(self):
        groups = {}
        for t in self.tensors:
            base = SYMBOLS.get(self.label(t).rsplit(".", 1)[-1])
            if base is not None:
                groups.setdefault(base, []).append(t)
        return {id(t): _subscripted(base, k) if len(ts) > 1 else base
                for base, ts in groups.items() for k, t in enumerate(ts, 1)}

    def find(self, name, among):
        """The tensor of `among` called `name`: its label, or a short name (`xmu` for `bn1.xmu`)
        when exactly one label ends in it; an ambiguous short name raises with the candidates."""
        exact = [t for t in among if self.label(t) == name]
        found = exact or [t for t in among if self.label(t).endswith("." + name)]
        if len(found) > 1:
            raise KeyError(f"{name!r} is ambiguous in this graph: {', '.join(self.label(t) for t in found)}; "
                           "use one of these full names")
        return found[0] if found else None

    def scope_label(self, tag):
        """A layer's box: `1: BatchNorm1d(32)`; a functional scope by its name (`cross_entropy`)."""
        owner = getattr(tag, "owner", None)
        if owner is None:
            return tag.split("#")[0]
        path = self._calls.get(id(tag)) or self.paths.get(id(owner), "")
        return f"{path}: {describe(owner)}" if path else describe(owner)


def _distinct(items):
    """Items in first-seen order, each once (by identity)."""
    seen, out = set(), []
    for x in items:
        if id(x) not in seen:
            seen.add(id(x))
            out.append(x)
    return out


def _subscripted(symbol, k):
    """μ -> μ₂, (x−μ)² -> (x−μ₂)², σ²+ε -> σ₂²+ε, x̂ -> x̂₂: the layer's number on its statistic."""
    sub = str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
    at = min((i for i in (symbol.find("μ"), symbol.find("σ")) if i >= 0), default=None)
    return symbol + sub if at is None else symbol[:at + 1] + sub + symbol[at + 1:]


def named_graph(obj, tape=None):
    """The NamedGraph of a tensor's past or of a tape: what every teaching view reads; with
    `tape`, the tensor's records numbered as on that tape."""
    g = graph_of(obj, NamedGraph)
    return g if tape is None else g.number_by(tape)


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
