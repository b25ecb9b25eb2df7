"""Graphs as Graphviz DOT: a tensor's or tape's records drawn with stable node ids, values,
gradients, collapsed scopes and a highlighted record. In Jupyter a Digraph shows as SVG.
"""
import graphviz

from ...engine.graph import attrs_text, graph_of
from ...nn import Parameter
from ..explain import fmt

PARAM_NAMES = {"gamma", "beta", "weight", "bias"}
_BOX = {"shape": "box", "style": "rounded,filled"}
STYLES = {                               # node kind -> Graphviz attributes (see legend())
    "input": {**_BOX, "fillcolor": "#cfe2ff"},
    "param": {**_BOX, "fillcolor": "#d3f2d3"},
    "const": {**_BOX, "fillcolor": "#eeeeee", "style": "rounded,filled,dashed"},
    "output": {**_BOX, "fillcolor": "#ffe08a", "penwidth": "2"},
    "data": {**_BOX, "fillcolor": "white"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#efe3fb"},
    "group": {"shape": "box3d", "style": "filled", "fillcolor": "#e4d3f5"},
}
_DTYPES = {}                             # dtype -> its name; str(dtype) is slow at 100,000 nodes
HIGHLIGHT = {"color": "#d62728", "penwidth": "3"}
KIND_TEXT = {"input": "input (leaf, requires grad)", "param": "parameter (nn.Parameter, "
             "or a leaf named gamma/beta/weight/bias)", "const": "constant (no grad)",
             "output": "output", "data": "intermediate", "op": "op (primitive)",
             "group": "collapsed scope"}


def to_dot(tensor_or_tape, show_values=False, show_grads=False, show_rules=False, collapse=None,
           rankdir="LR", max_elems=6, expand=False):
    """The graph of a tensor's past (or a tape) as a graphviz.Digraph, with stable node ids.

    collapse=True (every scope) or a scope name such as "batch_norm" draws each scope as one box;
    with expand=True those scopes become labelled clusters that still show every record.
    """
    return _Drawing(graph_of(tensor_or_tape), show_values, show_grads, show_rules, collapse,
                    rankdir, max_elems, expand).draw()


class _Drawing:
    """One conversion of a Graph to DOT; `grads` and `highlight` serve the backward frames."""

    def __init__(self, g, show_values, show_grads, show_rules, collapse, rankdir, max_elems,
                 expand, grads=None, highlight=None, caption=None):
        self.g, self.values, self.rules, self.max_elems = g, show_values, show_rules, max_elems
        self.grads = grads if grads is not None else (
            {id(t): t.grad for t in g.tensors if t.grad is not None} if show_grads else {})
        self.highlight, self.caption, self.rankdir = highlight, caption, rankdir
        self.group = {id(r): _scope_of(r, collapse) for r in g.records}
        self.cluster = {s: f"c{k}" for k, s in enumerate(dict.fromkeys(
            s for s in self.group.values() if s))}
        self.expand = expand
        self.owner = {id(r.output): self.group[id(r)] for r in g.records}  # tensor -> its scope
        self.hidden = {} if expand or not collapse else self._inside()

    def _inside(self):
        """Tensors a collapsed box hides -> its scope: results used only inside it, and
        constants (such as eps) that only it reads."""
        users = {}
        for r in self.g.records:
            for t in r.inputs:
                users.setdefault(id(t), set()).add(self.group[id(r)])
        for t in self.g.outputs:
            users.setdefault(id(t), set()).add(None)
        for t in self.g.tensors:
            if t.record is None and not t.requires_grad and len(users.get(id(t), ())) == 1:
                self.owner.setdefault(id(t), next(iter(users[id(t)])))
        return {tid: s for tid, s in self.owner.items()
                if s is not None and users.get(tid, {s}) == {s}}

    def draw(self):
        dot = graphviz.Digraph("tinygrad_bn", graph_attr={"rankdir": self.rankdir, "fontname":
                               "Helvetica", "fontsize": "12", "nodesep": "0.25", "ranksep": "0.35"},
                               node_attr={"fontname": "Courier", "fontsize": "10", "margin": "0.08,0.04"},
                               edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"})
        if self.caption:
            dot.attr(label=self.caption, labelloc="t", labeljust="l", fontsize="16")
        clusters = {s: graphviz.Digraph(f"cluster_{c}", graph_attr={
            "label": self._group_label(s), "style": "rounded,dashed", "color": "#8a63b8"})
            for s, c in self.cluster.items()} if self.expand else {}
        for t in self.g.tensors:
            if id(t) not in self.hidden:
                clusters.get(self.owner.get(id(t)), dot).body.append(
                    _stmt(self.g.tid(t), label=self._data_label(t), **self._data_style(t)))
        self._draw_ops(dot, clusters)
        for sub in clusters.values():
            dot.subgraph(sub)
        return dot

    def _draw_ops(self, dot, clusters):
        edges, drawn = set(), set()
        for r in self.g.records:
            node, s = self._node(r), self.group[id(r)]
            if node not in drawn:
                drawn.add(node)
                hot = self.highlight is not None and node == self._node(self.highlight)
                attrs = {**STYLES["group" if node.startswith("c") else "op"], **(HIGHLIGHT if hot else {})}
                label = self._group_label(s) if node.startswith("c") else self._op_label(r)
                clusters.get(s, dot).body.append(_stmt(node, label=label, **attrs))
            for i, t in enumerate(r.inputs):
                src = self.cluster[self.hidden[id(t)]] if id(t) in self.hidden else self.g.tid(t)
                pos = f"{i}: " if len(r.inputs) > 1 and node.startswith("r") else ""
                if src != node and (src, node, pos) not in edges:
                    edges.add((src, node, pos))
                    dot.body.append(_stmt(f"{src} -> {node}", label=pos + _shape(t)))
            if id(r.output) not in self.hidden:
                dot.body.append(_stmt(f"{node} -> {self.g.tid(r.output)}", label=_shape(r.output)))

    def _node(self, r):
        s = self.group[id(r)]
        return self.cluster[s] if s and not self.expand else self.g.rid(r)

    def _group_label(self, s):
        n = sum(1 for v in self.group.values() if v == s)
        return _esc(f"{s.split('#')[0]} ({n} op{'s' if n > 1 else ''})")

    def _op_label(self, r):
        lines = [f"{self.g.rid(r)}: {r.op}"] + attrs_text(r.attrs)
        if self.rules:
            lines += [clause.strip() for clause in r.rule.split(";")]
        return "\\n".join(_esc(line) for line in lines)

    def _data_label(self, t):
        head = f"{_esc(self.g.label(t))}\\n{_shape(t)} {_dtype(t)}\\n"
        show = self.values or (t.size == 1 and not t.requires_grad)   # constants such as eps
        body = fmt(t.data, self.max_elems) if show else []
        grad = self.grads.get(id(t))
        if grad is not None:
            body += [f"d{self.g.label(t)}:"] + fmt(grad, self.max_elems)
        return head + "".join(_esc(line) + "\\l" for line in body)

    def _data_style(self, t):
        style = dict(STYLES[self._kind(t)])
        if self.highlight is not None and any(t is u for u in (self.highlight.output,
                                                              *self.highlight.inputs)):
            style.update(color=HIGHLIGHT["color"], penwidth="2")
        return style

    def _kind(self, t):
        if any(t is o for o in self.g.outputs):
            return "output"
        if id(t) in self.g.produced:
            return "data"
        if not t.requires_grad:
            return "const"
        return "param" if isinstance(t, Parameter) or t.name in PARAM_NAMES else "input"


def _scope_of(record, collapse):
    """The outermost scope of `record` that `collapse` groups (True, a name or names), or None."""
    if not collapse:
        return None
    names = None if collapse is True else ({collapse} if isinstance(collapse, str) else set(collapse))
    return next((s for s in record.scope if names is None or s.split("#")[0] in names), None)


def _stmt(head, **attrs):
    """One DOT statement, written directly: graphviz's own quoting is too slow for 100,000 nodes.
    Labels arrive escaped (_esc) with their \\n and \\l line ends."""
    return "\t" + head + " [" + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + "]\n"


def _esc(text):
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def _dtype(t):
    name = _DTYPES.get(t.dtype)
    return name if name is not None else _DTYPES.setdefault(t.dtype, str(t.dtype))


def _shape(t):
    return str(tuple(t.shape)) if t.shape else "scalar"


def legend():
    """A small Digraph naming each node style, to show beside a graph (or in the docs)."""
    dot = graphviz.Digraph("legend", graph_attr={"rankdir": "LR", "label": "legend",
                                                 "fontname": "Helvetica"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"})
    for kind, text in KIND_TEXT.items():
        dot.node(kind, text, **STYLES[kind])
    dot.node("now", "current step (backward frames)", **STYLES["op"], **HIGHLIGHT)
    return dot
